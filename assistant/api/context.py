"""What one running API holds: settings, the records database, the index, routers and limits.

Built once by `create_app` and kept on `app.state.ctx`; the dependencies in `deps.py` hand out
its parts to the routes.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from assistant.api.ratelimit import UserRateLimiter
from core.errors import IndexNotFound

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.records import DbAuditSink
    from assistant.retrieval.base import Embedder
    from assistant.retrieval.local_store import LocalIndex
    from assistant.tasks.runner import Runner


class StoreProvider:
    """The live index generation, reopened when an ingest (an upload, or `yakuba ingest` in
    another process) has switched to a new one."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.index_dir = Path(settings.resolved_index_dir)
        self.embedder = embedder
        self._index: LocalIndex | None = None
        self._lock = threading.Lock()

    def present(self) -> bool:
        from assistant.retrieval.generations import current_generation

        return current_generation(self.index_dir) is not None

    def get(self) -> LocalIndex:
        """The current index; raises IndexNotFound when nothing was ingested yet."""
        from assistant.retrieval.generations import current_generation
        from assistant.retrieval.local_store import LocalIndex

        live = current_generation(self.index_dir)
        if live is None:
            raise IndexNotFound(
                "検索対象の文書がまだ登録されていません。管理者に文書の登録を依頼してください。"
            )
        with self._lock:
            if self._index is None or self._index.path != live:
                self._index = LocalIndex.open(
                    self.index_dir,
                    self.embedder,
                    alpha=self.settings.fusion_alpha,
                    pool=self.settings.candidate_pool,
                    policy=self.settings.classification_policy,  # may a query go to the embedder?
                )
            return self._index

    def get_or_none(self) -> LocalIndex | None:
        try:
            return self.get()
        except IndexNotFound:
            return None

    def ingest_embedder(self) -> Embedder:
        """The embedder new chunks must be embedded with: the index's own, else the configured one."""
        if self.embedder is not None:
            return self.embedder
        from assistant.ingesting import embedder_for

        return embedder_for(self.settings, self.index_dir)


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
        self.engine.dispose()


def _runner(settings: Settings, audit: DbAuditSink, stores: StoreProvider) -> Runner:
    from assistant.router import Router
    from assistant.tasks.runner import Runner

    return Runner(settings, Router(settings, audit=audit), stores.get)
