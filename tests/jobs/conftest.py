"""Batch-engine fixtures: the records database on a real SQLite file and on a real PostgreSQL (pgserver, skipped
when it cannot start), a job store over it, and a task runner with the offline backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.jobs.store import JobStore
from assistant.records import init_db
from assistant.router import Router
from assistant.tasks.runner import Runner
from tests.jobs import tasks  # noqa: F401  (registers the `echo` task)
from tests.records.conftest import fresh_pg_database, pg_admin_url  # noqa: F401  (fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.db'}"
    return fresh_pg_database(request.getfixturevalue("pg_admin_url"))


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'records.db'}"


@pytest.fixture
def store(db_url) -> Iterator[JobStore]:
    engine = init_db(db_url)
    yield JobStore(engine)
    engine.dispose()


@pytest.fixture
def settings(tmp_path, db_url) -> Settings:
    return Settings(home=tmp_path / "home", database_url=db_url, batch_lease_seconds=30, batch_max_attempts=3)


@pytest.fixture
def runner(settings, tmp_path) -> Runner:
    return Runner(settings, Router(settings, JsonlAuditSink(tmp_path / "audit.jsonl")))


@pytest.fixture(autouse=True)
def _fresh_attempts():
    tasks.ATTEMPTS.clear()
    tasks.KILL_ON_TEXT.clear()
    yield
