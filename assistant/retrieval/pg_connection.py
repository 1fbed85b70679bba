"""Connections to the PostgreSQL index: a pooled SQLAlchemy engine over psycopg 3, raw connections, URLs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg
    from sqlalchemy import Engine


def engine_for(url: str, *, pool_size: int = 5) -> Engine:
    """A pooled engine (SQLAlchemy's pool over psycopg 3) whose connections know the `vector` type."""
    from pgvector.psycopg import register_vector
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.autocommit = True  # transactions are explicit: `conn.transaction()`
        register_vector(dbapi_connection)  # needs the extension: connect after ensure_extension/read_meta

    return engine


def conninfo(url: str) -> str:
    """A libpq connection string for psycopg.connect (the URL without a SQLAlchemy driver name)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def connection(engine: Engine) -> Iterator[psycopg.Connection]:
    """A psycopg connection from the pool (autocommit; open `conn.transaction()` blocks)."""
    raw = engine.raw_connection()
    try:
        yield raw.driver_connection
    finally:
        raw.close()


def redacted(url: str) -> str:
    """The URL without its password, for summaries and logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
