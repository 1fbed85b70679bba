"""The fakes, exercised through the real clients: boto3, langchain-aws, openai, langchain-openai."""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.fakes import eventstream
from tests.fakes.bedrock_invoke import COHERE_EMBED_MULTILINGUAL_V3, TITAN_EMBED_V2
from tests.fakes.bedrock_server import FakeBedrock
from tests.fakes.openai_server import FakeOpenAI

JP_PROFILE = "jp.anthropic.claude-haiku-4-5-20251001-v1:0"
REPO_ROOT = Path(__file__).resolve().parents[2]


def runtime_client(fake: FakeBedrock):
    import boto3
    from botocore.config import Config

    # botocore's `max_attempts` counts retries (total = max_attempts + 1); `total_max_attempts`
    # counts the first call too, so 1 means "never retry" and injected errors surface at once.
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    return boto3.client("bedrock-runtime", endpoint_url=fake.url, region_name="ap-northeast-1", config=config)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": [{"text": text}]}]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b)
    )


# --- event-stream framing --------------------------------------------------------------------
def test_eventstream_messages_decode_with_botocore():
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    data = eventstream.encode_event("messageStart", {"role": "assistant"}) + eventstream.encode_event(
        "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "申請"}}
    )
    buffer.add_data(data[:7])  # a partial prelude yields nothing yet
    assert list(buffer) == []
    buffer.add_data(data[7:])
    messages = list(buffer)
    assert [m.headers[":event-type"] for m in messages] == ["messageStart", "contentBlockDelta"]
    assert messages[0].headers[":message-type"] == "event"
    assert json.loads(messages[1].payload)["delta"]["text"] == "申請"


# --- Bedrock through boto3 -------------------------------------------------------------------
def test_converse_returns_scripted_text_and_usage(fake_bedrock):
    fake_bedrock.script("回答です。", usage={"input_tokens": 12, "output_tokens": 5})
    response = runtime_client(fake_bedrock).converse(modelId=JP_PROFILE, messages=user("質問"))
    assert response["output"]["message"]["content"][0]["text"] == "回答です。"
    assert response["stopReason"] == "end_turn"
    assert response["usage"] == {"inputTokens": 12, "outputTokens": 5, "totalTokens": 17}
    assert response["metrics"]["latencyMs"] >= 0


def test_scripted_replies_are_served_in_order_then_default(fake_bedrock):
    fake_bedrock.script("一つ目")
    fake_bedrock.script("二つ目")
    client = runtime_client(fake_bedrock)
    texts = [
        client.converse(modelId=JP_PROFILE, messages=user("質問"))["output"]["message"]["content"][0]["text"]
        for _ in range(3)
    ]
    assert texts[:2] == ["一つ目", "二つ目"]
    assert texts[2].startswith("（フェイク応答）") and texts[2].endswith("[1]")


def test_default_reply_quotes_first_document_block(fake_bedrock):
    document = {
        "format": "txt",
        "name": "youkou",
        "source": {"bytes": "転入届は14日以内に提出する。窓口は市民課。".encode()},
    }
    messages = [{"role": "user", "content": [{"document": document}, {"text": "転入届の期限は？"}]}]
    response = runtime_client(fake_bedrock).converse(modelId=JP_PROFILE, messages=messages)
    text = response["output"]["message"]["content"][0]["text"]
    assert text == "（フェイク応答）資料によれば、「転入届は14日以内に提出する」とされています。[1]"


def test_default_reply_quotes_first_numbered_source_in_prompt(fake_bedrock):
    prompt = (
        "資料:\n[1] 住民票の写しは本人確認の上で交付します。\n[2] 手数料は300円です。\n質問: 交付の条件は？"
    )
    response = runtime_client(fake_bedrock).converse(modelId=JP_PROFILE, messages=user(prompt))
    assert "「住民票の写しは本人確認の上で交付します」" in response["output"]["message"]["content"][0]["text"]


def test_converse_stream_yields_events_in_order(fake_bedrock):
    reply = "転入届は、転入した日から14日以内に提出してください。[1]"
    fake_bedrock.script(reply, usage={"input_tokens": 30, "output_tokens": 20})
    response = runtime_client(fake_bedrock).converse_stream(modelId=JP_PROFILE, messages=user("期限は？"))
    events = list(response["stream"])
    kinds = [next(iter(event)) for event in events]
    deltas = [e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e]
    assert kinds[0] == "messageStart" and events[0]["messageStart"]["role"] == "assistant"
    assert kinds[-4:] == ["contentBlockDelta", "contentBlockStop", "messageStop", "metadata"]
    assert set(kinds[1:-3]) == {"contentBlockDelta"} and len(deltas) > 1
    assert "".join(deltas) == reply
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"
    assert events[-1]["metadata"]["usage"] == {"inputTokens": 30, "outputTokens": 20, "totalTokens": 50}


@pytest.mark.parametrize(
    ("kind", "code", "status"),
    [
        ("throttle", "ThrottlingException", 429),
        ("server_error", "InternalServerException", 500),
        ("unavailable", "ServiceUnavailableException", 503),
        ("validation", "ValidationException", 400),
    ],
)
def test_injected_failures_surface_as_client_errors(fake_bedrock, kind, code, status):
    from botocore.exceptions import ClientError

    client = runtime_client(fake_bedrock)
    fake_bedrock.fail_next(1, kind)
    with pytest.raises(ClientError) as raised:
        client.converse(modelId=JP_PROFILE, messages=user("質問"))
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert isinstance(raised.value, getattr(client.exceptions, code))
    assert client.converse(modelId=JP_PROFILE, messages=user("質問"))["stopReason"] == "end_turn"
    assert [r["failure"] for r in fake_bedrock.requests] == [kind, None]


def test_throttled_stream_fails_before_any_event(fake_bedrock):
    from botocore.exceptions import ClientError

    fake_bedrock.fail_next(1, "throttle")
    with pytest.raises(ClientError, match="ThrottlingException"):
        runtime_client(fake_bedrock).converse_stream(modelId=JP_PROFILE, messages=user("質問"))


def test_fail_next_rejects_unknown_kind(fake_bedrock):
    with pytest.raises(ValueError, match="unknown failure kind"):
        fake_bedrock.fail_next(1, "meltdown")


def test_titan_embeddings_are_deterministic_normalised_and_similarity_preserving(fake_bedrock):
    client = runtime_client(fake_bedrock)

    def embed(text: str) -> dict:
        body = json.dumps({"inputText": text, "dimensions": 256, "normalize": True})
        response = client.invoke_model(modelId=TITAN_EMBED_V2, body=body, contentType="application/json")
        assert response["contentType"] == "application/json"
        return json.loads(response["body"].read())

    first, again = embed("住民票の写しの交付申請"), embed("住民票の写しの交付申請")
    similar, unrelated = embed("住民票の写しを申請したい"), embed("道路占用許可の更新手続")
    assert len(first["embedding"]) == 256 and first["inputTextTokenCount"] > 0
    assert first["embedding"] == again["embedding"]
    assert math.isclose(math.fsum(v * v for v in first["embedding"]), 1.0)
    assert cosine(first["embedding"], similar["embedding"]) > cosine(
        first["embedding"], unrelated["embedding"]
    )


def test_titan_rejects_unsupported_dimensions(fake_bedrock):
    from botocore.exceptions import ClientError

    body = json.dumps({"inputText": "本文", "dimensions": 300})
    with pytest.raises(ClientError, match="ValidationException"):
        runtime_client(fake_bedrock).invoke_model(modelId=TITAN_EMBED_V2, body=body)


def test_cohere_multilingual_embeddings(fake_bedrock):
    texts = ["転入届の期限", "道路占用許可"]
    body = json.dumps({"texts": texts, "input_type": "search_document"})
    response = runtime_client(fake_bedrock).invoke_model(modelId=COHERE_EMBED_MULTILINGUAL_V3, body=body)
    result = json.loads(response["body"].read())
    assert result["response_type"] == "embeddings_floats"
    assert result["texts"] == texts and result["id"]
    assert [len(vector) for vector in result["embeddings"]] == [1024, 1024]


@pytest.mark.parametrize(
    "model_id", [JP_PROFILE, "arn:aws:bedrock:ap-northeast-1::foundation-model/amazon.nova-lite-v1:0"]
)
def test_request_log_holds_decoded_model_ids_and_bodies(fake_bedrock, model_id):
    client = runtime_client(fake_bedrock)
    client.converse(modelId=model_id, messages=user("質問"), inferenceConfig={"maxTokens": 64})
    client.invoke_model(modelId=TITAN_EMBED_V2, body=json.dumps({"inputText": "本文"}))
    converse, invoke = fake_bedrock.requests
    assert (converse["operation"], converse["model_id"]) == ("Converse", model_id)
    assert converse["body"]["messages"] == user("質問")
    assert converse["body"]["inferenceConfig"] == {"maxTokens": 64}
    assert (invoke["operation"], invoke["model_id"], invoke["body"]) == (
        "InvokeModel",
        TITAN_EMBED_V2,
        {"inputText": "本文"},
    )


def test_reset_forgets_requests_scripts_and_failures(fake_bedrock):
    client = runtime_client(fake_bedrock)
    client.converse(modelId=JP_PROFILE, messages=user("質問"))
    fake_bedrock.script("残っていてはならない")
    fake_bedrock.fail_next(2, "throttle")
    fake_bedrock.reset()
    assert fake_bedrock.requests == []
    text = client.converse(modelId=JP_PROFILE, messages=user("質問"))["output"]["message"]["content"][0][
        "text"
    ]
    assert text.startswith("（フェイク応答）")


# --- Bedrock through langchain-aws -----------------------------------------------------------
def test_chat_bedrock_converse_invoke_and_stream(fake_bedrock):
    from langchain_aws import ChatBedrockConverse

    model = ChatBedrockConverse(model=JP_PROFILE, region_name="ap-northeast-1", endpoint_url=fake_bedrock.url)
    fake_bedrock.script("一つ目の回答です。", usage={"input_tokens": 9, "output_tokens": 4})
    message = model.invoke("転入届の期限は？")
    assert message.content == "一つ目の回答です。"
    assert message.usage_metadata["input_tokens"] == 9 and message.usage_metadata["output_tokens"] == 4

    fake_bedrock.script("ストリーミングの回答です。")
    chunks = list(model.stream("転入届の期限は？"))
    streamed = "".join(chunk.text for chunk in chunks)
    assert streamed == "ストリーミングの回答です。"
    assert [r["operation"] for r in fake_bedrock.requests] == ["Converse", "ConverseStream"]
    assert {r["model_id"] for r in fake_bedrock.requests} == {JP_PROFILE}


# --- OpenAI-compatible -----------------------------------------------------------------------
def openai_client(fake: FakeOpenAI):
    import openai

    return openai.OpenAI(base_url=fake.url, api_key="x", max_retries=0)


def test_openai_chat_completion_and_stream_with_usage(fake_openai):
    client = openai_client(fake_openai)
    fake_openai.script("はい、可能です。", usage={"input_tokens": 7, "output_tokens": 3})
    completion = client.chat.completions.create(
        model="fake-chat", messages=[{"role": "user", "content": "可能？"}]
    )
    assert completion.choices[0].message.content == "はい、可能です。"
    assert (completion.usage.prompt_tokens, completion.usage.total_tokens) == (7, 10)

    fake_openai.script("段階的に届く回答です。", usage={"input_tokens": 7, "output_tokens": 6})
    stream = client.chat.completions.create(
        model="fake-chat",
        messages=[{"role": "user", "content": "可能？"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "段階的に届く回答です。"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 6
    assert fake_openai.requests[1]["body"]["stream_options"] == {"include_usage": True}


def test_openai_default_reply_cites_first_source(fake_openai):
    prompt = "[1] 申請書は市民課で受け付けます。\n質問: どこで受け付けますか。"
    completion = openai_client(fake_openai).chat.completions.create(
        model="fake-chat", messages=[{"role": "user", "content": prompt}]
    )
    assert (
        completion.choices[0].message.content
        == "（フェイク応答）資料によれば、「申請書は市民課で受け付けます」とされています。[1]"
    )


def test_openai_models_and_embeddings(fake_openai):
    client = openai_client(fake_openai)
    assert [m.id for m in client.models.list()] == ["fake-chat", "fake-embedding"]
    result = client.embeddings.create(model="fake-embedding", input=["住民票", "戸籍"], dimensions=64)
    assert [len(item.embedding) for item in result.data] == [64, 64]
    assert fake_openai.requests[-1]["body"]["encoding_format"] == "base64"  # the SDK's default
    raw = client.embeddings.create(
        model="fake-embedding", input="住民票", dimensions=64, encoding_format="float"
    )
    assert raw.data[0].embedding == pytest.approx(result.data[0].embedding, abs=1e-6)


@pytest.mark.parametrize(
    ("kind", "error_name"), [("throttle", "RateLimitError"), ("server_error", "InternalServerError")]
)
def test_openai_injected_failures(fake_openai, kind, error_name):
    import openai

    fake_openai.fail_next(1, kind)
    with pytest.raises(getattr(openai, error_name)):
        openai_client(fake_openai).chat.completions.create(
            model="fake-chat", messages=[{"role": "user", "content": "?"}]
        )


def test_chat_openai_invoke_and_stream(fake_openai):
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(
        model="fake-chat", base_url=fake_openai.url, api_key="x", max_retries=0, stream_usage=True
    )
    fake_openai.script("通常の回答です。")
    assert model.invoke("質問").content == "通常の回答です。"
    fake_openai.script("ストリームの回答です。", usage={"input_tokens": 4, "output_tokens": 8})
    chunks = list(model.stream("質問"))
    assert "".join(chunk.text for chunk in chunks) == "ストリームの回答です。"
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert total.usage_metadata["output_tokens"] == 8


# --- CLI mode --------------------------------------------------------------------------------
def test_cli_serves_in_the_foreground():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.bedrock_server", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        body = json.dumps({"inputText": "本文", "dimensions": 256}).encode()
        request = urllib.request.Request(
            f"{url}/model/{TITAN_EMBED_V2.replace(':', '%3A')}/invoke", data=body
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert len(json.loads(response.read())["embedding"]) == 256
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_base64_embeddings_are_little_endian_float32(fake_openai):
    import struct

    request = urllib.request.Request(
        f"{fake_openai.url}/embeddings",
        data=json.dumps(
            {"model": "m", "input": "本文", "dimensions": 4, "encoding_format": "base64"}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        encoded = json.loads(response.read())["data"][0]["embedding"]
    values = struct.unpack("<4f", base64.b64decode(encoded))
    assert math.isclose(math.fsum(v * v for v in values), 1.0, rel_tol=1e-6)
