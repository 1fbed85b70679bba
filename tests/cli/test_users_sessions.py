"""`yakuba users reset-key NAME` and `disable` end browser sessions (issue 13): a lost or leaked key is replaced,
the old keys and every browser session of the user stop working at once, the new key is printed once; a
disabled user's sessions are revoked; both are audited."""

from __future__ import annotations

import json

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from assistant.cli.service_cmds import users_app
from assistant.config import get_settings
from assistant.records import authenticate, create_user, get_user, init_db, make_session_factory
from assistant.records.models import AuditLog
from assistant.records.web_sessions import check_web_session, issue_web_session

cli = typer.Typer()
cli.add_typer(users_app, name="users")
runner = CliRunner()


@pytest.fixture
def sessions(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("YAKUBA_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = init_db(url)
    yield make_session_factory(engine)
    engine.dispose()
    get_settings.cache_clear()


def test_reset_key_revokes_keys_and_sessions_and_prints_one_new_key(sessions):
    with sessions.begin() as session:
        user, old_key = create_user(session, "sato", ["財政課"], 2)
        tokens = [issue_web_session(session, user, 8)[1] for _ in range(2)]

    result = runner.invoke(cli, ["users", "reset-key", "sato", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["name"] == "sato" and printed["api_key"].startswith("yk_")
    assert (printed["revoked_keys"], printed["revoked_sessions"]) == (1, 2)
    with sessions() as session:
        assert authenticate(session, old_key) is None
        assert authenticate(session, printed["api_key"]).name == "sato"
        assert [check_web_session(session, t).refusal for t in tokens] == ["revoked", "revoked"]
        [row] = session.scalars(select(AuditLog).where(AuditLog.task == "users")).all()
        assert (row.user_name, row.reason, row.outcome) == ("sato", "reset_key", "ok")
        assert row.extra == {"via": "cli", "keys_revoked": 1, "sessions_revoked": 2}
        assert printed["api_key"] not in json.dumps(row.extra)

    again = runner.invoke(cli, ["users", "reset-key", "sato"])
    assert again.exit_code == 0 and "1 key(s) revoked, 0 browser session(s)" in again.output
    new_key = again.output.split(": ")[-1].strip()
    with sessions() as session:
        assert authenticate(session, new_key) == get_user(session, "sato")


def test_reset_key_of_an_unknown_user_says_so(sessions):
    result = runner.invoke(cli, ["users", "reset-key", "nobody"])
    assert result.exit_code == 2
    assert (
        "利用者「nobody」は登録されていません" in result.output and "no user named 'nobody'" in result.output
    )
    with sessions() as session:
        assert session.scalars(select(AuditLog)).all() == []


def test_disable_ends_the_sessions_and_is_audited(sessions):
    with sessions.begin() as session:
        user, _key = create_user(session, "suzuki", ["総務課"], 1)
        token = issue_web_session(session, user, 8)[1]
    assert runner.invoke(cli, ["users", "disable", "suzuki"]).exit_code == 0
    with sessions() as session:
        assert check_web_session(session, token).refusal == "revoked"
        [row] = session.scalars(select(AuditLog).where(AuditLog.task == "users")).all()
        assert (row.user_name, row.reason, row.extra) == ("suzuki", "disable", {"via": "cli"})
