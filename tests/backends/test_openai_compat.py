"""OpenAI-compatible backends through the fake OpenAI server (real langchain-openai code)."""

from __future__ import annotations

import json

import pytest

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.router import ModelRequest, Router
from core.errors import BackendUnavailable


@pytest.fixture
def settings(tmp_path, fake_openai):
    return Settings(
        home=tmp_path,
        openai_base_url=fake_openai.url,
        openai_api_key="local-key",
        openai_models=["fake-chat"],
        backend_backoff_seconds=0.001,
        fallbacks={},
    )


def ask(settings, prompt="質問です。電話03-1234-5678"):
    router = Router(settings, JsonlAuditSink(settings.home / "audit.jsonl"))
    request = ModelRequest("ask", "職員として答えてください。", prompt, backend="openai/fake-chat")
    pieces: list[str] = []
    result = router.call(request, on_text=pieces.append)
    return "".join(pieces), result


def test_streams_from_the_configured_server(settings, fake_openai):
    fake_openai.script("市民課で受け付けています。", usage={"input_tokens": 30, "output_tokens": 12})
    text, result = ask(settings)
    assert text == "市民課で受け付けています。"
    (req,) = fake_openai.requests
    assert req["model_id"] == "fake-chat" and req["body"]["stream"] is True
    headers = {name.lower(): value for name, value in req["headers"].items()}
    assert headers["authorization"] == "Bearer local-key"
    assert result.usage["input_tokens"] == 30 and result.usage["output_tokens"] == 12
    assert result.usage["cost"] is None  # no price configured for a self-hosted model
    assert result.decision.data_location == "organisation"


def test_self_hosted_server_gets_unmasked_text(settings, fake_openai):
    ask(settings)
    assert "03-1234-5678" in json.dumps(fake_openai.requests[0]["body"], ensure_ascii=False)


def test_server_outside_the_organisation_gets_masked_text(settings, fake_openai):
    fake_openai.script("［電話番号1］へ")
    text, result = ask(settings.model_copy(update={"openai_data_location": "global"}))
    assert "03-1234-5678" not in json.dumps(fake_openai.requests[0]["body"], ensure_ascii=False)
    assert text == "03-1234-5678へ" and result.masked == {"phone": 1}


def test_rate_limit_is_retried(settings, fake_openai):
    fake_openai.fail_next(1, "throttle")
    _, result = ask(settings)
    outcomes = [outcome for _, outcome in result.attempts]
    assert (
        len(outcomes) == 2
        and outcomes[0].startswith("transient:")
        and "RateLimit" in outcomes[0]
        and outcomes[1] == "ok"
    )
    assert len(fake_openai.requests) == 2


def test_without_a_base_url_nothing_is_sent(tmp_path):
    settings = Settings(home=tmp_path, openai_base_url=None, fallbacks={})
    with pytest.raises(BackendUnavailable) as failed:
        ask(settings)
    assert "未設定" in failed.value.message
