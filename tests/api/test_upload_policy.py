"""POST /documents applies the classification policy to the index's embedder, like `yakuba ingest`.

The index is embedded by Bedrock (the fake Bedrock Runtime, region ap-northeast-1: data location
"japan"). Under the default policy 機密性3 stays inside the organisation, so a 機密性3 upload must be
refused with its reason, and none of its text may reach Bedrock; a 機密性1 upload is embedded there.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.backends import embedders
from assistant.config import Settings, get_settings
from assistant.ingesting import build_pipeline
from assistant.records import create_user
from ingest.labels import Labels

TITAN = "amazon.titan-embed-text-v2:0"
PUBLIC = "# 窓口案内\n\n住民票の写しの交付手数料は、一通につき300円です。\n"
SECRET_WORD = "ヤマセミ"
SECRET = f"# 人事異動内示\n\n人事異動の内示は未公表である。秘匿コードは{SECRET_WORD}である。\n"
PUBLIC_UPLOAD = "# 開庁時間\n\n市役所の開庁時間は午前八時三十分から午後五時十五分までです。\n"


@pytest.fixture
def api(tmp_path, fake_bedrock, monkeypatch):
    # the embedder is built from the index manifest through the registry, with the process settings
    monkeypatch.setenv("YAKUBA_BEDROCK_ENDPOINT_URL", fake_bedrock.url)
    monkeypatch.setenv("YAKUBA_AWS_REGION", "ap-northeast-1")
    get_settings.cache_clear()
    monkeypatch.setattr(embedders, "_CACHE", {})  # no embedder bound to another test's fake
    settings = Settings(
        home=tmp_path / "home",
        index_dir=tmp_path / "index",
        database_url=f"sqlite:///{tmp_path / 'yakuba.db'}",
        rate_limit_per_minute=0,
        default_backend="offline/extractive",
        upload_groups=["文書管理"],
        bedrock_endpoint_url=fake_bedrock.url,
    )
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "窓口案内.md").write_text(PUBLIC, encoding="utf-8")
    summary = build_pipeline(settings, settings.index_dir, Labels(1), embedder=f"bedrock/{TITAN}").run([corpus])
    assert summary.exit_code == 0, summary.render()
    manifest = json.loads(next((tmp_path / "index").glob("gen-*/manifest.json")).read_text(encoding="utf-8"))
    assert manifest["embedder"]["name"] == f"bedrock/{TITAN}"
    fake_bedrock.reset()

    app = create_app(settings)  # no test embedder: the index's own (Bedrock) embeds uploads
    ctx = app.state.ctx
    with ctx.write_sessions.begin() as session:
        key = create_user(session, "kanri", [], 3, admin=True)[1]
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {key}"
    yield client
    client.close()
    ctx.close()


def _upload(client, name: str, text: str, classification: int):
    files = [("files", (name, text.encode("utf-8"), "text/markdown"))]
    return client.post("/documents", files=files, data={"classification": str(classification)})


def _sent_texts(fake_bedrock) -> str:
    return json.dumps([r["body"] for r in fake_bedrock.requests if r["operation"] == "InvokeModel"], ensure_ascii=False)


def test_a_confidential_upload_is_refused_and_never_reaches_the_external_embedder(api, fake_bedrock):
    response = _upload(api, "人事異動内示.md", SECRET, 3)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "ingest_failed"
    assert "人事異動内示.md" in body["message"] and "機密性3" in body["message"]
    assert f"bedrock/{TITAN}" in body["message"] and "日本国内" in body["message"]
    assert SECRET_WORD not in _sent_texts(fake_bedrock)
    assert not [r for r in fake_bedrock.requests if r["operation"] == "InvokeModel"]


def test_a_public_upload_is_embedded_by_the_index_embedder(api, fake_bedrock):
    response = _upload(api, "開庁時間.md", PUBLIC_UPLOAD, 1)
    assert response.status_code == 200, response.text
    assert response.json()["files_ingested"] == 1
    assert "開庁時間" in _sent_texts(fake_bedrock)
    assert {r["model_id"] for r in fake_bedrock.requests if r["operation"] == "InvokeModel"} == {TITAN}

