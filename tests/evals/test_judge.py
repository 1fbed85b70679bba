"""The LLM judge through the router and the fake Bedrock server: prompts, structured verdicts, policy, audit."""

from __future__ import annotations

import json

import pytest

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.prompts import load_prompt
from assistant.router import Router
from evals.scorers import get_scorers
from evals.scorers.judge import ASPECTS, Judge, JudgeNotConfigured
from evals.types import Item, Outcome
from tests.support.audit import events as audit_events

HAIKU = "bedrock/claude-haiku-4-5"
SOURCE_TEXT = "住民票の写しの交付は市民課の窓口で受け付けます。担当：電話03-1234-5678。"


@pytest.fixture
def audit_path(tmp_path):
    return tmp_path / "audit" / "audit.jsonl"


@pytest.fixture
def router(tmp_path, fake_bedrock, audit_path):
    settings = Settings(
        home=tmp_path,
        bedrock_endpoint_url=fake_bedrock.url,
        backend_backoff_seconds=0.001,
        backend_backoff_max_seconds=0.002,
        backend_timeout_seconds=10,
    )
    return Router(settings, JsonlAuditSink(audit_path))


def item() -> Item:
    return Item(id="q1", input={"question": "住民票はどこで受け取れますか。"}, expected={"reference": "市民課の窓口です。"})


def outcome(level: int | None = 1, text: str = "市民課の窓口で受け付けます。[1]", **kw) -> Outcome:
    source = {"chunk_id": "c1", "title": "住民票の案内", "source": "a.txt", "text": SOURCE_TEXT}
    if level is not None:
        source["classification"] = level
    values = {"item_id": "q1", "variant": "v", "output": {"answer": text}, "text": text, "citations": [],
              "sources": [source], "mode": "llm"}
    return Outcome(**(values | kw))


def test_prompts_load_with_their_placeholders():
    assert load_prompt("judge_system").placeholders == frozenset()
    assert load_prompt("judge_groundedness").placeholders == {"question", "answer", "sources"}
    assert load_prompt("judge_relevance").placeholders == {"question", "answer", "reference"}
    assert load_prompt("judge_style").placeholders == {"answer"}


def test_judge_scores_each_aspect_through_the_router(router, fake_bedrock, audit_path):
    fake_bedrock.script_structured(
        [{"score": 5, "reason": "資料どおり"}, {"score": 4, "reason": "要点に回答"}, {"score": 3, "reason": "やや硬い"}],
        usage={"input_tokens": 1000, "output_tokens": 100},
    )
    (judge,) = get_scorers(["judge"], judge_router=router, judge_backend=HAIKU)
    result = judge.score(item(), outcome(level=2))  # level 2 may go to a backend in Japan
    assert {k: result[k] for k in ("judge_groundedness", "judge_relevance", "judge_style")} == {
        "judge_groundedness": 5.0,
        "judge_relevance": 4.0,
        "judge_style": 3.0,
    }
    assert result["judge_refused"] == 0.0 and result["judge_failed"] == 0.0
    assert result["judge_cost_usd"] > 0
    assert len(fake_bedrock.requests) == 3
    grounded = fake_bedrock.requests[0]["body"]["messages"][0]["content"][0]["text"]
    assert '<source id="1" title="住民票の案内"' in grounded and "根拠性" in grounded
    assert "03-1234-5678" not in grounded  # masked before leaving the organisation
    assert "<reference>" in json.dumps(fake_bedrock.requests[1]["body"], ensure_ascii=False)
    events = audit_events(audit_path)
    assert [e["task"] for e in events] == ["judge"] * 3
    assert all(e["level"] == 2 and e["chunk_ids"] == ["c1"] and e["outcome"] == "ok" for e in events)


def test_level3_source_is_refused_by_policy_and_never_sent(router, fake_bedrock, audit_path):
    judge = Judge(router=router, backend=HAIKU)
    result = judge.score(item(), outcome(level=3))
    assert result["judge_refused"] == 1.0
    assert all(result[f"judge_{a}"] is None for a in ASPECTS)
    assert fake_bedrock.requests == []
    (event,) = audit_events(audit_path)
    assert event["outcome"] == "refused" and event["level"] == 3 and event["task"] == "judge"


def test_source_without_classification_counts_as_level3(router, fake_bedrock):
    result = Judge(router=router, backend=HAIKU).score(item(), outcome(level=None))
    assert result["judge_refused"] == 1.0 and fake_bedrock.requests == []
    fake_bedrock.script_structured([{"score": 2, "reason": "r"}])
    lenient = Judge(router=router, backend=HAIKU, aspects=["style"], default_level=1)
    assert lenient.score(item(), outcome(level=None))["judge_style"] == 2.0


def test_invalid_verdict_twice_is_a_failure_not_a_crash(router, fake_bedrock):
    fake_bedrock.script_structured([{"score": 9, "reason": "x"}, {"score": 0, "reason": "x"}])
    result = Judge(router=router, backend=HAIKU, aspects=["relevance"]).score(item(), outcome())
    assert result["judge_relevance"] is None and result["judge_failed"] == 1.0


def test_errored_outcome_is_not_sent(router, fake_bedrock):
    result = Judge(router=router, backend=HAIKU).score(item(), outcome(text="", output=None, error="boom"))
    assert all(result[f"judge_{a}"] is None for a in ASPECTS)
    assert fake_bedrock.requests == []


def test_judge_needs_an_llm_backend(router):
    with pytest.raises(JudgeNotConfigured):
        Judge(router=router)  # no task default for "judge"
    with pytest.raises(JudgeNotConfigured):
        Judge(router=router, backend="offline/extractive")
    configured = Router(router.settings.model_copy(update={"task_defaults": {"judge": HAIKU}}), router.audit)
    assert Judge(router=configured).backend == HAIKU
