"""`yakuba users …` and `yakuba audit verify` (the commands the CLI wires in from service_cmds)."""

from __future__ import annotations

import json

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from assistant.cli.service_cmds import audit_app, users_app
from assistant.config import get_settings
from assistant.records import authenticate, init_db, make_session_factory

cli = typer.Typer()
cli.add_typer(users_app, name="users")
cli.add_typer(audit_app, name="audit")
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


def test_audit_verify_detects_a_row_edited_with_raw_sql(make_api, db_url):
    api = make_api(database_url=db_url)
    for user in ("alice", "bob"):
        assert (
            api.post("/chat", user, json={"message": "住民票の写しの交付手数料はいくらですか"}).status_code
            == 200
        )
    intact = runner.invoke(cli, ["audit", "verify"])
    assert intact.exit_code == 0 and "2 rows" in intact.output

    with api.ctx.engine.begin() as conn:  # as someone with direct database access could
        conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET user_name = 'mallory' WHERE id = 1"))
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "row 1" in broken.output and '"user_name": "mallory"' in broken.output
