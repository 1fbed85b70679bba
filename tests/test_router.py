"""The router end to end through the fake servers: policy, masking, retries, fallbacks, audit."""

from __future__ import annotations

import json

import pytest

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.router import ModelRequest, Router
from core.errors import BackendUnavailable, PolicyRefused, UnknownBackendError
from core.model import Chunk

HAIKU = "jp.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA = "apac.amazon.nova-lite-v1:0"


@pytest.fixture
def settings(tmp_path, fake_bedrock):
    return Settings(
        home=tmp_path,
        bedrock_endpoint_url=fake_bedrock.url,
        backend_backoff_seconds=0.001,
        backend_backoff_max_seconds=0.002,
        backend_timeout_seconds=10,
    )


@pytest.fixture
def audit_path(tmp_path):
    return tmp_path / "audit" / "audit.jsonl"


def router_for(settings, audit_path, **changes):
    return Router(settings.model_copy(update=changes), JsonlAuditSink(audit_path))


def audit_events(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def chunk(text="窓口は市民課です。", level=1, chunk_id="c1"):
    return Chunk(
        chunk_id=chunk_id, text=text, search_text=text, source="a.txt", title="案内", classification=level
    )


def request(backend=None, chunks=None, prompt="資料[1] 窓口は市民課です。\n質問: 窓口は？", **kw):
    return ModelRequest(
        task="ask",
        question="窓口は？",
        system="あなたは市役所の職員です。",
        prompt=prompt,
        chunks=chunks if chunks is not None else [chunk()],
        backend=backend,
        **kw,
    )


def test_explicit_choice_then_task_default_then_default_backend(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path, task_defaults={"ask": "bedrock/claude-sonnet-4-5"})
    assert router.decide(request("bedrock/claude-haiku-4-5")).address == "bedrock/claude-haiku-4-5"
    assert router.decide(request()).address == "bedrock/claude-sonnet-4-5"
    assert router.decide(ModelRequest("reply", "q", "", "p", [])).address == "offline/extractive"
    assert fake_bedrock.requests == []  # deciding sends nothing


def test_level3_chunk_is_refused_and_never_sent(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path)
    with pytest.raises(PolicyRefused) as refused:
        router.stream(request("bedrock/claude-haiku-4-5", [chunk(level=3)]))
    assert "機密性3" in refused.value.message
    assert "offline/extractive" in refused.value.message
    assert fake_bedrock.requests == []
    (event,) = audit_events(audit_path)
    assert event["outcome"] == "refused" and event["level"] == 3 and event["chunk_ids"] == ["c1"]


def test_level3_rerouted_to_offline_when_auto_allowed(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path)
    result = router.invoke(request("bedrock/claude-sonnet-4-5", [chunk(level=3)], allow_auto=True))
    assert result.decision.address == "offline/extractive"
    assert result.decision.mode == "extractive"
    assert "自動" in result.decision.reason
    assert "[1]" in result.text
    assert fake_bedrock.requests == []
    assert result.usage["cost"] == 0.0


def test_level2_refused_for_apac_and_global_backends(settings, audit_path, fake_bedrock):
    extra = {"sonnet-global": {"model_id": "global.anthropic.claude-sonnet-4-5-20250929-v1:0"}}
    router = router_for(settings, audit_path, bedrock_extra_models=extra)
    for address in ("bedrock/nova-lite", "bedrock/sonnet-global"):
        with pytest.raises(PolicyRefused):
            router.stream(request(address, [chunk(level=2)]))
    assert fake_bedrock.requests == []
    router.invoke(request("bedrock/claude-haiku-4-5", [chunk(level=2)]))  # japan: allowed
    assert [r["model_id"] for r in fake_bedrock.requests] == [HAIKU]


def test_level2_auto_reroute_uses_preference_list(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path)
    result = router.invoke(request("bedrock/nova-lite", [chunk(level=2)], allow_auto=True))
    assert result.decision.address == "bedrock/claude-haiku-4-5"
    assert [r["model_id"] for r in fake_bedrock.requests] == [HAIKU]


def test_level1_may_go_anywhere_configured(settings, audit_path, fake_bedrock):
    router_for(settings, audit_path).invoke(request("bedrock/nova-lite"))
    assert [r["model_id"] for r in fake_bedrock.requests] == [NOVA]


def test_throttling_is_retried_on_the_same_backend(settings, audit_path, fake_bedrock):
    fake_bedrock.fail_next(2, "throttle")
    result = router_for(settings, audit_path).invoke(request("bedrock/claude-haiku-4-5"))
    assert result.decision.address == "bedrock/claude-haiku-4-5"
    assert [outcome for _, outcome in result.attempts] == [
        "transient:ThrottlingException",
        "transient:ThrottlingException",
        "ok",
    ]
    assert len(fake_bedrock.requests) == 3


def test_throttling_exhausts_retries_then_falls_back(settings, audit_path, fake_bedrock):
    fake_bedrock.fail_next(3, "throttle")
    result = router_for(settings, audit_path).invoke(request("bedrock/claude-sonnet-4-5"))
    assert [r["model_id"] for r in fake_bedrock.requests] == [SONNET] * 3 + [HAIKU]
    assert result.decision.address == "bedrock/claude-haiku-4-5"
    assert "代替" in result.decision.reason
    event = audit_events(audit_path)[-1]
    assert (
        event["backend"] == "bedrock/claude-haiku-4-5" and event["requested"] == "bedrock/claude-sonnet-4-5"
    )
    assert len(event["attempts"]) == 4


def test_fallbacks_are_checked_against_the_policy(settings, audit_path, fake_bedrock):
    fallbacks = {"bedrock/claude-haiku-4-5": ["bedrock/nova-lite", "offline/extractive"]}
    router = router_for(settings, audit_path, fallbacks=fallbacks)
    fake_bedrock.fail_next(3, "unavailable")
    result = router.invoke(request("bedrock/claude-haiku-4-5", [chunk(level=2)]))
    assert result.decision.address == "offline/extractive"
    assert ("bedrock/nova-lite", "refused_by_policy") in result.attempts
    assert {r["model_id"] for r in fake_bedrock.requests} == {HAIKU}


def test_validation_errors_are_not_retried(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path, fallbacks={})
    fake_bedrock.fail_next(1, "validation")
    with pytest.raises(BackendUnavailable):
        router.invoke(request("bedrock/claude-haiku-4-5"))
    assert len(fake_bedrock.requests) == 1


def test_all_backends_failing_raises_japanese_unavailable(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path, fallbacks={"*": []}, backend_max_attempts=2)
    fake_bedrock.fail_next(2, "server_error")
    with pytest.raises(BackendUnavailable) as failed:
        router.invoke(request("bedrock/claude-haiku-4-5"))
    assert "bedrock/claude-haiku-4-5" in failed.value.message
    assert "しばらく待ってから" in failed.value.message
    assert audit_events(audit_path)[-1]["outcome"] == "unavailable"


def test_personal_data_masked_on_the_wire_and_restored_in_the_answer(settings, audit_path, fake_bedrock):
    source = "担当：山田（電話03-1234-5678、yamada@city.example.lg.jp）。個人番号123456789018。〒100-0001"
    fake_bedrock.script("［電話番号1］または［メール1］へ。番号は［個人番号1］、［郵便番号1］です。")
    router = router_for(settings, audit_path)
    pieces = list(
        router.stream(request("bedrock/claude-haiku-4-5", [chunk(source)], prompt=f"資料[1] {source}"))
    )
    wire = json.dumps(fake_bedrock.requests[0]["body"], ensure_ascii=False)
    for value in ("03-1234-5678", "yamada@city.example.lg.jp", "123456789018", "100-0001"):
        assert value not in wire
    assert "［電話番号1］" in wire and "［個人番号1］" in wire
    answer = "03-1234-5678またはyamada@city.example.lg.jpへ。番号は123456789018、100-0001です。"
    assert "".join(pieces) == answer == router.last_result.text
    assert len(pieces) > 1  # it really streamed, across placeholder boundaries
    counts = {"phone": 1, "email": 1, "my_number": 1, "postal_code": 1}
    assert router.last_result.masked == counts
    assert audit_events(audit_path)[-1]["masked"] == counts
    assert "03-1234-5678" not in audit_path.read_text(encoding="utf-8")


def test_usage_and_cost_recorded_in_the_audit(settings, audit_path, fake_bedrock):
    fake_bedrock.script("回答です。[1]", usage={"input_tokens": 1000, "output_tokens": 500})
    router = router_for(settings, audit_path)
    result = router.invoke(request("bedrock/claude-sonnet-4-5", user="suzuki"))
    assert result.usage == {"input_tokens": 1000, "output_tokens": 500, "cost": pytest.approx(0.01155)}
    event = audit_events(audit_path)[-1]
    assert event["usage"] == {"input_tokens": 1000, "output_tokens": 500, "cost": pytest.approx(0.01155)}
    assert event["cost"] == pytest.approx(0.01155)
    assert event["user"] == "suzuki" and event["task"] == "ask" and event["model_id"] == SONNET
    assert event["outcome"] == "ok" and event["mode"] == "llm" and event["level"] == 1
    assert event["latency_ms"] >= 0 and event["chunk_ids"] == ["c1"]


def test_cancelled_stream_is_audited(settings, audit_path, fake_bedrock):
    fake_bedrock.script("とても長い回答です。" * 5)
    stream = router_for(settings, audit_path).stream(request("bedrock/claude-haiku-4-5"))
    next(stream)
    stream.close()
    assert audit_events(audit_path)[-1]["outcome"] == "cancelled"


def test_unknown_backend_is_an_error_before_anything_is_sent(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path)
    with pytest.raises(UnknownBackendError):
        router.stream(request("bedrock/no-such-model"))
    assert fake_bedrock.requests == []
    assert audit_events(audit_path)[-1]["outcome"] == "error"


def test_default_audit_path_is_under_home(settings, fake_bedrock):
    Router(settings).invoke(request("offline/extractive"))
    assert len(audit_events(settings.home / "audit.jsonl")) == 1
