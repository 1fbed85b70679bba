"""The task runner as the CLI builds it: the local index, the router, and the same hash-chained audit log as
the service (so `yakuba audit verify` covers CLI calls too). Commands that run tasks (ask, eval …) share it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.tasks.runner import Runner


def cli_runner(index: Path | None) -> Runner:
    """A runner over the index at `index` (opened on first use); prompts are validated first."""
    from assistant.config import get_settings
    from assistant.prompts import validate_all
    from assistant.records import DbAuditSink, init_db
    from assistant.retrieval.local_store import LocalIndex
    from assistant.router import Router
    from assistant.tasks.runner import Runner

    settings = get_settings()
    validate_all()
    opened: list[LocalIndex] = []

    def store() -> LocalIndex:
        if not opened:
            opened.append(LocalIndex.open(index or settings.resolved_index_dir))
        return opened[0]

    router = Router(settings, audit=DbAuditSink(init_db(settings.resolved_database_url)))
    return Runner(settings, router, store)
