"""Records fixtures: a fresh database per test on a real SQLite file and on a real PostgreSQL
(one server per test session from the `pgserver` package; those tests skip if it cannot start)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from assistant.records import create_user, init_db, make_session_factory
from assistant.records.models import User


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL of the `postgres` database of a PostgreSQL server private to this test session.

    Session-scoped (not per module): starting a server (initdb) takes seconds. Its data folder is
    outside pytest's basetemp, which concurrent pytest runs may prune or re-permission.
    """
    try:
        import pgserver

        server = pgserver.get_server(tempfile.mkdtemp(prefix="yakuba-pg-"), cleanup_mode="delete")
        url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
        _make_disposable(url)
    except Exception as exc:  # any failure to start means: no PostgreSQL on this machine
        pytest.skip(f"PostgreSQL from pgserver could not start ({type(exc).__name__}: {exc})")
    yield url
    server.cleanup()


def _make_disposable(admin_url: str) -> None:
    """A throw-away server need not survive a crash: without fsync, creating databases and the
    shutdown checkpoint take milliseconds instead of seconds."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(text(f"ALTER SYSTEM SET {setting} = off"))
        conn.execute(text("SELECT pg_reload_conf()"))
    admin.dispose()


def fresh_pg_database(admin_url: str) -> str:
    """Create an empty database on the test server; return its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" STRATEGY = FILE_COPY'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records' / 'yakuba.db'}"
    return fresh_pg_database(request.getfixturevalue("pg_admin_url"))


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    engine = init_db(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def people(sessions) -> dict[str, User]:
    """Three users: tanaka and suzuki (staff), kanri (administrator)."""
    with sessions.begin() as session:
        return {
            "tanaka": create_user(session, "tanaka", ["総務課"], 2)[0],
            "suzuki": create_user(session, "suzuki", ["税務課"], 1)[0],
            "kanri": create_user(session, "kanri", [], 3, admin=True)[0],
        }


def tamper(engine: Engine, sql: str, **params) -> None:
    """Change the audit log behind the application's back: lift the append-only triggers (as a
    database owner could) and run `sql`; on PostgreSQL the triggers are restored afterwards."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text(sql), params)
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
            conn.execute(text(sql), params)
