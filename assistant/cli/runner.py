"""The task runner as the CLI builds it: the configured index (the local folder or, with YAKUBA_INDEX_URL, the
shared PostgreSQL index), the router, and the same hash-chained audit log as the service (so `yakuba audit
verify` covers CLI calls too). Commands that run tasks (ask, eval, jobs work …) share it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.retrieval.base import Store
    from assistant.tasks.runner import Runner


def chosen_folder(settings: Settings, index: Path | None) -> Path | None:
    """`--index` as an explicit local folder, or None for the configured index. The commands hand over the
    default folder when no `--index` was given (`options.index_dir`); with YAKUBA_INDEX_URL set that default
    means the PostgreSQL index, any other folder that folder."""
    if index is None or (settings.index_url and Path(index) == settings.resolved_index_dir):
        return None
    return index


def cli_runner(index: Path | None) -> Runner:
    """A runner over the index at `index` (opened on first use); prompts are validated first."""
    from assistant.config import get_settings
    from assistant.prompts import validate_all
    from assistant.records import DbAuditSink, init_db
    from assistant.retrieval.stores import open_index
    from assistant.router import Router
    from assistant.tasks.runner import Runner

    settings = get_settings()
    validate_all()
    folder = chosen_folder(settings, index)
    opened: list[Store] = []
    lock = threading.Lock()  # `jobs work` runs items in threads: one index (one connection pool) for all

    def store() -> Store:
        with lock:
            if opened:
                return opened[0]
            opened.append(
                open_index(
                    settings,
                    folder,
                    alpha=settings.fusion_alpha,
                    pool=settings.candidate_pool,
                    policy=settings.classification_policy,  # may a query go to the embedder?
                )
            )
            return opened[0]

    router = Router(settings, audit=DbAuditSink(init_db(settings.resolved_database_url)))
    return Runner(settings, router, store)
