"""The audit log: append-only, hash-chained, with serialised appends.

Each row's `row_hash = sha256(prev_hash + canonical JSON of its other fields, id included)`, and
`prev_hash` is the previous row's `row_hash` (the first row's is GENESIS_HASH). The one-row
`audit_chain_head` table holds the last id and hash. An append locks the head (SQLite: the
`BEGIN IMMEDIATE` write lock; PostgreSQL: `SELECT ... FOR UPDATE`), so concurrent writers, threads or
processes, extend the chain one at a time. Editing, deleting or reordering rows breaks the chain,
and `verify_audit_chain` says where. (The hash is unkeyed: someone able to rewrite every later row
and the head could forge a consistent chain; copy the head hash elsewhere to rule that out too.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from assistant.records.db import write_transaction
from assistant.records.models import GENESIS_HASH, AuditChainHead, AuditLog

Outcome = Literal["ok", "refused", "error"]
OUTCOMES = ("ok", "refused", "error")
_LOG = AuditLog.__table__
_HEAD = AuditChainHead.__table__
# The fields the hash covers, frozen: rows written earlier must verify after later migrations. A new
# audit column needs its own decision (hash it from a given id on, or keep the value in `extra`).
HASHED_FIELDS = (
    "id", "time", "user_name", "task", "backend", "model_id", "mode", "level", "reason", "masked",
    "chunk_ids", "input_tokens", "output_tokens", "cost", "latency_ms", "attempts", "outcome",
    "error", "extra",
)  # fmt: skip


@dataclass(frozen=True)
class AuditEntry:
    """What one audited request did (the row minus id and hashes, which the appender assigns)."""

    user: str
    task: str
    outcome: Outcome = "ok"
    time: datetime | str | None = None  # aware datetime or ISO string; None = now
    backend: str | None = None
    model_id: str | None = None
    mode: str | None = None
    level: int | None = None  # 機密性 level of the request
    reason: str | None = None
    masked: dict[str, int] = field(default_factory=dict)
    chunk_ids: list[str] | dict[str, list[str]] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    latency_ms: float | None = None
    attempts: Any = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows_checked: int  # rows found intact before the first bad one (all rows when ok)
    first_bad_id: int | None = None
    reason: str | None = None


def utc_iso(value: datetime | str | None) -> str:
    """UTC ISO 8601 with microseconds (fixed width, so strings sort as times). Naive = UTC."""
    if value is None:
        moment = datetime.now(UTC)
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value)
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _plain_json(value: Any) -> Any:
    """The value as it will read back from a JSON column (tuples become lists, and so on);
    anything JSON cannot hold is stored as its string form."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _row_fields(row_id: int, entry: AuditEntry) -> dict[str, Any]:
    """The hashed fields, normalised to exactly what the database gives back."""
    return {
        "id": row_id,
        "time": utc_iso(entry.time),
        "user_name": entry.user,
        "task": entry.task,
        "backend": entry.backend,
        "model_id": entry.model_id,
        "mode": entry.mode,
        "level": None if entry.level is None else int(entry.level),
        "reason": entry.reason,
        "masked": _plain_json(entry.masked),
        "chunk_ids": _plain_json(entry.chunk_ids),
        "input_tokens": int(entry.input_tokens),
        "output_tokens": int(entry.output_tokens),
        "cost": float(entry.cost),
        "latency_ms": None if entry.latency_ms is None else round(entry.latency_ms),
        "attempts": _plain_json(entry.attempts),
        "outcome": entry.outcome,
        "error": entry.error,
        "extra": _plain_json(entry.extra),
    }


def chain_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {name: fields[name] for name in HASHED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def append_audit(engine: Engine, entry: AuditEntry) -> int:
    """Append one row in its own transaction (committed even if the audited request fails);
    returns its id."""
    if entry.outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {OUTCOMES}, got {entry.outcome!r}")
    with write_transaction(engine) as conn:
        head = conn.execute(
            select(_HEAD.c.last_id, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update()
        ).one()
        fields = _row_fields(head.last_id + 1, entry)
        row_hash = chain_hash(head.last_hash, fields)
        conn.execute(insert(_LOG).values(**fields, prev_hash=head.last_hash, row_hash=row_hash))
        conn.execute(update(_HEAD).where(_HEAD.c.id == 1).values(last_id=fields["id"], last_hash=row_hash))
    return fields["id"]


def _missing(first: int, last: int) -> str:
    rows = f"row {first} is" if first == last else f"rows {first}..{last} are"
    return f"{rows} missing (deleted)"


def verify_audit_chain(session: Session, batch_size: int = 1000) -> VerifyResult:
    """Walk the whole chain and report the first row that is edited, missing or out of place.

    On SQLite pass a session from `make_session_factory(engine, lock=False)`, so appends go on
    while a long log is walked.
    """
    # The head is read first: rows appended while we walk lie beyond it and are checked as well.
    head = session.execute(select(_HEAD.c.last_id, _HEAD.c.last_hash).where(_HEAD.c.id == 1)).one()
    expected_id, expected_prev, checked = 1, GENESIS_HASH, 0
    rows = session.execute(select(_LOG).order_by(_LOG.c.id), execution_options={"yield_per": batch_size})
    for row in rows.mappings():
        problem = None
        if row["id"] != expected_id:
            problem = _missing(expected_id, row["id"] - 1)
        elif chain_hash(row["prev_hash"], row) != row["row_hash"]:
            problem = "the row's contents do not match its row_hash (edited or moved)"
        elif row["prev_hash"] != expected_prev:
            problem = "prev_hash does not match the previous row (the previous row was rewritten)"
        elif row["id"] == head.last_id and row["row_hash"] != head.last_hash:
            problem = "the chain head does not match this row (rewritten)"
        if problem:
            return VerifyResult(False, checked, row["id"], problem)
        expected_id, expected_prev, checked = row["id"] + 1, row["row_hash"], checked + 1
    if expected_id <= head.last_id:
        return VerifyResult(False, checked, expected_id, _missing(expected_id, head.last_id))
    return VerifyResult(True, checked)


_EVENT_FIELDS = (
    "time", "user", "task", "backend", "model_id", "mode", "level", "reason",
    "masked", "chunk_ids", "latency_ms", "attempts", "error",
)  # fmt: skip
_USAGE_KEYS = ("input_tokens", "output_tokens", "cost")  # in event["usage"] or at the top level


def entry_from_event(event: Mapping[str, Any]) -> AuditEntry:
    """Map an audit event (see `assistant.audit`) to an entry; keys without a column go to
    `extra`, so nothing the router reports is lost.

    An outcome other than ok / refused / error (the router also reports cancelled, interrupted,
    unavailable …) is stored as "error" (it is not a success) and kept verbatim in extra["outcome"].
    """
    known = {key: event[key] for key in _EVENT_FIELDS if event.get(key) is not None}
    extra = {
        key: value
        for key, value in event.items()
        if key not in (*_EVENT_FIELDS, *_USAGE_KEYS, "usage", "outcome")
    }
    usage = dict(event.get("usage") or {})
    counts = {key: usage.pop(key, None) or event.get(key) or 0 for key in _USAGE_KEYS}
    if usage:
        extra["usage"] = usage
    outcome = event.get("outcome")
    if outcome not in OUTCOMES:
        if outcome is not None:
            extra["outcome"] = outcome
        outcome = "error" if outcome is not None or event.get("error") else "ok"
    if "level" in known and not isinstance(known["level"], int):
        extra["level"] = known.pop("level")
    known.setdefault("user", "")
    known.setdefault("task", "")
    return AuditEntry(outcome=outcome, extra=extra, **counts, **known)


class DbAuditSink:
    """Audit sink (`record(event)`) that appends each event to the database audit log."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, event: dict[str, Any]) -> None:
        append_audit(self._engine, entry_from_event(event))
