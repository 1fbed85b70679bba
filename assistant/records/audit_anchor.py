"""Anchors of the audit chain: its head (row count, last id, head hash, time) recorded outside the database.

The chain and its head both live in the database, so someone who can write it could delete the last
rows and rewind the head, delete every row and reset the head, or (for rows written before an audit
key was set) recompute the whole chain: all of these verify as a chain. An anchor taken earlier
says how long the log was and what its head hash was then; a log that is shorter now, or whose row
at the anchored id has another hash, was rewritten.

Anchors are appended, one JSON line each, to a file opened with O_APPEND (never rewritten), or printed
for an external record (a ticket, a signed e-mail, a printed ledger). With an audit key an anchor
also carries the key's id and an HMAC of its own fields, so it cannot be forged without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.records.audit_log import VerifyResult, audit_key_bytes, key_id
from assistant.records.models import AuditLog

ANCHOR_VERSION = 1
_SIGNED = ("version", "time", "rows", "last_id", "head_hash", "keyed_from", "key_id")


class AnchorError(ValueError):
    """An anchor line that cannot be read (the anchor file was damaged or edited)."""


@dataclass(frozen=True)
class Anchor:
    time: str
    rows: int
    last_id: int
    head_hash: str
    keyed_from: int | None = None
    key_id: str | None = None
    mac: str | None = None
    version: int = ANCHOR_VERSION

    def line(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


def _mac(fields: dict[str, Any], key: bytes) -> str:
    canonical = json.dumps({name: fields[name] for name in _SIGNED}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def make_anchor(result: VerifyResult, key: str | bytes | None = None) -> Anchor:
    """The anchor of an intact chain (verify first: anchoring a rewritten log would bless it)."""
    if not result.ok:
        raise ValueError("only an intact audit chain can be anchored")
    secret = audit_key_bytes(key)
    fields: dict[str, Any] = {
        "version": ANCHOR_VERSION,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": result.rows_checked,
        "last_id": result.last_id,
        "head_hash": result.last_hash,
        "keyed_from": result.keyed_from,
        "key_id": key_id(secret) if secret else None,
    }
    return Anchor(**fields, mac=_mac(fields, secret) if secret else None)


def parse_anchor(line: str) -> Anchor:
    try:
        data = json.loads(line)
        if data.get("version") != ANCHOR_VERSION:
            raise AnchorError(f"unknown anchor version {data.get('version')!r}")
        anchor = Anchor(**data)
        if not isinstance(anchor.rows, int) or not isinstance(anchor.last_id, int):
            raise AnchorError("rows and last_id must be integers")
        return anchor
    except (ValueError, TypeError, AttributeError) as exc:
        raise AnchorError(f"unreadable anchor: {exc}") from exc


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append one line with a single write to a file opened O_APPEND (created 0600): earlier
    anchors are never rewritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (anchor.line() + "\n").encode())
    finally:
        os.close(fd)


def last_anchor(path: Path) -> Anchor | None:
    """The newest anchor in the file (None when there is no file or it is empty)."""
    if not path.exists():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return parse_anchor(lines[-1]) if lines else None


def check_anchor(
    session: Session, result: VerifyResult, anchor: Anchor, key: str | bytes | None = None
) -> str | None:
    """What contradicts the anchor in a chain that verified (None: nothing)."""
    secret = audit_key_bytes(key)
    if secret is not None and anchor.key_id is not None:
        if anchor.key_id != key_id(secret):
            return f"the anchor of {anchor.time} was written under another audit key (key id {anchor.key_id})"
        fields = asdict(anchor)
        if not hmac.compare_digest(anchor.mac or "", _mac(fields, secret)):
            return f"the anchor of {anchor.time} was altered (its HMAC does not match)"
    if result.last_id < anchor.last_id or result.rows_checked < anchor.rows:
        return (
            f"the log holds {result.rows_checked} rows up to id {result.last_id}, but the anchor of "
            f"{anchor.time} recorded {anchor.rows} rows up to id {anchor.last_id}: rows were deleted "
            "and the head rewound, or the log was emptied"
        )
    if anchor.last_id:
        row_hash = session.scalar(select(AuditLog.row_hash).where(AuditLog.id == anchor.last_id))
        if row_hash != anchor.head_hash:
            return (
                f"row {anchor.last_id} does not match the anchor of {anchor.time}: "
                "the log was rewritten up to it"
            )
    if anchor.keyed_from is not None and (result.keyed_from is None or result.keyed_from > anchor.keyed_from):
        return f"rows from {anchor.keyed_from} were keyed at the anchor of {anchor.time}, and are not now"
    return None
