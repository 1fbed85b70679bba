"""Engine set-up: SQLite pragmas, SQLAlchemy-controlled transactions and the write lock."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from assistant.config import Settings
from assistant.records import add_message, create_conversation, create_user, init_db, make_session_factory
from assistant.records.db import write_transaction
from assistant.records.models import Message


@pytest.fixture
def sqlite_path(tmp_path):
    return tmp_path / "nested" / "dir" / "yakuba.db"  # parent folders are created by init_db


@pytest.fixture
def sqlite_engine(sqlite_path):
    engine = init_db(f"sqlite:///{sqlite_path}")
    yield engine
    engine.dispose()


def _lock_is_free(path) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1


def test_sqlite_transactions_roll_back(sqlite_engine):
    """SQLAlchemy emits BEGIN itself on SQLite; a rolled-back session must leave nothing behind."""
    with make_session_factory(sqlite_engine)() as session:
        create_user(session, "tanaka")
        session.rollback()
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


def test_write_transaction_and_locking_sessions_hold_the_sqlite_write_lock(sqlite_engine, sqlite_path):
    with write_transaction(sqlite_engine):
        assert not _lock_is_free(sqlite_path)
    assert _lock_is_free(sqlite_path)
    with make_session_factory(sqlite_engine)() as session:
        session.execute(text("SELECT 1 FROM users"))
        assert not _lock_is_free(sqlite_path)
    with make_session_factory(sqlite_engine, lock=False)() as session:
        session.execute(text("SELECT 1 FROM users"))
        assert _lock_is_free(sqlite_path)  # read-only sessions do not block writers


def test_concurrent_read_then_write_sessions_all_succeed(sessions):
    """Each add_message reads the conversation, then writes: with deferred BEGIN on SQLite such
    sessions fail with "database is locked" when another writer commits in between."""
    with sessions.begin() as session:
        users = [create_user(session, f"u{i}")[0] for i in range(6)]
        conversations = [create_conversation(session, user).id for user in users]

    def chat(i: int) -> None:
        for j in range(15):
            with sessions.begin() as session:
                add_message(session, users[i], conversations[i], "user", f"質問{j}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(chat, range(6)))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 90


def test_default_database_is_a_sqlite_file_under_home(tmp_path):
    settings = Settings(home=tmp_path / "home")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'home' / 'yakuba.db'}"
    init_db(settings.resolved_database_url).dispose()
    assert (tmp_path / "home" / "yakuba.db").exists()
