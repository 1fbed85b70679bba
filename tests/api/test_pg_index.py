"""The API on the shared PostgreSQL index (YAKUBA_INDEX_URL; pgserver, skipped when it cannot start): search,
chat, documents, original files and uploads, access rules inside the SQL, and two API instances that see each
other's uploads at once (reads are live: nothing to reload)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.config import Settings
from assistant.records import create_user
from tests.api.conftest import CORPUS, PEOPLE, Api, leaks
from tests.support.embedder import BigramEmbedder
from tests.support.pg import index_files, pg_admin_url, pg_database_fixture  # noqa: F401  (fixtures)


@pytest.fixture
def corpus(tmp_path) -> Path:
    root = tmp_path / "library"
    for folder, (labels, name, text) in CORPUS.items():
        (root / folder).mkdir(parents=True)
        (root / folder / ".yakuba.json").write_text(json.dumps(labels), encoding="utf-8")
        (root / folder / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def make_pg_api(tmp_path, pg_database, corpus) -> Iterator[Callable[[], Api]]:
    """API instances over one PostgreSQL index (the corpus ingested once) and one records database."""
    from assistant.ingesting import build_pipeline
    from ingest.labels import Labels

    embedder = BigramEmbedder()
    settings = Settings(
        home=tmp_path / "home",
        index_url=pg_database,
        database_url=f"sqlite:///{tmp_path / 'yakuba.db'}",
        rate_limit_per_minute=0,
        default_backend="offline/extractive",
        upload_groups=["文書管理"],
        source_roots=[corpus],
    )
    summary = build_pipeline(settings, None, Labels(), embedder=embedder).run([corpus / f for f in CORPUS])
    assert summary.exit_code == 0 and summary.index_dir.startswith("postgresql"), summary.render()
    made: list[Api] = []

    def make() -> Api:
        app = create_app(settings, embedder=embedder)
        ctx = app.state.ctx
        keys = {}
        with ctx.write_sessions.begin() as session:
            for name, (groups, clearance, admin) in PEOPLE.items():
                found = create_user(session, name, groups, clearance, admin=admin) if not made else None
                keys[name] = found[1] if found else made[0].keys[name]
        api = Api(TestClient(app), ctx, keys)
        made.append(api)
        return api

    yield make
    for api in made:
        api.client.close()
        api.ctx.close()


def test_search_chat_documents_and_sources_read_postgresql(make_pg_api, tmp_path):
    api = make_pg_api()
    assert api.ctx.stores.index_dir is None  # uploads go to the configured (PostgreSQL) index
    assert not (tmp_path / "home" / "index").exists()

    hits = api.post("/search", "bob", json={"query": "予算編成の秘匿コード", "k": 50}).json()["hits"]
    assert hits and {h["source"] for h in hits} == {"public/窓口案内.md"}  # filtered before the top-k cut
    assert not leaks(json.dumps(hits, ensure_ascii=False), "zaisei", "jinji")
    mine = api.post("/search", "alice", json={"query": "予算編成の秘匿コード", "k": 3}).json()["hits"]
    assert mine[0]["source"] == "zaisei/予算編成方針.md" and "アオサギ" in mine[0]["text"]

    answer = api.post("/chat", "bob", json={"message": "住民票の写しの交付手数料はいくらですか"}).json()
    assert "300円" in answer["answer"] and answer["citations"][0]["source"] == "public/窓口案内.md"

    documents = api.get("/documents", "bob").json()["documents"]
    assert [d["source"] for d in documents] == ["public/窓口案内.md"]
    assert {d["source"] for d in api.get("/documents", "alice").json()["documents"]} == {
        "public/窓口案内.md", "zaisei/予算編成方針.md",
    }  # fmt: skip

    link = api.get(f"/sources/{answer['citations'][0]['chunk_id']}", "bob")
    assert link.status_code == 200, link.text
    opened = api.client.get(link.json()["url"])
    assert opened.status_code == 200 and "300円" in opened.content.decode("utf-8")
    assert api.get(f"/sources/{mine[0]['chunk_id']}", "bob").status_code == 404
    assert api.client.get("/health").json()["index_present"] is True


def test_an_upload_on_one_instance_is_found_at_once_by_another(make_pg_api, pg_database):
    first, second = make_pg_api(), make_pg_api()
    before = second.post("/search", "bob", json={"query": "犬の登録手数料"}).json()["hits"]
    assert all(h["title"] != "犬の登録" for h in before)
    text = "# 犬の登録\n\n犬の登録手数料は3000円です。登録の窓口は環境課です。\n"
    response = first.post(
        "/documents", "uploader", files=[("files", ("犬の登録.md", text.encode("utf-8"), "text/markdown"))]
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["files_ingested"] == 1 and summary["chunks_total"] == 2  # the uploader's view: 2 files
    uploaded = [s for s in index_files(pg_database) if s.endswith("/犬の登録.md")]
    assert len(uploaded) == 1

    hit = second.post("/search", "bob", json={"query": "犬の登録手数料", "k": 1}).json()["hits"][0]
    assert hit["source"] == uploaded[0] and "3000円" in hit["text"]
    answer = second.post("/chat", "bob", json={"message": "犬の登録手数料はいくらですか"}).json()
    assert "3000円" in answer["answer"]
    assert uploaded[0] in {d["source"] for d in second.get("/documents", "bob").json()["documents"]}


def test_an_upload_above_the_callers_rights_is_refused_and_nothing_is_written(make_pg_api, pg_database):
    api = make_pg_api()
    before = index_files(pg_database)
    refused = api.post(
        "/documents", "uploader", data={"classification": "3"},
        files=[("files", ("秘.md", "# 秘\n\n秘密の文書。\n".encode(), "text/markdown"))],
    )  # fmt: skip
    assert refused.status_code == 403 and "機密性" in refused.json()["message"]
    assert index_files(pg_database) == before


def _app_with_bob(tmp_path, index_url: str):
    """An API on `index_url` with one user, bob (総務課, level 1): (app, its context, bob's key)."""
    settings = Settings(
        home=tmp_path / "home", index_url=index_url, database_url=f"sqlite:///{tmp_path / 'y.db'}",
        rate_limit_per_minute=0,
    )  # fmt: skip
    app = create_app(settings, embedder=BigramEmbedder())
    ctx = app.state.ctx
    with ctx.write_sessions.begin() as session:
        key = create_user(session, "bob", ["総務課"], 1)[1]
    return app, ctx, key


def test_before_any_ingest_the_api_says_so(tmp_path, pg_database):
    app, ctx, key = _app_with_bob(tmp_path, pg_database)
    with TestClient(app) as client:
        response = client.post("/search", json={"query": "何か"}, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 503 and "登録されていません" in response.json()["message"]
        assert client.get("/documents", headers={"Authorization": f"Bearer {key}"}).json()["documents"] == []
    ctx.close()


class _TestingEmbedders:
    """`testing/bigram` (256 dimensions) and `testing/bigram128`: embedders the registry resolves by the address
    the index records, so the API can take the index's own embedder as it would a model."""

    def names(self) -> list[str]:
        return ["bigram", "bigram128"]

    def create(self, name: str) -> BigramEmbedder:
        return BigramEmbedder(name=f"testing/{name}", dim=128 if name.endswith("128") else 256)


def test_the_index_is_reopened_only_when_rebuilt_with_another_embedder(
    tmp_path, pg_database, corpus, monkeypatch
):
    from assistant.api.context import StoreProvider
    from assistant.backends import embedders
    from assistant.ingesting import build_pipeline
    from ingest.labels import Labels

    monkeypatch.setattr(embedders, "EMBEDDERS", embedders.EMBEDDERS.copy())
    monkeypatch.setattr(embedders, "_CACHE", {})
    embedders.register_embedder("testing", _TestingEmbedders())
    settings = Settings(home=tmp_path / "home", index_url=pg_database, embedder="offline/usem3")
    folders = [corpus / f for f in CORPUS]
    build_pipeline(settings, None, Labels(), embedder="testing/bigram").run(folders)

    provider = StoreProvider(settings)  # no embedder given: the index's own, as recorded in PostgreSQL
    first = provider.get()
    assert first.embedder_name == "testing/bigram" and provider.ingest_embedder().name == "testing/bigram"
    assert first.search("住民票の写しの交付手数料", k=1)[0].chunk.source == "public/窓口案内.md"
    (corpus / "public" / "追加.md").write_text(
        "# 犬の登録\n\n犬の登録手数料は3000円です。\n", encoding="utf-8"
    )
    build_pipeline(settings, None, Labels()).run([corpus / "public"])  # a new file, same embedder
    assert provider.get() is first  # not reopened, and yet the new file is found at once
    assert first.search("犬の登録手数料", k=1)[0].chunk.source == "public/追加.md"

    rebuilt = build_pipeline(settings, None, Labels(), embedder="testing/bigram128", rebuild=True).run(
        folders
    )
    assert rebuilt.exit_code == 0, rebuilt.render()
    second = provider.get()
    assert second is not first and second.embedder.dim == 128
    assert second.search("住民票の写しの交付手数料", k=1)[0].chunk.source == "public/窓口案内.md"
    assert provider.ingest_embedder().name == "testing/bigram128"
    provider.close()


def test_an_unreachable_index_database_is_an_error_not_an_empty_index(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app, ctx, key = _app_with_bob(tmp_path, f"postgresql://yakuba@127.0.0.1:{port}/yakuba")
    with TestClient(app) as client:
        response = client.get("/documents", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 503 and response.json()["error"] == "index_unreachable"
        assert "接続できません" in response.json()["message"] and "YAKUBA_INDEX_URL" in response.json()["message"]
    ctx.close()
