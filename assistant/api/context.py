"""What one running API holds: settings, the records database, the index, routers and limits.

Built once by `create_app` and kept on `app.state.ctx`; the dependencies in `deps.py` hand out
its parts to the routes.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from assistant.api.ratelimit import UserRateLimiter
from core.errors import IndexNotFound, IndexUnreachable

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.records import DbAuditSink
    from assistant.retrieval.base import Embedder
    from assistant.retrieval.local_store import LocalIndex
    from assistant.retrieval.pg_store import PgIndex
    from assistant.tasks.runner import Runner

log = logging.getLogger(__name__)


class StoreProvider:
    """The index this API searches.

    Local folder: the live generation, reopened when an ingest (an upload, or `yakuba ingest` in another
    process) has switched to a new one.
    PostgreSQL (`index_url`): reads are live (every search sees what is committed, whichever replica or
    worker wrote it), so one `PgIndex` and one connection pool serve the process. The index is opened again
    only when its meta row names another embedder, dimension, tokenizer or format (a rebuild), so the
    embedder it holds always matches the stored vectors.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.index_url = settings.index_url
        # None with PostgreSQL: `build_pipeline(settings, None, …)` then writes the configured index
        self.index_dir = None if settings.index_url else Path(settings.resolved_index_dir)
        self.embedder = embedder
        self._index: LocalIndex | PgIndex | None = None
        self._opened_as: object = None  # the generation folder, or the meta identity, the index was opened at
        self._engine: Engine | None = None  # PostgreSQL: this process's pool, kept across reopenings
        self._lock = threading.Lock()

    def _live(self) -> object:
        """What identifies the index to search now (None: nothing ingested yet)."""
        if self.index_url is None:
            from assistant.retrieval.generations import current_generation

            return current_generation(self.index_dir)
        if self._engine is None:  # before the first opening: a short connection (`vector` may not exist yet)
            from assistant.retrieval.stores import pg_meta

            meta = pg_meta(self.index_url)
        else:
            from assistant.retrieval.pg_schema import read_meta
            from assistant.retrieval.pg_store import connection
            from assistant.retrieval.stores import reaching

            with reaching(self.index_url), connection(self._engine) as conn:
                meta = read_meta(conn)
        return None if meta is None else tuple(meta[k] for k in ("format_version", "embedder", "dim", "tokenizer"))

    def present(self) -> bool:
        try:
            return self._live() is not None
        except IndexNotFound as exc:  # the index database cannot be reached
            log.warning("index not reachable: %s", exc.message)
            return False

    def get(self) -> LocalIndex | PgIndex:
        """The current index; raises IndexNotFound when nothing was ingested yet."""
        from assistant.retrieval.stores import open_index

        live = self._live()
        if live is None:
            raise IndexNotFound(
                "検索対象の文書がまだ登録されていません。管理者に文書の登録を依頼してください。"
            )
        with self._lock:
            if self._index is None or self._opened_as != live:
                if self.index_url is not None and self._engine is None:
                    from assistant.retrieval.pg_store import engine_for

                    self._engine = engine_for(self.index_url)
                self._index = open_index(
                    self.settings,
                    None,
                    self.embedder,
                    alpha=self.settings.fusion_alpha,
                    pool=self.settings.candidate_pool,
                    policy=self.settings.classification_policy,  # may a query go to the embedder?
                    engine=self._engine,
                )
                self._opened_as = live
            return self._index

    def get_or_none(self) -> LocalIndex | PgIndex | None:
        """The index, or None when nothing was ingested yet (an unreachable database still raises)."""
        try:
            return self.get()
        except IndexUnreachable:
            raise
        except IndexNotFound:
            return None

    def ingest_embedder(self) -> Embedder:
        """The embedder new chunks must be embedded with: the index's own, else the configured one."""
        if self.embedder is not None:
            return self.embedder
        from assistant.ingesting import embedder_for

        return embedder_for(self.settings, self.index_dir)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


class BackendStatus:
    """`describe_backends` rows by address, probed at most every `ttl` seconds (a probe opens
    connections to the model servers; GET /models is called on every page of the UI)."""

    def __init__(self, settings: Settings, ttl: float = 30.0):
        self.settings = settings
        self.ttl = ttl
        self._rows: dict[str, dict[str, Any]] = {}
        self._checked = -float("inf")
        self._lock = threading.Lock()

    def rows(self) -> dict[str, dict[str, Any]]:
        from assistant.backends.catalog import describe_backends

        with self._lock:
            if time.monotonic() - self._checked >= self.ttl:
                self._rows = {r["address"]: r for r in describe_backends(self.settings, check=True)}
                self._checked = time.monotonic()
            return self._rows


@dataclass
class ApiContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]  # reads: no lock taken (SQLite WAL readers never wait)
    write_sessions: sessionmaker[Session]  # writes: SQLite write lock from the first statement; keep short
    audit_sink: DbAuditSink
    stores: StoreProvider
    runner: Runner  # one runner and one stateless router for every request
    limiter: UserRateLimiter
    chat_executor: ThreadPoolExecutor
    backend_status: BackendStatus
    upload_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: Settings, embedder: Embedder | None = None) -> ApiContext:
        from assistant.records import DbAuditSink, init_db, make_session_factory
        from assistant.records.audit_log import bind_audit_key

        engine = bind_audit_key(init_db(settings.resolved_database_url), settings.audit_key)
        audit_sink = DbAuditSink(engine)
        stores = StoreProvider(settings, embedder)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine, lock=False),
            write_sessions=make_session_factory(engine),
            audit_sink=audit_sink,
            stores=stores,
            runner=_runner(settings, audit_sink, stores),
            limiter=UserRateLimiter(settings.rate_limit_per_minute),
            chat_executor=ThreadPoolExecutor(settings.chat_workers, thread_name_prefix="yakuba-chat"),
            backend_status=BackendStatus(settings),
        )

    def close(self) -> None:
        self.chat_executor.shutdown(wait=False, cancel_futures=True)
        self.stores.close()
        self.engine.dispose()


def _runner(settings: Settings, audit: DbAuditSink, stores: StoreProvider) -> Runner:
    from assistant.router import Router
    from assistant.tasks.runner import Runner

    return Runner(settings, Router(settings, audit=audit), stores.get)
