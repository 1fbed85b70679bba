"""The task runner: one path for every task — audit of every outcome, cancellation, timeouts, substitution."""

from __future__ import annotations

import threading

import pytest

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.router import Router
from assistant.tasks.ask import ASK, NO_ANSWER, AskInput
from assistant.tasks.base import Principal, Sources
from assistant.tasks.runner import NO_MODEL_REASON, Runner
from core.errors import AccessDenied, Cancelled, TaskTimeout
from core.model import Chunk
from tests.support.audit import events

TEXT = "住民票の写しの交付手数料は、1通につき300円とする。"
CHUNK = Chunk("c1", TEXT, TEXT, "手数料条例.pdf", "手数料条例")


@pytest.fixture
def settings(tmp_path, fake_bedrock):
    return Settings(
        home=tmp_path,
        bedrock_endpoint_url=fake_bedrock.url,
        backend_backoff_seconds=0.001,
        backend_backoff_max_seconds=0.002,
        backend_max_attempts=1,
        backend_groups={"bedrock/claude-sonnet-*": ["企画課"]},
    )


@pytest.fixture
def runner(settings, tmp_path):
    return Runner(settings, Router(settings, JsonlAuditSink(tmp_path / "audit.jsonl")))


QUESTION = AskInput(question="住民票の写しの手数料はいくらですか")


def test_fallback_after_errors_is_stated_on_the_output(runner, fake_bedrock, tmp_path):
    fake_bedrock.fail_next(5, "unavailable")
    result = runner.run(
        ASK, QUESTION, backend="bedrock/claude-haiku-4-5", allow_auto=True, sources=Sources([CHUNK])
    )
    assert result.backend == "offline/extractive" and result.requested_backend == "bedrock/claude-haiku-4-5"
    assert "bedrock/claude-haiku-4-5" in result.substitution and "offline/extractive" in result.substitution
    assert "300円" in result.answer


def test_policy_re_routing_is_stated_on_the_output(runner):
    secret = Chunk("c3", TEXT, TEXT, "a.pdf", "内部資料", classification=3)
    result = runner.run(
        ASK, QUESTION, backend="bedrock/nova-lite", allow_auto=True, sources=Sources([secret])
    )
    assert result.requested_backend == "bedrock/nova-lite" and result.backend != "bedrock/nova-lite"
    assert "機密性3" in result.substitution


def test_a_backend_outside_the_callers_groups_is_refused_and_audited(runner, tmp_path, fake_bedrock):
    with pytest.raises(AccessDenied):
        runner.run(ASK, QUESTION, Principal(name="sato", groups=["市民課"]), backend="bedrock/claude-sonnet-4-5",
                   sources=Sources([CHUNK]))  # fmt: skip
    assert fake_bedrock.requests == []
    (event,) = events(tmp_path / "audit.jsonl")
    assert (event["user"], event["outcome"], event["task"]) == ("sato", "refused", "ask")


def test_no_source_answers_without_a_model_and_is_audited(runner, tmp_path, fake_bedrock):
    result = runner.run(ASK, QUESTION, backend="bedrock/claude-haiku-4-5", sources=Sources([]))
    assert result.answer == NO_ANSWER and fake_bedrock.requests == []
    (event,) = events(tmp_path / "audit.jsonl")
    assert event["reason"] == NO_MODEL_REASON and event["outcome"] == "ok"


def test_cancelled_before_start_is_audited(runner, tmp_path):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        runner.run(ASK, QUESTION, cancel=cancel, sources=Sources([CHUNK]))
    assert events(tmp_path / "audit.jsonl")[-1]["outcome"] == "cancelled"


def test_a_call_past_its_time_limit_stops_and_is_audited(runner, fake_bedrock, tmp_path):
    fake_bedrock.script("とても長い回答です。" * 20)
    fake_bedrock.delay_seconds = 0.3
    with pytest.raises(TaskTimeout):
        runner.run(ASK, QUESTION, backend="bedrock/claude-haiku-4-5", timeout=0.1, sources=Sources([CHUNK]))
    assert events(tmp_path / "audit.jsonl")[-1]["outcome"] == "timeout"


def test_without_an_index_a_retrieving_task_says_so(runner):
    with pytest.raises(Exception, match="索引"):
        runner.run(ASK, QUESTION)


def test_scope_exclusion_reaches_the_tasks_retrieval(settings, tmp_path):
    from assistant.retrieval.local_store import build_in_memory
    from tests.support.embedder import BigramEmbedder

    other = Chunk("c2", "住民票の写しの交付手数料は、郵便請求でも1通300円である。", "住民票の写しの交付手数料 郵便",
                  "郵便請求の手引.pdf", "郵便請求の手引")  # fmt: skip
    store = build_in_memory([CHUNK, other], BigramEmbedder())
    runner = Runner(settings, Router(settings, JsonlAuditSink(tmp_path / "audit.jsonl")), lambda: store)
    both = runner.run(ASK, QUESTION)
    assert {c.source for c in both.citations} == {"手数料条例.pdf", "郵便請求の手引.pdf"}
    scoped = runner.run(ASK, QUESTION, scope={"exclude_sources": ["手数料条例.pdf"]})
    assert {c.source for c in scoped.citations} == {"郵便請求の手引.pdf"}
    nothing = runner.run(ASK, QUESTION, scope={"exclude_sources": ["手数料条例.pdf", "郵便請求の手引.pdf"]})
    assert nothing.answer == NO_ANSWER
