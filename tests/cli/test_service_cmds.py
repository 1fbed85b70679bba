"""`yakuba users …` (the commands the CLI wires in from service_cmds; `yakuba audit` is in test_audit_cmds.py)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from assistant.cli.service_cmds import users_app
from assistant.config import get_settings
from assistant.records import authenticate, init_db, make_session_factory

cli = typer.Typer()
cli.add_typer(users_app, name="users")
runner = CliRunner()


@pytest.fixture
def db_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("YAKUBA_DATABASE_URL", url)
    get_settings.cache_clear()
    return url


def test_users_add_list_disable(db_url):
    result = runner.invoke(
        cli, ["users", "add", "sato", "--groups", "財政課,総務課", "--clearance", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["name"] == "sato" and created["api_key"].startswith("yk_")
    sessions = make_session_factory(init_db(db_url), lock=False)
    with sessions() as session:
        user = authenticate(session, created["api_key"])
        assert user.groups == ["総務課", "財政課"] and user.clearance == 2 and not user.is_admin

    assert runner.invoke(cli, ["users", "add", "kanri", "--admin"]).exit_code == 0
    duplicate = runner.invoke(cli, ["users", "add", "sato"])
    assert duplicate.exit_code == 2 and "既に登録" in duplicate.output
    listed = json.loads(runner.invoke(cli, ["users", "list", "--json"]).output)
    assert [(u["name"], u["admin"]) for u in listed] == [("kanri", True), ("sato", False)]

    assert runner.invoke(cli, ["users", "disable", "sato"]).exit_code == 0
    with sessions() as session:
        assert authenticate(session, created["api_key"]) is None
    assert runner.invoke(cli, ["users", "disable", "nobody"]).exit_code == 2
