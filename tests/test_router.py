"""The router end to end through the fake servers: policy, masking, retries, fallbacks, audit."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field

from assistant.audit import JsonlAuditSink
from assistant.backends.base import Reply
from assistant.config import Settings
from assistant.router import ModelRequest, Router
from core.errors import BackendUnavailable, Cancelled, InvalidModelOutput, PolicyRefused, UnknownBackendError
from core.model import Chunk
from core.policy import level_of
from tests.support.audit import events as audit_events

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


def chunk(text="窓口は市民課です。", level=1, chunk_id="c1"):
    return Chunk(
        chunk_id=chunk_id, text=text, search_text=text, source="a.txt", title="案内", classification=level
    )


def request(backend=None, chunks=None, prompt="資料[1] 窓口は市民課です。\n質問: 窓口は？", **kw):
    chunks = chunks if chunks is not None else [chunk()]
    return ModelRequest(
        task="ask",
        system="あなたは市役所の職員です。",
        prompt=prompt,
        level=level_of(chunks),
        chunk_ids=[c.chunk_id for c in chunks],
        backend=backend,
        offline=lambda: Reply(text="窓口は市民課です。[1]"),
        **kw,
    )


def test_explicit_choice_then_task_default_then_default_backend(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path, task_defaults={"ask": "bedrock/claude-sonnet-4-5"})
    assert router.decide(request("bedrock/claude-haiku-4-5")).address == "bedrock/claude-haiku-4-5"
    assert router.decide(request()).address == "bedrock/claude-sonnet-4-5"
    assert router.decide(ModelRequest("reply", "", "p")).address == "offline/extractive"
    assert fake_bedrock.requests == []  # deciding sends nothing


def test_level3_chunk_is_refused_and_never_sent(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path)
    with pytest.raises(PolicyRefused) as refused:
        router.call(request("bedrock/claude-haiku-4-5", [chunk(level=3)]))
    assert "機密性3" in refused.value.message
    assert "offline/extractive" in refused.value.message
    assert fake_bedrock.requests == []
    (event,) = audit_events(audit_path)
    assert event["outcome"] == "refused" and event["level"] == 3 and event["chunk_ids"] == ["c1"]


def test_level3_rerouted_to_offline_when_auto_allowed(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path)
    result = router.call(request("bedrock/claude-sonnet-4-5", [chunk(level=3)], allow_auto=True))
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
            router.call(request(address, [chunk(level=2)]))
    assert fake_bedrock.requests == []
    router.call(request("bedrock/claude-haiku-4-5", [chunk(level=2)]))  # japan: allowed
    assert [r["model_id"] for r in fake_bedrock.requests] == [HAIKU]


def test_level2_auto_reroute_uses_preference_list(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path)
    result = router.call(request("bedrock/nova-lite", [chunk(level=2)], allow_auto=True))
    assert result.decision.address == "bedrock/claude-haiku-4-5"
    assert [r["model_id"] for r in fake_bedrock.requests] == [HAIKU]


def test_level1_may_go_anywhere_configured(settings, audit_path, fake_bedrock):
    router_for(settings, audit_path).call(request("bedrock/nova-lite"))
    assert [r["model_id"] for r in fake_bedrock.requests] == [NOVA]


def test_throttling_is_retried_on_the_same_backend(settings, audit_path, fake_bedrock):
    fake_bedrock.fail_next(2, "throttle")
    result = router_for(settings, audit_path).call(request("bedrock/claude-haiku-4-5"))
    assert result.decision.address == "bedrock/claude-haiku-4-5"
    assert [outcome for _, outcome in result.attempts] == [
        "transient:ThrottlingException",
        "transient:ThrottlingException",
        "ok",
    ]
    assert len(fake_bedrock.requests) == 3


def test_throttling_exhausts_retries_then_falls_back(settings, audit_path, fake_bedrock):
    fake_bedrock.fail_next(3, "throttle")
    result = router_for(settings, audit_path).call(request("bedrock/claude-sonnet-4-5", allow_auto=True))
    assert [r["model_id"] for r in fake_bedrock.requests] == [SONNET] * 3 + [HAIKU]
    assert result.decision.address == "bedrock/claude-haiku-4-5"
    assert "代替" in result.decision.reason
    event = audit_events(audit_path)[-1]
    assert (
        event["backend"] == "bedrock/claude-haiku-4-5" and event["requested"] == "bedrock/claude-sonnet-4-5"
    )
    assert len(event["attempts"]) == 4


def test_a_chosen_model_is_not_replaced_without_permission(settings, audit_path, fake_bedrock):
    fake_bedrock.fail_next(3, "unavailable")
    with pytest.raises(BackendUnavailable) as raised:
        router_for(settings, audit_path).call(request("bedrock/claude-sonnet-4-5"))
    assert {r["model_id"] for r in fake_bedrock.requests} == {SONNET}  # no other model was asked
    assert "自動切替を許可すると" in raised.value.message
    assert audit_events(audit_path)[-1]["outcome"] == "unavailable"
    # a default (not chosen) model still falls back, and says so
    fake_bedrock.fail_next(3, "unavailable")
    result = router_for(settings, audit_path, default_backend="bedrock/claude-sonnet-4-5").call(request())
    assert result.requested is not None and result.decision.address != "bedrock/claude-sonnet-4-5"


def test_fallbacks_are_checked_against_the_policy(settings, audit_path, fake_bedrock):
    fallbacks = {"bedrock/claude-haiku-4-5": ["bedrock/nova-lite", "offline/extractive"]}
    router = router_for(settings, audit_path, fallbacks=fallbacks)
    fake_bedrock.fail_next(3, "unavailable")
    result = router.call(request("bedrock/claude-haiku-4-5", [chunk(level=2)], allow_auto=True))
    assert result.decision.address == "offline/extractive"
    assert ("bedrock/nova-lite", "refused_by_policy") in result.attempts
    assert {r["model_id"] for r in fake_bedrock.requests} == {HAIKU}


def test_validation_errors_are_not_retried(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path, fallbacks={})
    fake_bedrock.fail_next(1, "validation")
    with pytest.raises(BackendUnavailable):
        router.call(request("bedrock/claude-haiku-4-5"))
    assert len(fake_bedrock.requests) == 1


def test_all_backends_failing_raises_japanese_unavailable(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path, fallbacks={"*": []}, backend_max_attempts=2)
    fake_bedrock.fail_next(2, "server_error")
    with pytest.raises(BackendUnavailable) as failed:
        router.call(request("bedrock/claude-haiku-4-5"))
    assert "bedrock/claude-haiku-4-5" in failed.value.message
    assert "しばらく待ってから" in failed.value.message
    assert audit_events(audit_path)[-1]["outcome"] == "unavailable"


def test_personal_data_masked_on_the_wire_and_restored_in_the_answer(settings, audit_path, fake_bedrock):
    source = "担当：山田（電話03-1234-5678、yamada@city.example.lg.jp）。個人番号123456789018。〒100-0001"
    fake_bedrock.script("［電話番号1］または［メール1］へ。番号は［個人番号1］、［郵便番号1］です。")
    router = router_for(settings, audit_path)
    pieces = []
    result = router.call(
        request("bedrock/claude-haiku-4-5", [chunk(source)], prompt=f"資料[1] {source}"),
        on_text=pieces.append,
    )
    wire = json.dumps(fake_bedrock.requests[0]["body"], ensure_ascii=False)
    for value in ("03-1234-5678", "yamada@city.example.lg.jp", "123456789018", "100-0001"):
        assert value not in wire
    assert "［電話番号1］" in wire and "［個人番号1］" in wire
    answer = "03-1234-5678またはyamada@city.example.lg.jpへ。番号は123456789018、100-0001です。"
    assert "".join(pieces) == answer == result.text
    assert len(pieces) > 1  # it really streamed, across placeholder boundaries
    counts = {"phone": 1, "email": 1, "my_number": 1, "postal_code": 1, "name": 1}
    assert result.masked == counts
    assert audit_events(audit_path)[-1]["masked"] == counts
    assert "03-1234-5678" not in audit_path.read_text(encoding="utf-8")


def test_usage_and_cost_recorded_in_the_audit(settings, audit_path, fake_bedrock):
    fake_bedrock.script("回答です。[1]", usage={"input_tokens": 1000, "output_tokens": 500})
    router = router_for(settings, audit_path)
    result = router.call(request("bedrock/claude-sonnet-4-5", user="suzuki"))
    assert result.usage == {"input_tokens": 1000, "output_tokens": 500, "cost": pytest.approx(0.01155)}
    event = audit_events(audit_path)[-1]
    assert event["usage"] == {"input_tokens": 1000, "output_tokens": 500, "cost": pytest.approx(0.01155)}
    assert event["cost"] == pytest.approx(0.01155)
    assert event["user"] == "suzuki" and event["task"] == "ask" and event["model_id"] == SONNET
    assert event["outcome"] == "ok" and event["mode"] == "llm" and event["level"] == 1
    assert event["latency_ms"] >= 0 and event["chunk_ids"] == ["c1"]


def test_cancelled_stream_is_audited(settings, audit_path, fake_bedrock):
    fake_bedrock.script("とても長い回答です。" * 5)
    pieces = []

    def stop_after_first() -> None:
        if pieces:
            raise Cancelled("stopped")

    with pytest.raises(Cancelled):
        router_for(settings, audit_path).call(
            request("bedrock/claude-haiku-4-5"), on_text=pieces.append, check=stop_after_first
        )
    assert len(pieces) == 1
    assert audit_events(audit_path)[-1]["outcome"] == "cancelled"


def test_unknown_backend_is_an_error_before_anything_is_sent(settings, audit_path, fake_bedrock):
    router = router_for(settings, audit_path)
    with pytest.raises(UnknownBackendError):
        router.call(request("bedrock/no-such-model"))
    assert fake_bedrock.requests == []
    assert audit_events(audit_path)[-1]["outcome"] == "error"


def test_default_audit_path_is_under_home(settings, fake_bedrock):
    Router(settings).call(request("offline/extractive"))
    assert len(audit_events(settings.home / "audit.jsonl")) == 1


def test_sixteen_concurrent_calls_through_one_router_each_get_their_own_result(
    settings, audit_path, fake_bedrock
):
    from concurrent.futures import ThreadPoolExecutor

    router = router_for(settings, audit_path)
    fake_bedrock.delay_seconds = 0.05  # calls overlap on the server

    def one(i: int):
        prompt = f"資料[1] 第{i}番窓口の担当は{'あ' * (2 * i)}係です。\n質問: 第{i}番窓口は？"
        pieces: list[str] = []
        result = router.call(
            request("bedrock/claude-haiku-4-5", prompt=prompt, user=f"u{i}"), on_text=pieces.append
        )
        return i, prompt, "".join(pieces), result

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(one, range(16)))
    by_prompt = {}
    for req in fake_bedrock.requests:
        (message,) = req["body"]["messages"]
        by_prompt["".join(block["text"] for block in message["content"])] = req
    input_tokens = {result.usage["input_tokens"] for _, _, _, result in outcomes}
    assert len(input_tokens) == 16  # every call counted its own tokens
    for i, prompt, streamed, result in outcomes:
        assert f"第{i}番窓口" in result.text and streamed == result.text  # its own answer, streamed to it
        assert prompt in by_prompt
        assert result.attempts == [("bedrock/claude-haiku-4-5", "ok")]
    events = [e for e in audit_events(audit_path) if e["outcome"] == "ok"]
    assert sorted(e["user"] for e in events) == sorted(f"u{i}" for i in range(16))
    for event in events:  # each audit event carries the usage of its own call
        i = int(event["user"][1:])
        assert event["usage"] == outcomes[i][3].usage


class Answer(BaseModel):
    answer: str = Field(description="回答本文")
    citations: list[int] = Field(description="引用した資料の番号")


def _structured_settings(settings, fake_openai):
    return settings.model_copy(
        update={"openai_base_url": fake_openai.url, "openai_models": ["fake-chat"], "fallbacks": {}}
    )


@pytest.mark.parametrize("address", ["bedrock/claude-haiku-4-5", "openai/fake-chat"])
def test_structured_output_is_retried_once_when_invalid(
    settings, audit_path, fake_bedrock, fake_openai, address
):
    fake = fake_bedrock if address.startswith("bedrock") else fake_openai
    valid = {"answer": "担当は［電話番号1］です。[1]", "citations": [1]}
    fake.script_structured([{"answer": 1}, valid])
    router = router_for(_structured_settings(settings, fake_openai), audit_path)
    prompt = "資料[1] 担当の電話は03-1234-5678です。\n質問: 担当は？"
    result = router.call(request(address, prompt=prompt, schema=Answer))
    assert isinstance(result.data, Answer) and result.data.citations == [1]
    assert [a[1] for a in result.attempts] == ["invalid_output", "ok"]
    assert len(fake.requests) == 2 and "形式に適合しません" in json.dumps(
        fake.requests[1]["body"], ensure_ascii=False
    )
    if address.startswith("bedrock"):  # external: masked on the wire, placeholders restored in the object
        assert result.data.answer == "担当は03-1234-5678です。[1]"
        assert "03-1234-5678" not in json.dumps([r["body"] for r in fake.requests], ensure_ascii=False)


@pytest.mark.parametrize("address", ["bedrock/claude-haiku-4-5", "openai/fake-chat"])
def test_structured_output_invalid_twice_is_a_clear_error(
    settings, audit_path, fake_bedrock, fake_openai, address
):
    fake = fake_bedrock if address.startswith("bedrock") else fake_openai
    fake.script_structured([{"answer": 1}, {"citations": "x"}])
    router = router_for(_structured_settings(settings, fake_openai), audit_path)
    with pytest.raises(InvalidModelOutput, match="形式に適合しませんでした"):
        router.call(request(address, schema=Answer))
    assert audit_events(audit_path)[-1]["outcome"] == "invalid_output"
