"""Bedrock chat backends through the fake Bedrock Runtime (real boto3 and langchain-aws)."""

from __future__ import annotations

import pytest

from assistant.audit import JsonlAuditSink
from assistant.backends.base import Reply
from assistant.backends.bedrock import location_for
from assistant.backends.registry import resolve
from assistant.config import Settings
from assistant.router import ModelRequest, Router

ALIASES = {
    "bedrock/claude-sonnet-4-5": "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "bedrock/claude-haiku-4-5": "jp.anthropic.claude-haiku-4-5-20251001-v1:0",
    "bedrock/nova-lite": "apac.amazon.nova-lite-v1:0",
}


@pytest.fixture
def settings(tmp_path, fake_bedrock):
    return Settings(home=tmp_path, bedrock_endpoint_url=fake_bedrock.url, backend_backoff_seconds=0.001)


def ask(settings, backend, system="あなたは職員です。", prompt="質問です。"):
    router = Router(settings, JsonlAuditSink(settings.home / "audit.jsonl"))
    request = ModelRequest(task="ask", system=system, prompt=prompt, backend=backend)
    pieces: list[str] = []
    result = router.call(request, on_text=pieces.append)
    return pieces, result


def test_switching_aliases_sends_the_configured_model_ids(settings, fake_bedrock):
    for address in ALIASES:
        ask(settings, address)
    assert [r["model_id"] for r in fake_bedrock.requests] == list(ALIASES.values())
    assert {r["operation"] for r in fake_bedrock.requests} == {"ConverseStream"}


def test_streams_pieces_with_system_prompt_and_usage(settings, fake_bedrock):
    text = (
        "ご質問の件は、市民課の窓口で受け付けています。受付時間は平日の午前8時30分から午後5時15分までです。"
    )
    fake_bedrock.script(text, usage={"input_tokens": 200, "output_tokens": 40})
    pieces, result = ask(settings, "bedrock/claude-haiku-4-5", system="公用文で答えてください。")
    assert len(pieces) > 1 and "".join(pieces) == text
    body = fake_bedrock.requests[0]["body"]
    assert body["system"] == [{"text": "公用文で答えてください。"}]
    assert body["messages"][0]["content"] == [{"text": "質問です。"}]
    assert body["inferenceConfig"]["maxTokens"] == settings.llm_max_tokens
    assert result.usage["input_tokens"] == 200 and result.usage["output_tokens"] == 40
    assert result.usage["cost"] == pytest.approx((200 * 1.10 + 40 * 5.50) / 1_000_000)


def test_empty_system_prompt_is_not_sent(settings, fake_bedrock):
    ask(settings, "bedrock/nova-lite", system="")
    assert "system" not in fake_bedrock.requests[0]["body"] or not fake_bedrock.requests[0]["body"]["system"]


def test_another_model_is_added_by_configuration_alone(settings, fake_bedrock):
    extra = {
        "llama": {
            "model_id": "meta.llama3-70b-instruct-v1:0",
            "input_per_mtok": 2.65,
            "output_per_mtok": 3.5,
        }
    }
    settings = settings.model_copy(update={"bedrock_extra_models": extra})
    spec = resolve(settings, "bedrock/llama")
    assert spec.data_location == "japan"  # bare model ID, called in ap-northeast-1
    fake_bedrock.script("回答", usage={"input_tokens": 1_000_000, "output_tokens": 0})
    _, result = ask(settings, "bedrock/llama")
    assert fake_bedrock.requests[0]["model_id"] == "meta.llama3-70b-instruct-v1:0"
    assert result.usage["cost"] == pytest.approx(2.65)


def test_alias_ids_and_locations_come_from_configuration(settings):
    settings = settings.model_copy(
        update={"bedrock_models": {"nova-lite": "jp.amazon.nova-lite-v1:0"}, "model_prices": {}}
    )
    spec = resolve(settings, "bedrock/nova-lite")
    assert (spec.model_id, spec.data_location, spec.input_per_mtok) == (
        "jp.amazon.nova-lite-v1:0",
        "japan",
        None,
    )


@pytest.mark.parametrize(
    ("model_id", "region", "location"),
    [
        ("jp.anthropic.claude-haiku-4-5-20251001-v1:0", "ap-northeast-1", "japan"),
        ("apac.amazon.nova-lite-v1:0", "ap-northeast-1", "apac"),
        ("au.anthropic.claude-haiku-4-5-20251001-v1:0", "ap-southeast-2", "apac"),
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-northeast-1", "global"),
        ("us.amazon.nova-lite-v1:0", "us-east-1", "global"),
        ("amazon.titan-embed-text-v2:0", "ap-northeast-3", "japan"),
        ("amazon.titan-embed-text-v2:0", "ap-southeast-1", "apac"),
        ("amazon.titan-embed-text-v2:0", "eu-central-1", "global"),
        ("arn:aws:bedrock:ap-northeast-1::foundation-model/amazon.nova-lite-v1:0", "us-east-1", "japan"),
        (
            "arn:aws:bedrock:ap-northeast-1:123456789012:application-inference-profile/abc",
            "ap-northeast-1",
            "global",
        ),
    ],
)
def test_location_for(model_id, region, location):
    assert location_for(model_id, region) == location


def test_read_timeout_counts_as_transient_and_falls_back(settings, fake_bedrock):
    settings = settings.model_copy(update={"backend_timeout_seconds": 0.3, "backend_max_attempts": 1})
    fake_bedrock.delay_seconds = 1.0
    router = Router(settings, JsonlAuditSink(settings.home / "audit.jsonl"))
    text = "窓口は市民課です。"
    offline = lambda: Reply(text=text)  # noqa: E731
    result = router.call(
        ModelRequest("ask", "", text, backend="bedrock/nova-lite", offline=offline, allow_auto=True)
    )
    assert result.attempts[0] == ("bedrock/nova-lite", "transient:ReadTimeoutError")
    assert result.decision.address == "offline/extractive"
