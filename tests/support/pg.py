"""A real PostgreSQL 16 with pgvector (the `pgserver` package) for the tests of the shared index.

One server per test session (the records tests' `pg_admin_url`: starting a server takes seconds), one fresh
database per test. The records, the index (its own schema `yakuba_index`) and the batch-job queue share that
database, as in a deployment with one PostgreSQL. Tests that use it skip when the server cannot start.

Use: `from tests.support.pg import pg_admin_url, pg_database_fixture  # noqa: F401` in a test module, then
ask for the fixture `pg_database`.
"""

from __future__ import annotations

import pytest

from tests.records.conftest import fresh_pg_database, pg_admin_url  # noqa: F401  (fixture)


@pytest.fixture(name="pg_database")
def pg_database_fixture(pg_admin_url) -> str:  # noqa: F811  (the fixture imported above)
    """`pg_database`: the URL (postgresql+psycopg://…) of an empty database of its own."""
    return fresh_pg_database(pg_admin_url)


def index_files(url: str) -> dict[str, dict]:
    """The per-file records of the PostgreSQL index at `url` (what was ingested there), each with the ids
    of the file's chunks now."""
    from assistant.retrieval.pg_store import PgIndex

    store = PgIndex.open(url)
    files = store.manifest["files"]
    return {source: {**entry, "chunk_ids": [c.chunk_id for c in store.chunks_of(source)]} for source, entry in files.items()}
