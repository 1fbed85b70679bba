"""Migrations: idempotent upgrades to head, models and migrations in agreement."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from assistant.records import init_db
from assistant.records.models import Base


def test_upgrade_twice_is_idempotent_and_reaches_head(db_url):
    first = init_db(db_url)
    with first.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == ("0010",)
    first.dispose()

    second = init_db(db_url)  # a second start must neither fail nor duplicate anything
    with second.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == ("0010",)
        assert conn.execute(text("SELECT count(*) FROM audit_chain_head")).scalar_one() == 1
        tables = set(inspect(conn).get_table_names())
    assert {
        "users",
        "api_keys",
        "conversations",
        "messages",
        "feedback",
        "audit_log",
        "eval_runs",
        "batch_jobs",
        "batch_items",
        "reply_drafts",
        "reply_draft_versions",
        "reply_draft_events",
        "minutes_jobs",
    } <= tables
    second.dispose()


def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def _init_from_process(url: str) -> None:
    init_db(url).dispose()


def test_simultaneous_starts_migrate_once(db_url):
    """Several workers starting together against a fresh database (threads here, a process too)."""
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=_init_from_process, args=(db_url,))
    process.start()
    with ThreadPoolExecutor(max_workers=3) as pool:
        engines = list(pool.map(init_db, [db_url] * 3))
    process.join()
    assert process.exitcode == 0
    with engines[0].connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == ("0010",)
        assert conn.execute(text("SELECT count(*) FROM audit_chain_head")).scalar_one() == 1
    for engine in engines:
        engine.dispose()
