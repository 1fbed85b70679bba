"""The configured index: the local folder (`index_dir`) or, with `YAKUBA_INDEX_URL`, PostgreSQL.

Callers that open an index or an ingest target go through these two functions, so one setting moves
every API replica, worker and CLI command to the shared PostgreSQL index.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.retrieval.base import Embedder
    from assistant.retrieval.local_store import LocalIndex
    from assistant.retrieval.local_target import LocalIndexTarget
    from assistant.retrieval.pg_store import PgIndex
    from assistant.retrieval.pg_target import PgIndexTarget


def open_index(
    settings: Settings,
    index_dir: Path | str | None = None,
    embedder: Embedder | None = None,
    *,
    alpha: float | None = None,
    pool: int | None = None,
    policy: Mapping[int, list[str]] | None = None,
) -> LocalIndex | PgIndex:
    """The index to search. `index_dir` (a folder given on the command line) wins over `index_url`."""
    if settings.index_url and index_dir is None:
        from assistant.retrieval.pg_store import PgIndex

        return PgIndex.open(settings.index_url, embedder, alpha=alpha, pool=pool, policy=policy)
    from assistant.retrieval.local_store import LocalIndex

    folder = index_dir if index_dir is not None else settings.resolved_index_dir
    return LocalIndex.open(folder, embedder, alpha=alpha, pool=pool, policy=policy)


def index_target(settings: Settings, index_dir: Path | str | None = None) -> LocalIndexTarget | PgIndexTarget:
    """Where an ingest run writes. `index_dir` (a folder given on the command line) wins over `index_url`."""
    if settings.index_url and index_dir is None:
        from assistant.retrieval.pg_target import PgIndexTarget

        return PgIndexTarget(settings.index_url)
    from assistant.retrieval.local_target import LocalIndexTarget

    return LocalIndexTarget(index_dir if index_dir is not None else settings.resolved_index_dir)
