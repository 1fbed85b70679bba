"""Where routing decisions are recorded.

An event is a flat dict of counts, identifiers and outcomes — never question text, source text or
personal data. The JSON-lines sink is the default; a database sink only needs `record`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from assistant.config import Settings


class AuditSink(Protocol):
    def record(self, event: dict[str, Any]) -> None: ...


class JsonlAuditSink:
    """Appends one JSON line per event (UTF-8, Japanese kept readable)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()

    def record(self, event: dict[str, Any]) -> None:
        line = json.dumps({"time": datetime.now(UTC).isoformat(), **event}, ensure_ascii=False, default=str)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")


def default_audit_sink(settings: Settings) -> JsonlAuditSink:
    return JsonlAuditSink(settings.audit_path or settings.home / "audit.jsonl")


class QueryAudit(NamedTuple):
    """Who searches, for which task, and where their query embeddings are audited."""

    user: str
    task: str
    sink: AuditSink


_QUERY_AUDIT: ContextVar[QueryAudit | None] = ContextVar("query_audit", default=None)


@contextmanager
def auditing_queries(user: str, task: str, sink: AuditSink) -> Iterator[None]:
    """Searches inside this block audit each query embedding sent outside the organisation under `user`
    and `task` (assistant.retrieval.query_masking). Context variables follow the search into the thread
    that embeds its query (assistant.retrieval.query_overlap)."""
    token = _QUERY_AUDIT.set(QueryAudit(user, task, sink))
    try:
        yield
    finally:
        _QUERY_AUDIT.reset(token)


def query_audit() -> QueryAudit | None:
    """The audit context of the current search, None outside `auditing_queries` (the CLI, scripts)."""
    return _QUERY_AUDIT.get()
