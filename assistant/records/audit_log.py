"""The audit log: append-only, hash-chained, with serialised appends.

Each row's `row_hash` is computed over `prev_hash + canonical JSON of its other fields` (id included),
and `prev_hash` is the previous row's `row_hash` (the first row's is GENESIS_HASH). The one-row
`audit_chain_head` table holds the last id and hash. An append locks the head (SQLite: the
`BEGIN IMMEDIATE` write lock; PostgreSQL: `SELECT ... FOR UPDATE`), so concurrent writers, threads or
processes, extend the chain one at a time. Editing, deleting or reordering rows breaks the chain,
and `verify_audit_chain` says where.

With an audit key (the `audit_key` setting, kept outside the database) the hash is HMAC-SHA256 under
that key, so someone who can write the database but does not hold the key cannot recompute a chain
that verifies. Without a key it is plain SHA-256. Rows carry no marker of which: the verifier tries
the key first, then plain SHA-256, and accepts plain rows only *before* the first keyed one (rows
written before the key was set). Appending without the key after a keyed row is refused, so a server
that lost its key fails loudly instead of extending the chain with forgeable rows. What a key cannot
catch (the whole log rewritten unkeyed, or cut short with the head rewound) is caught by the anchors
of `audit_anchor.py`, kept outside the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from assistant.records.db import write_transaction
from assistant.records.models import GENESIS_HASH, AuditChainHead, AuditLog
from core.errors import YakubaError

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
    last_id: int = 0  # the last intact row (0: none) and its hash: what an anchor records
    last_hash: str = GENESIS_HASH
    keyed_from: int | None = None  # first row chained with the audit key (None: no keyed row)


class AuditKeyMissing(YakubaError):
    """The audit log holds keyed rows, but this process has no audit key to extend it with."""


_BOUND_KEYS: weakref.WeakKeyDictionary[Engine, bytes | None] = weakref.WeakKeyDictionary()


def audit_key_bytes(secret: str | bytes | None) -> bytes | None:
    return secret.encode() if isinstance(secret, str) else secret


def key_id(key: bytes) -> str:
    """A short public name of a key (it reveals nothing of it): anchors record it."""
    return hmac.new(key, b"yakuba audit key id", hashlib.sha256).hexdigest()[:16]


def bind_audit_key(engine: Engine, secret: str | bytes | None) -> Engine:
    """Make appends through `engine` use this key (None: unkeyed); returns the engine."""
    _BOUND_KEYS[engine] = audit_key_bytes(secret)
    return engine


def _engine_key(engine: Engine) -> bytes | None:
    """The key bound to `engine`, else the process settings' `audit_key` (the CLI and a server
    started from the environment need no binding; an API built from its own Settings binds)."""
    if engine in _BOUND_KEYS:
        return _BOUND_KEYS[engine]
    from assistant.config import get_settings

    return audit_key_bytes(get_settings().audit_key)


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


def chain_hash(prev_hash: str, fields: Mapping[str, Any], key: bytes | None = None) -> str:
    """HMAC-SHA256 under `key`, or plain SHA-256 without one."""
    canonical = json.dumps(
        {name: fields[name] for name in HASHED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    message = (prev_hash + canonical).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _refuse_unkeyed_append(conn: Any, last_id: int, last_hash: str) -> None:
    """Without a key, the last row must be a plain-SHA-256 one: an unkeyed row after a keyed one
    would break the chain (and look like a downgrade)."""
    last = conn.execute(select(_LOG).where(_LOG.c.id == last_id)).mappings().one_or_none()
    if last is not None and chain_hash(last["prev_hash"], last) != last_hash:
        raise AuditKeyMissing(
            "the audit log is chained with an audit key (or its last row was altered) and no "
            "YAKUBA_AUDIT_KEY is set: refusing to append unkeyed rows; set the key and restart"
        )


def append_audit(engine: Engine, entry: AuditEntry) -> int:
    """Append one row in its own transaction (committed even if the audited request fails);
    returns its id."""
    if entry.outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {OUTCOMES}, got {entry.outcome!r}")
    key = _engine_key(engine)
    with write_transaction(engine) as conn:
        head = conn.execute(
            select(_HEAD.c.last_id, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update()
        ).one()
        if key is None and head.last_id:
            _refuse_unkeyed_append(conn, head.last_id, head.last_hash)
        fields = _row_fields(head.last_id + 1, entry)
        row_hash = chain_hash(head.last_hash, fields, key)
        conn.execute(insert(_LOG).values(**fields, prev_hash=head.last_hash, row_hash=row_hash))
        conn.execute(update(_HEAD).where(_HEAD.c.id == 1).values(last_id=fields["id"], last_hash=row_hash))
    return fields["id"]


def _missing(first: int, last: int) -> str:
    rows = f"row {first} is" if first == last else f"rows {first}..{last} are"
    return f"{rows} missing (deleted)"


def _row_problem(
    row: Mapping[str, Any], key: bytes | None, keyed_from: int | None
) -> tuple[str | None, bool]:
    """(what is wrong with the row's own hash, or None; whether it is keyed)."""
    if key is not None and hmac.compare_digest(chain_hash(row["prev_hash"], row, key), row["row_hash"]):
        return None, True
    if chain_hash(row["prev_hash"], row) == row["row_hash"]:
        if keyed_from is not None:
            return "an unkeyed row follows keyed rows (rewritten without the audit key)", False
        return None, False
    if key is None:
        return (
            "the row's contents do not match its row_hash (edited or moved, or keyed and no audit key given)",
            False,
        )
    return (
        "the row's contents do not match its row_hash (edited or moved, or chained under another key)",
        False,
    )


def verify_audit_chain(
    session: Session, key: str | bytes | None = None, *, batch_size: int = 1000
) -> VerifyResult:
    """Walk the whole chain and report the first row that is edited, missing or out of place.

    `key` is the audit key (the `audit_key` setting); without it, keyed rows cannot be checked
    and are reported as bad. On SQLite pass a session from `make_session_factory(engine,
    lock=False)`, so appends go on while a long log is walked. A log cut short with its head
    rewound, or rewritten whole, verifies here: check the result against an anchor as well.
    """
    key = audit_key_bytes(key)
    # The head is read first: rows appended while we walk lie beyond it and are checked as well.
    head = session.execute(select(_HEAD.c.last_id, _HEAD.c.last_hash).where(_HEAD.c.id == 1)).one()
    expected_id, expected_prev, checked, keyed_from = 1, GENESIS_HASH, 0, None
    rows = session.execute(select(_LOG).order_by(_LOG.c.id), execution_options={"yield_per": batch_size})
    for row in rows.mappings():
        problem, keyed = None, False
        if row["id"] != expected_id:
            problem = _missing(expected_id, row["id"] - 1)
        else:
            problem, keyed = _row_problem(row, key, keyed_from)
        if problem is None and row["prev_hash"] != expected_prev:
            problem = "prev_hash does not match the previous row (the previous row was rewritten)"
        elif problem is None and row["id"] == head.last_id and row["row_hash"] != head.last_hash:
            problem = "the chain head does not match this row (rewritten)"
        if problem:
            return VerifyResult(
                False, checked, row["id"], problem, expected_id - 1, expected_prev, keyed_from
            )
        if keyed and keyed_from is None:
            keyed_from = row["id"]
        expected_id, expected_prev, checked = row["id"] + 1, row["row_hash"], checked + 1
    if expected_id <= head.last_id:
        reason = _missing(expected_id, head.last_id)
        return VerifyResult(False, checked, expected_id, reason, expected_id - 1, expected_prev, keyed_from)
    return VerifyResult(
        True, checked, last_id=expected_id - 1, last_hash=expected_prev, keyed_from=keyed_from
    )


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


_SINKS: dict[tuple[str, str | None], DbAuditSink] = {}


def settings_audit_sink(settings: Any) -> DbAuditSink:
    """The audit log of `settings`' database, one sink (and engine) per database and key in the process:
    for model calls made outside the API and the runner (ingest embedding, CLI searches)."""
    from assistant.records.db import init_db

    key = (settings.resolved_database_url, settings.audit_key)
    sink = _SINKS.get(key)
    if sink is None:
        sink = _SINKS[key] = DbAuditSink(bind_audit_key(init_db(key[0]), key[1]))
    return sink
