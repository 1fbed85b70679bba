"""Engine and session factory for the records database, and migration to the newest schema.

SQLite (the default, one file under $YAKUBA_HOME) runs in WAL mode with foreign keys on; SQLAlchemy,
not the sqlite3 module, emits BEGIN, so a writer that must serialise can ask for `BEGIN IMMEDIATE`
(see `write_transaction`). PostgreSQL is used when the URL says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0
_IMMEDIATE = "yakuba_sqlite_immediate"  # execution option read by the BEGIN hook below
_MIGRATION_LOCK_KEY = 0x59414B5542410001  # PostgreSQL advisory lock id ("YAKUBA" + 1)


def create_db_engine(url: str) -> Engine:
    """An engine for `url` with the SQLite pragmas in place. Does not touch the schema.

    A plain `postgresql://` URL is served by psycopg 3 (the driver the project installs).
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module so `_on_begin` controls it (SQLAlchemy's
        # documented recipe for SQLite transactions).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that writers elsewhere must wait for.

    On SQLite the transaction starts with `BEGIN IMMEDIATE`, which takes the database write lock at
    once (other writers, in this process or another, wait up to the busy timeout). On PostgreSQL it
    is an ordinary transaction: callers lock the rows they need (`SELECT ... FOR UPDATE`).
    Commits on success, rolls back on error.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn


def init_db(url: str) -> Engine:
    """Open the database at `url` and migrate it to the newest schema; return the engine.

    Idempotent and safe to call at every start, also from several threads or processes at once
    (SQLite: the migration runs under the write lock; PostgreSQL: under a transaction-scoped advisory
    lock).
    """
    from alembic import command
    from alembic.config import Config

    engine = create_db_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic keeps its running environment in module globals; the database lock taken first also
    # keeps threads of one process from running it at the same time.
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return engine


def make_session_factory(engine: Engine, *, lock: bool = True) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (results outlive the request's session).

    On SQLite, `lock=True` starts every transaction with `BEGIN IMMEDIATE`: a session that reads and
    then writes cannot fail with "database is locked" because another writer committed in between,
    but it holds the write lock until it ends. So keep sessions short (never open across a model
    call), and use `lock=False` for sessions that only read (e.g. `verify_audit_chain` over a long
    log). On PostgreSQL the flag changes nothing.
    """
    return sessionmaker(
        engine.execution_options(**{_IMMEDIATE: True}) if lock else engine, expire_on_commit=False
    )
