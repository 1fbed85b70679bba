"""`Backend.generate` through the fakes at the wire: structured output (Bedrock tool use, OpenAI
function calling) and streamed text, with real boto3 / langchain-aws / langchain-openai code."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field

from assistant.backends.base import Generation, InvalidOutput, Reply, TokenUsage
from assistant.backends.registry import create_backend, resolve
from assistant.config import Settings

SYSTEM = "あなたは市役所の職員です。"
PROMPT = "[1] 転入届は転入した日から14日以内に提出します。\n質問: 転入届の期限は？"


class Answer(BaseModel):
    """An answer with the numbers of the sources it cites."""

    answer: str = Field(description="回答本文")
    citations: list[int] = Field(description="引用した資料の番号")
    confident: bool = Field(False, description="資料で裏付けられるか")


VALID = {"answer": "転入した日から14日以内です。[1]", "citations": [1], "confident": True}


@pytest.fixture
def bedrock(tmp_path, fake_bedrock):
    settings = Settings(home=tmp_path, bedrock_endpoint_url=fake_bedrock.url)
    return create_backend(settings, resolve(settings, "bedrock/claude-haiku-4-5"))


@pytest.fixture
def openai(tmp_path, fake_openai):
    settings = Settings(
        home=tmp_path, openai_base_url=fake_openai.url, openai_models=["fake-chat"], fallbacks={}
    )
    return create_backend(settings, resolve(settings, "openai/fake-chat"))


@pytest.fixture(params=["bedrock", "openai"])
def wired(request):
    """(backend, fake server) for each provider."""
    fake = request.getfixturevalue(f"fake_{request.param}")
    return request.getfixturevalue(request.param), fake


def structured(backend) -> tuple[Reply, TokenUsage, list[str]]:
    usage, pieces = TokenUsage(), []
    reply = backend.generate(Generation(SYSTEM, PROMPT, schema=Answer), usage, on_text=pieces.append)
    return reply, usage, pieces


# --- structured output -----------------------------------------------------------------------
def test_structured_reply_round_trips(wired):
    backend, fake = wired
    fake.script_structured([VALID], usage={"input_tokens": 120, "output_tokens": 30})
    reply, usage, pieces = structured(backend)
    assert reply.data == Answer(**VALID)
    assert json.loads(reply.text) == VALID
    assert (usage.input_tokens, usage.output_tokens) == (120, 30)
    assert pieces == []  # structured calls are not streamed


def test_bedrock_request_carries_the_forced_tool(bedrock, fake_bedrock):
    fake_bedrock.script_structured([VALID])
    structured(bedrock)
    (request,) = fake_bedrock.requests
    assert request["operation"] == "Converse"
    config = request["body"]["toolConfig"]
    (tool,) = config["tools"]
    assert tool["toolSpec"]["name"] == "Answer"
    schema = tool["toolSpec"]["inputSchema"]["json"]
    assert set(schema["properties"]) == {"answer", "citations", "confident"}
    assert config["toolChoice"] == {"tool": {"name": "Answer"}}
    assert request["body"]["system"] == [{"text": SYSTEM}]


def test_openai_request_carries_the_forced_function(openai, fake_openai):
    fake_openai.script_structured([VALID])
    structured(openai)
    (request,) = fake_openai.requests
    body = request["body"]
    assert not body.get("stream") and "response_format" not in body
    (tool,) = body["tools"]
    assert tool["type"] == "function" and tool["function"]["name"] == "Answer"
    assert set(tool["function"]["parameters"]["properties"]) == {"answer", "citations", "confident"}
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Answer"}}
    assert body["messages"][0] == {"role": "system", "content": SYSTEM}


@pytest.mark.parametrize(
    "payload",
    [
        {"answer": "期限は14日です。", "citations": "一番"},  # wrong type
        {"citations": [1]},  # required field missing
        '{"answer": "期限は14日',  # malformed JSON text
    ],
    ids=["wrong-type", "missing-field", "malformed-json"],
)
def test_invalid_payload_raises_invalid_output(wired, payload):
    backend, fake = wired
    fake.script_structured([payload], usage={"input_tokens": 50, "output_tokens": 9})
    usage = TokenUsage()
    with pytest.raises(InvalidOutput) as raised:
        backend.generate(Generation(SYSTEM, PROMPT, schema=Answer), usage, on_text=lambda _: None)
    assert "Answer" in str(raised.value)
    if isinstance(payload, dict):  # the model's arguments, for the audit log and a retry prompt
        assert json.loads(raised.value.raw) == payload
    elif fake.requests[0]["operation"] == "Converse":
        assert "malformed_tool_use" in str(raised.value)  # Bedrock sends no arguments then
    else:
        assert raised.value.raw == payload
    assert (usage.input_tokens, usage.output_tokens) == (50, 9)  # a failed call still costs tokens


def test_invalid_then_valid_in_order(wired):
    backend, fake = wired
    fake.script_structured([{"answer": 1}, VALID])
    with pytest.raises(InvalidOutput):
        structured(backend)
    reply, _, _ = structured(backend)
    assert reply.data == Answer(**VALID)
    assert len(fake.requests) == 2


def test_unscripted_structured_reply_is_synthesised_from_the_schema(wired):
    backend, _ = wired
    reply, usage, _ = structured(backend)
    assert isinstance(reply.data, Answer)
    assert "転入届は転入した日から14日以内に提出します" in reply.data.answer
    assert len(reply.data.citations) == 1
    assert usage.input_tokens > 0 and usage.output_tokens > 0


# --- text through generate -------------------------------------------------------------------
def test_text_streams_through_generate(wired):
    backend, fake = wired
    text = "転入届は、転入した日から14日以内に提出してください。[1]"
    fake.script(text, usage={"input_tokens": 40, "output_tokens": 20})
    usage, pieces = TokenUsage(), []
    reply = backend.generate(Generation(SYSTEM, PROMPT), usage, on_text=pieces.append)
    assert reply == Reply(text=text, data=None)
    assert len(pieces) > 1 and "".join(pieces) == text
    assert (usage.input_tokens, usage.output_tokens) == (40, 20)
    (request,) = fake.requests
    assert request["operation"] in ("ConverseStream", "chat.completions")
    assert "toolConfig" not in request["body"] and "tools" not in request["body"]
