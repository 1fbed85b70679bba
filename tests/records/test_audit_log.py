"""The audit log: append-only, hash-chained, serialised appends, tampering detected."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import make_url, select, text
from sqlalchemy.exc import DBAPIError

from assistant.records import AuditEntry, DbAuditSink, append_audit, create_db_engine, verify_audit_chain
from assistant.records.audit_log import HASHED_FIELDS, chain_hash
from assistant.records.models import GENESIS_HASH, AuditLog
from tests.records.conftest import tamper


def _fill(engine, count: int = 5) -> None:
    for i in range(count):
        append_audit(engine, AuditEntry(user="tanaka", task="ask", input_tokens=10 * i, cost=0.001 * i))


def _verify(sessions):
    with sessions() as session:
        return verify_audit_chain(session)


def test_rows_hold_what_was_given_and_the_chain_verifies(engine, sessions):
    first = append_audit(
        engine,
        AuditEntry(
            user="tanaka",
            task="ask",
            time=datetime(2025, 4, 1, 9, 0, tzinfo=UTC),
            backend="bedrock/claude-haiku-4-5",
            model_id="jp.anthropic.claude-haiku-4-5-20251001-v1:0",
            mode="llm",
            level=2,
            reason="user choice",
            masked={"phone": 2, "my_number": 1},
            chunk_ids={"sent": ("c1", "c2"), "cited": ["c2"]},
            input_tokens=1200,
            output_tokens=300,
            cost=0,  # an int: must hash the same as the float read back
            latency_ms=812.6,
            attempts=[{"backend": "bedrock/claude-haiku-4-5", "outcome": "ok"}],
            extra={"request_id": "r-1", "at": datetime(2025, 4, 1, tzinfo=UTC)},
        ),
    )
    second = append_audit(engine, AuditEntry(user="suzuki", task="reply", outcome="refused", level=3))
    assert (first, second) == (1, 2)
    with sessions() as session:
        row = session.get(AuditLog, 1)
        assert row.time == "2025-04-01T09:00:00.000000+00:00"
        assert row.chunk_ids == {"sent": ["c1", "c2"], "cited": ["c2"]}
        assert row.masked == {"phone": 2, "my_number": 1} and row.cost == 0.0 and row.latency_ms == 813
        assert row.extra == {"request_id": "r-1", "at": "2025-04-01 00:00:00+00:00"}
        assert row.prev_hash == GENESIS_HASH and session.get(AuditLog, 2).prev_hash == row.row_hash
    assert _verify(sessions).ok and _verify(sessions).rows_checked == 2


def test_the_hash_covers_every_audit_column_but_the_hashes():
    columns = {column.name for column in AuditLog.__table__.columns} - {"prev_hash", "row_hash"}
    assert set(HASHED_FIELDS) == columns  # a new column must be added here deliberately


def test_an_empty_log_verifies(sessions):
    result = _verify(sessions)
    assert (result.ok, result.rows_checked, result.first_bad_id) == (True, 0, None)


def test_updates_and_deletes_are_refused_by_the_database(engine):
    _fill(engine, 2)
    for statement in ("UPDATE audit_log SET cost = 0 WHERE id = 1", "DELETE FROM audit_log WHERE id = 2"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement))


def test_an_edited_row_is_reported(engine, sessions):
    _fill(engine)
    tamper(engine, "UPDATE audit_log SET output_tokens = 99999 WHERE id = 3")
    result = _verify(sessions)
    assert (result.ok, result.first_bad_id, result.rows_checked) == (False, 3, 2)
    assert "edited" in result.reason


def test_an_edit_with_a_recomputed_row_hash_breaks_the_next_link(engine, sessions):
    _fill(engine)
    with sessions() as session:
        row = session.get(AuditLog, 3)
        fields = {column.name: getattr(row, column.name) for column in AuditLog.__table__.columns}
    forged = chain_hash(row.prev_hash, {**fields, "cost": 0.5})
    tamper(engine, "UPDATE audit_log SET cost = 0.5, row_hash = :h WHERE id = 3", h=forged)
    result = _verify(sessions)
    assert (result.ok, result.first_bad_id, result.rows_checked) == (False, 4, 3)
    assert "previous row" in result.reason


def test_a_deleted_row_is_reported(engine, sessions):
    _fill(engine)
    tamper(engine, "DELETE FROM audit_log WHERE id = 3")
    result = _verify(sessions)
    assert (result.ok, result.first_bad_id, result.rows_checked) == (False, 4, 2)
    assert "row 3 is missing" in result.reason


def test_deleted_rows_at_the_end_are_reported(engine, sessions):
    _fill(engine)
    tamper(engine, "DELETE FROM audit_log WHERE id >= 4")
    result = _verify(sessions)
    assert (result.ok, result.first_bad_id, result.rows_checked) == (False, 4, 3)
    assert "rows 4..5 are missing" in result.reason


def test_reordered_rows_are_reported(engine, sessions):
    _fill(engine)
    tamper(engine, "UPDATE audit_log SET id = -1 WHERE id = 2")
    tamper(engine, "UPDATE audit_log SET id = 2 WHERE id = 3")
    tamper(engine, "UPDATE audit_log SET id = 3 WHERE id = -1")
    result = _verify(sessions)
    assert (result.ok, result.first_bad_id) == (False, 2)


def test_concurrent_appends_from_threads_keep_a_valid_chain(engine, sessions):
    def worker(n: int) -> list[int]:
        return [append_audit(engine, AuditEntry(user=f"u{n}", task="ask", extra={"i": i})) for i in range(15)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = [i for chunk in pool.map(worker, range(6)) for i in chunk]
    assert sorted(ids) == list(range(1, 91))
    result = _verify(sessions)
    assert (result.ok, result.rows_checked) == (True, 90)


def _append_from_process(url: str, worker: int, count: int, start) -> None:
    engine = create_db_engine(url)
    start.wait()  # every writer begins together, so the appends really contend
    for i in range(count):
        append_audit(engine, AuditEntry(user=f"p{worker}", task="batch", extra={"i": i}))
    engine.dispose()


def test_concurrent_appends_from_processes_keep_a_valid_chain(db_url, engine, sessions):
    url = make_url(db_url).render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    workers = [context.Process(target=_append_from_process, args=(url, n, 20, start)) for n in range(2)]
    for process in workers:
        process.start()
    start.wait(timeout=120)
    _fill(engine, 10)  # this process writes at the same time
    for process in workers:
        process.join()
    assert [process.exitcode for process in workers] == [0, 0]
    result = _verify(sessions)
    assert (result.ok, result.rows_checked) == (True, 50)


def test_db_audit_sink_maps_router_events(engine, sessions):
    """Events shaped as assistant.router records them (no time: the sink stamps it)."""
    sink = DbAuditSink(engine)
    sink.record(
        {
            "user": "tanaka",
            "task": "reply",
            "requested": "auto",
            "backend": "bedrock/claude-sonnet-4-5",
            "model_id": "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "mode": "llm",
            "data_location": "japan",
            "level": 2,
            "reason": "task default",
            "masked": {"name": 1},
            "chunk_ids": ["c9"],
            "usage": {"input_tokens": 2000, "output_tokens": 500, "cost": 0.0148, "cache_read": 10},
            "cost": 0.0148,
            "latency_ms": 2500,
            "attempts": [["bedrock/claude-sonnet-4-5", "throttled"], ["bedrock/claude-sonnet-4-5", "ok"]],
            "outcome": "ok",
            "error": None,
        }
    )
    sink.record({"user": "suzuki", "task": "ask", "usage": None, "cost": None, "outcome": "cancelled"})
    sink.record(
        {
            "time": "2025-04-01T18:00:00+09:00",
            "user": "sato",
            "task": "ask",
            "outcome": "refused",
            "level": "高",
        }
    )
    with sessions() as session:
        first, second, third = session.scalars(select(AuditLog).order_by(AuditLog.id))
    assert (first.input_tokens, first.output_tokens, first.cost, first.outcome) == (2000, 500, 0.0148, "ok")
    assert (first.level, first.chunk_ids, first.masked) == (2, ["c9"], {"name": 1})
    assert first.attempts[0] == ["bedrock/claude-sonnet-4-5", "throttled"]
    assert first.extra == {"requested": "auto", "data_location": "japan", "usage": {"cache_read": 10}}
    assert datetime.fromisoformat(first.time).tzinfo is not None
    assert (second.outcome, second.extra, second.cost, second.input_tokens) == (
        "error",
        {"outcome": "cancelled"},
        0.0,
        0,
    )
    assert (third.time, third.outcome, third.level, third.extra) == (
        "2025-04-01T09:00:00.000000+00:00",
        "refused",
        None,
        {"level": "高"},
    )
    assert _verify(sessions).ok
