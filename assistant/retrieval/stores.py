"""The configured index: the local folder (`index_dir`) or, with `YAKUBA_INDEX_URL`, PostgreSQL.

Callers that open an index, an ingest target or ask which embedder the index was built with go through
these functions, so one setting moves every API replica, worker, CLI command and evaluation run to the
shared PostgreSQL index. A folder given explicitly (`--index`) always means that local folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import IndexUnreachable

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.retrieval.base import Embedder
    from assistant.retrieval.local_store import LocalIndex
    from assistant.retrieval.local_target import LocalIndexTarget
    from assistant.retrieval.pg_store import PgIndex
    from assistant.retrieval.pg_target import PgIndexTarget
    from core.model import Chunk


def uses_postgres(settings: Settings, index_dir: Path | str | None = None) -> bool:
    """True when the index meant is the PostgreSQL one (`index_url` set and no folder given)."""
    return bool(settings.index_url) and index_dir is None


@contextmanager
def reaching(url: str) -> Iterator[None]:
    """Turns a failure to reach the index database into an error that says what to check."""
    import psycopg

    try:
        yield
    except psycopg.OperationalError as exc:
        from assistant.retrieval.pg_store import redacted

        raise IndexUnreachable(
            f"索引のデータベース（{redacted(url)}）に接続できません。YAKUBA_INDEX_URL の接続先、"
            f"PostgreSQL の稼働状況及び利用者の権限を確認してください（{str(exc).strip()[:200]}）。"
        ) from exc


def open_index(
    settings: Settings,
    index_dir: Path | str | None = None,
    embedder: Embedder | None = None,
    *,
    alpha: float | None = None,
    pool: int | None = None,
    policy: Mapping[int, list[str]] | None = None,
    engine: Any = None,
) -> LocalIndex | PgIndex:
    """The index to search. `index_dir` (a folder given on the command line) wins over `index_url`;
    `engine`: a SQLAlchemy engine to reuse for PostgreSQL (the API keeps one per process)."""
    if uses_postgres(settings, index_dir):
        from assistant.retrieval.pg_store import PgIndex

        with reaching(settings.index_url):
            return PgIndex.open(
                settings.index_url, embedder, alpha=alpha, pool=pool, policy=policy, engine=engine
            )
    from assistant.retrieval.local_store import LocalIndex

    folder = index_dir if index_dir is not None else settings.resolved_index_dir
    return LocalIndex.open(folder, embedder, alpha=alpha, pool=pool, policy=policy)


def index_target(settings: Settings, index_dir: Path | str | None = None) -> LocalIndexTarget | PgIndexTarget:
    """Where an ingest run writes. `index_dir` (a folder given on the command line) wins over `index_url`."""
    if uses_postgres(settings, index_dir):
        from assistant.retrieval.pg_target import PgIndexTarget

        return PgIndexTarget(settings.index_url)
    from assistant.retrieval.local_target import LocalIndexTarget

    return LocalIndexTarget(index_dir if index_dir is not None else settings.resolved_index_dir)


def pg_meta(url: str) -> dict[str, Any] | None:
    """The meta row of the PostgreSQL index at `url` (embedder, dim, tokenizer, format, revision), or None
    when nothing was ingested there yet. One short connection: the `vector` type need not exist yet."""
    import psycopg

    from assistant.retrieval.pg_schema import read_meta
    from assistant.retrieval.pg_store import conninfo

    with reaching(url), psycopg.connect(conninfo(url), autocommit=True, connect_timeout=10) as conn:
        return read_meta(conn)


def built_with(settings: Settings, index_dir: Path | str | None = None) -> str | None:
    """The embedder address the index was built with (its manifest, or its meta row on PostgreSQL), or None
    when nothing was ingested yet."""
    if uses_postgres(settings, index_dir):
        meta = pg_meta(settings.index_url)
        return None if meta is None else meta["embedder"]
    from assistant.retrieval.generations import MANIFEST, current_generation

    generation = current_generation(index_dir if index_dir is not None else settings.resolved_index_dir)
    if generation is None or not (generation / MANIFEST).is_file():
        return None
    return json.loads((generation / MANIFEST).read_text(encoding="utf-8"))["embedder"]["name"]


def chunks_of(store: Any, source: str) -> list[Chunk]:
    """The chunks of one source file: one indexed query on PostgreSQL, a scan of the loaded chunks locally."""
    by_source: Callable[[str], list[Chunk]] | None = getattr(store, "chunks_of", None)
    if by_source is not None:
        return by_source(source)
    return [c for c in store.chunks if c.source == source]
