"""`yakuba audit verify` and `yakuba audit anchor`: a rewritten, cut or emptied log fails (exit 1) even when its
rows and head were rewritten consistently, once an anchor was taken."""

from __future__ import annotations

import json

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from assistant.cli.audit_cmds import app as audit_app
from assistant.config import get_settings
from assistant.records import AuditEntry, append_audit, init_db
from assistant.records.models import GENESIS_HASH

cli = typer.Typer()
cli.add_typer(audit_app, name="audit")
runner = CliRunner()
KEY = "kanri-secret-audit-key-0123456789"


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("YAKUBA_DATABASE_URL", url)
    monkeypatch.setenv("YAKUBA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def keyed_db(db_url, monkeypatch):
    monkeypatch.setenv("YAKUBA_AUDIT_KEY", KEY)
    get_settings.cache_clear()
    engine = init_db(db_url)  # no key bound: appends take it from the settings, as the CLI's do
    yield engine
    engine.dispose()


def _fill(engine, count: int) -> None:
    for i in range(count):
        append_audit(engine, AuditEntry(user="tanaka", task="ask", input_tokens=i))


def _empty_and_reset(engine) -> None:
    """Delete every row and reset the head, triggers dropped first (as a database owner could)."""
    with engine.begin() as conn:
        names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
        for name in names:
            conn.execute(text(f"DROP TRIGGER {name}"))
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(text("UPDATE audit_chain_head SET last_id = 0, last_hash = :h"), {"h": GENESIS_HASH})


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


def test_an_emptied_log_fails_verify_after_an_anchor(keyed_db, tmp_path):
    _fill(keyed_db, 40)
    unanchored = runner.invoke(cli, ["audit", "verify"])
    assert unanchored.exit_code == 0 and "40 rows checked; keyed from row 1" in unanchored.output
    assert "no anchor" in unanchored.output

    anchored = runner.invoke(cli, ["audit", "anchor"])
    assert anchored.exit_code == 0, anchored.output
    anchor_file = tmp_path / "home" / "audit-anchors.jsonl"
    assert json.loads(anchor_file.read_text().splitlines()[-1])["rows"] == 40
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0 and "40 rows up to id 40 match" in ok.output

    _empty_and_reset(keyed_db)
    emptied = runner.invoke(cli, ["audit", "verify"])
    assert emptied.exit_code == 1
    assert "アンカー" in emptied.output and "0 rows checked" in emptied.output
    assert "recorded 40 rows" in emptied.output
    refused = runner.invoke(cli, ["audit", "anchor"])  # a rewritten log is never anchored
    assert refused.exit_code == 1 and len(anchor_file.read_text().splitlines()) == 1


def test_a_printed_anchor_is_checked_when_given_back(keyed_db, tmp_path):
    _fill(keyed_db, 5)
    printed = runner.invoke(cli, ["audit", "anchor", "--print"])
    assert printed.exit_code == 0
    line = printed.stdout.strip()
    assert json.loads(line)["last_id"] == 5 and not (tmp_path / "home" / "audit-anchors.jsonl").exists()
    assert runner.invoke(cli, ["audit", "verify", "--anchor", line]).exit_code == 0
    _empty_and_reset(keyed_db)
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0  # no anchor file: only the chain is checked
    assert runner.invoke(cli, ["audit", "verify", "--anchor", line]).exit_code == 1
    assert runner.invoke(cli, ["audit", "verify", "--anchor", "{not json"]).exit_code == 1


def test_verify_without_the_key_fails_on_keyed_rows(keyed_db, monkeypatch):
    _fill(keyed_db, 3)
    monkeypatch.delenv("YAKUBA_AUDIT_KEY")
    get_settings.cache_clear()
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1 and "no audit key" in result.output
