"""The fakes' structured output (Converse tool use, OpenAI function calling), exercised through the real clients."""

from __future__ import annotations

import json

from tests.fakes.test_fakes import JP_PROFILE, openai_client, runtime_client, user

# --- structured output (tool use / function calling) ----------------------------------------
TOOL_SCHEMA = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "citations": {"type": "array", "items": {"type": "integer"}},
        "kind": {"enum": ["回答", "照会"]},
        "due": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
        "detail": {"$ref": "#/$defs/Detail"},
    },
    "required": ["answer", "citations"],
    "$defs": {"Detail": {"type": "object", "properties": {"count": {"type": "integer", "minimum": 1}}}},
}
BEDROCK_TOOLS = {
    "tools": [
        {"toolSpec": {"name": "other", "inputSchema": {"json": {"type": "object"}}}},
        {"toolSpec": {"name": "Answer", "inputSchema": {"json": TOOL_SCHEMA}}},
    ],
    "toolChoice": {"tool": {"name": "Answer"}},
}
OPENAI_TOOLS = [{"type": "function", "function": {"name": "Answer", "parameters": TOOL_SCHEMA}}]


def test_converse_with_tool_config_answers_with_scripted_tool_use(fake_bedrock):
    fake_bedrock.script("テキストの台本は構造化応答に使われない")
    fake_bedrock.script_structured(
        [{"answer": "一", "citations": [1]}], usage={"input_tokens": 5, "output_tokens": 3}
    )
    client = runtime_client(fake_bedrock)
    response = client.converse(modelId=JP_PROFILE, messages=user("質問"), toolConfig=BEDROCK_TOOLS)
    (block,) = response["output"]["message"]["content"]
    assert block["toolUse"]["name"] == "Answer" and block["toolUse"]["toolUseId"].startswith("tooluse_")
    assert block["toolUse"]["input"] == {"answer": "一", "citations": [1]}
    assert response["stopReason"] == "tool_use"
    assert response["usage"] == {"inputTokens": 5, "outputTokens": 3, "totalTokens": 8}
    assert fake_bedrock.requests[0]["body"]["toolConfig"] == BEDROCK_TOOLS
    # the text script is still waiting for a text request
    text = client.converse(modelId=JP_PROFILE, messages=user("質問"))["output"]["message"]["content"][0][
        "text"
    ]
    assert text == "テキストの台本は構造化応答に使われない"


def test_converse_stream_tool_use_events(fake_bedrock):
    fake_bedrock.script_structured([{"answer": "転入届は14日以内に提出します。", "citations": [1, 2]}])
    response = runtime_client(fake_bedrock).converse_stream(
        modelId=JP_PROFILE, messages=user("質問"), toolConfig=BEDROCK_TOOLS
    )
    events = list(response["stream"])
    kinds = [next(iter(event)) for event in events]
    assert kinds[:2] == ["messageStart", "contentBlockStart"]
    assert kinds[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    start = events[1]["contentBlockStart"]
    assert start["contentBlockIndex"] == 0 and start["start"]["toolUse"]["name"] == "Answer"
    deltas = [e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events if "contentBlockDelta" in e]
    assert len(deltas) > 1
    assert json.loads("".join(deltas)) == {"answer": "転入届は14日以内に提出します。", "citations": [1, 2]}
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"
    assert events[-1]["metadata"]["usage"]["outputTokens"] > 0


def test_malformed_scripted_arguments(fake_bedrock):
    client = runtime_client(fake_bedrock)
    fake_bedrock.script_structured(['{"answer": "途中', '{"answer": "途中'])
    response = client.converse(modelId=JP_PROFILE, messages=user("質問"), toolConfig=BEDROCK_TOOLS)
    assert response["stopReason"] == "malformed_tool_use"
    assert response["output"]["message"]["content"] == []
    events = list(
        client.converse_stream(modelId=JP_PROFILE, messages=user("質問"), toolConfig=BEDROCK_TOOLS)["stream"]
    )
    deltas = [e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events if "contentBlockDelta" in e]
    assert "".join(deltas) == '{"answer": "途中'


def test_unscripted_tool_use_is_synthesised_from_the_schema(fake_bedrock):
    prompt = "[1] 住民票の写しは本人確認の上で交付します。\n質問: 条件は？"
    response = runtime_client(fake_bedrock).converse(
        modelId=JP_PROFILE, messages=user(prompt), toolConfig=BEDROCK_TOOLS
    )
    document = response["output"]["message"]["content"][0]["toolUse"]["input"]
    assert document == {
        "answer": "（フェイク応答）資料によれば、「住民票の写しは本人確認の上で交付します」とされています。[1]",
        "citations": [0],
        "kind": "回答",
        "due": "2025-04-01",
        "detail": {"count": 1},
    }


def test_reset_forgets_structured_scripts(fake_bedrock):
    fake_bedrock.script_structured([{"answer": "残っていてはならない", "citations": []}])
    fake_bedrock.reset()
    response = runtime_client(fake_bedrock).converse(
        modelId=JP_PROFILE, messages=user("質問"), toolConfig=BEDROCK_TOOLS
    )
    assert response["output"]["message"]["content"][0]["toolUse"]["input"]["answer"].startswith(
        "（フェイク応答）"
    )


def test_openai_tool_calls_plain_and_streamed(fake_openai):
    client = openai_client(fake_openai)
    first, second = {"answer": "一", "citations": [1]}, {"answer": "二つ目の回答です。", "citations": [2]}
    fake_openai.script_structured([first, second], usage={"input_tokens": 7, "output_tokens": 4})
    choice = {"type": "function", "function": {"name": "Answer"}}
    messages = [{"role": "user", "content": "質問"}]
    completion = client.chat.completions.create(
        model="fake-chat", messages=messages, tools=OPENAI_TOOLS, tool_choice=choice
    )
    (call,) = completion.choices[0].message.tool_calls
    assert (
        completion.choices[0].finish_reason == "tool_calls" and completion.choices[0].message.content is None
    )
    assert call.type == "function" and call.id.startswith("call_") and call.function.name == "Answer"
    assert json.loads(call.function.arguments) == first
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (7, 4)

    stream = client.chat.completions.create(
        model="fake-chat",
        messages=messages,
        tools=OPENAI_TOOLS,
        tool_choice=choice,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert calls[0].id and calls[0].function.name == "Answer" and all(tc.index == 0 for tc in calls)
    assert len(calls) > 2
    assert json.loads("".join(tc.function.arguments or "" for tc in calls)) == second
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4
    assert fake_openai.requests[0]["body"]["tools"] == OPENAI_TOOLS


def test_langchain_structured_output_through_both_fakes(fake_bedrock, fake_openai):
    from langchain_aws import ChatBedrockConverse
    from langchain_openai import ChatOpenAI
    from pydantic import BaseModel

    class Answer(BaseModel):
        answer: str
        citations: list[int]

    bedrock = ChatBedrockConverse(
        model=JP_PROFILE, region_name="ap-northeast-1", endpoint_url=fake_bedrock.url
    )
    openai_model = ChatOpenAI(model="fake-chat", base_url=fake_openai.url, api_key="x", max_retries=0)
    payload = {"answer": "回答", "citations": [1]}
    for fake, model in ((fake_bedrock, bedrock), (fake_openai, openai_model)):
        fake.script_structured([payload, payload])
        runnable = model.with_structured_output(Answer, method="function_calling")
        assert runnable.invoke("質問") == Answer(**payload)
        streamed = list(runnable.stream("質問"))  # streamed tool-call deltas, parsed as they arrive
        assert streamed[-1] == Answer(**payload)
