"""Access control across every route: a user without the group or the clearance never sees a
restricted chunk's text, title or existence."""

from __future__ import annotations

import json

from assistant.api.access import HIDDEN_ANSWER
from assistant.records import get_user
from tests.api.conftest import CORPUS, leaks

QUESTIONS = {
    "zaisei": "予算編成の秘匿コードは何ですか",
    "jinji": "人事評価の秘匿コードは何ですか",
}
# user → folders whose chunks they must never see
FORBIDDEN = {
    "alice": ("jinji",),
    "bob": ("zaisei", "jinji"),
    "hana": ("zaisei", "jinji"),  # in 人事課, but jinji is 機密性3 above her clearance 2
    "kanri": ("zaisei", "jinji"),  # administrators are not exempt
}


def test_search_never_returns_or_counts_forbidden_chunks(api):
    for user, forbidden in FORBIDDEN.items():
        for question in QUESTIONS.values():
            response = api.post("/search", user, json={"query": question, "k": 10})
            assert response.status_code == 200
            assert leaks(response.text, *forbidden) == [], (user, question)
            sources = {hit["source"].split("/")[0] for hit in response.json()["hits"]}
            assert not sources & set(forbidden)
    # bob may see one chunk in all: asking for 10 gives exactly that one
    assert len(api.post("/search", "bob", json={"query": QUESTIONS["zaisei"], "k": 10}).json()["hits"]) == 1
    allowed = api.post("/search", "alice", json={"query": QUESTIONS["zaisei"]}).json()["hits"]
    assert "アオサギ" in allowed[0]["text"]


def test_search_scope_filters_narrow_but_never_widen(api):
    def sources(user, filters):
        hits = api.post(
            "/search", user, json={"query": QUESTIONS["zaisei"], "k": 10, "filters": filters}
        ).json()
        return {hit["source"].split("/")[0] for hit in hits["hits"]}

    assert sources("alice", {"doc_type": "policy"}) == {"public", "zaisei"}
    assert sources("alice", {"doc_type": "inquiry"}) == set()
    assert sources("alice", {"date_from": "2024-04-01"}) == set()  # the test documents carry no date
    assert sources("bob", {"doc_type": "policy"}) == {"public"}
    bad = api.post("/search", "bob", json={"query": "x", "filters": {"groups": ["財政課"]}})
    assert bad.status_code == 422  # access filters cannot be given by the caller


def test_chat_citations_and_audit_never_include_forbidden_chunks(api):
    restricted_ids = {
        c.chunk_id for c in api.ctx.stores.get().chunks if c.source.split("/")[0] in ("zaisei", "jinji")
    }
    for user, forbidden in FORBIDDEN.items():
        for question in QUESTIONS.values():
            response = api.post("/chat", user, json={"message": question})
            assert response.status_code == 200
            assert leaks(response.text, *forbidden) == [], (user, question)
            streamed = api.post("/chat", user, json={"message": question, "stream": True})
            assert leaks(streamed.text, *forbidden) == [], (user, question)
    rows = api.get("/audit", "kanri", params={"limit": 500}).json()["items"]
    for row in rows:
        if row["user"] != "alice":
            assert not set(row["chunk_ids"]) & restricted_ids, row
    answer = api.post("/chat", "alice", json={"message": QUESTIONS["zaisei"]}).json()
    assert answer["citations"] and "アオサギ" in answer["answer"]


def test_documents_list_only_sources_with_a_visible_chunk(api):
    listed = {
        user: {d["source"].split("/")[0] for d in api.get("/documents", user).json()["documents"]}
        for user in ("alice", "bob", "hana", "kanri")
    }
    assert listed == {
        "alice": {"public", "zaisei"},
        "bob": {"public"},
        "hana": {"public"},
        "kanri": {"public"},
    }
    assert leaks(api.get("/documents", "bob").text, "zaisei", "jinji") == []


def test_history_is_refiltered_when_the_readers_rights_shrink(api):
    answer = api.post("/chat", "alice", json={"message": QUESTIONS["zaisei"]}).json()
    conversation = api.get(f"/conversations/{answer['conversation_id']}", "alice").json()
    assert "アオサギ" in conversation["messages"][1]["text"]
    assert conversation["messages"][1]["citations"][0]["chunk_id"] == answer["citations"][0]["chunk_id"]

    with api.ctx.write_sessions.begin() as session:
        get_user(session, "alice").groups = ["総務課"]  # moved to another section
    response = api.get(f"/conversations/{answer['conversation_id']}", "alice")
    assert response.status_code == 200
    assert leaks(response.text, "zaisei") == []
    question, hidden = response.json()["messages"]
    assert question["text"] == QUESTIONS["zaisei"]
    assert hidden["text"] == HIDDEN_ANSWER and hidden["citations"] == []


def test_history_is_refiltered_when_a_document_is_reclassified(api, embedder, tmp_path):
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestPipeline

    answer = api.post("/chat", "alice", json={"message": QUESTIONS["zaisei"]}).json()
    labels, name, text = CORPUS["zaisei"]
    folder = tmp_path / "zaisei"
    folder.mkdir()
    (folder / ".yakuba.json").write_text(json.dumps({**labels, "classification": 3}), encoding="utf-8")
    (folder / name).write_text(text, encoding="utf-8")
    assert IngestPipeline(LocalIndexTarget(api.ctx.stores.index_dir), embedder).run([folder]).exit_code == 0

    response = api.get(f"/conversations/{answer['conversation_id']}", "alice")
    assert leaks(response.text, "zaisei") == []
    assert response.json()["messages"][1]["text"] == HIDDEN_ANSWER
    assert api.get("/documents", "alice").json()["documents"][-1]["source"].startswith("public/")


def test_other_users_conversations_look_exactly_like_missing_ones(api):
    own = api.post("/chat", "alice", json={"message": QUESTIONS["zaisei"]}).json()["conversation_id"]
    missing = "00000000-0000-0000-0000-000000000000"
    for method in ("GET", "DELETE"):
        theirs = api.client.request(method, f"/conversations/{own}", headers=api.auth("bob"))
        absent = api.client.request(method, f"/conversations/{missing}", headers=api.auth("bob"))
        assert theirs.status_code == absent.status_code == 404
        assert theirs.json() == absent.json()
    continued = api.post("/chat", "bob", json={"message": "住民票の手数料", "conversation_id": own})
    assert continued.status_code == 404
    assert (
        continued.json()
        == api.post("/chat", "bob", json={"message": "住民票の手数料", "conversation_id": missing}).json()
    )
    assert [c["id"] for c in api.get("/conversations", "bob").json()] == []
    assert api.get(f"/conversations/{own}", "alice").status_code == 200


def test_usage_is_private_to_each_user(api):
    api.post("/chat", "alice", json={"message": QUESTIONS["zaisei"]})
    api.post("/chat", "bob", json={"message": "住民票の写しの交付手数料はいくらですか"})
    own = api.get("/usage", "bob").json()
    assert {row["user"] for row in own["rows"]} == {"bob"} and own["requests"] == 1
    assert api.get("/usage", "bob", params={"user": "alice"}).status_code == 403
    assert api.get("/usage", "bob", params={"user": "nobody"}).status_code == 403
    everyone = api.get("/usage", "kanri").json()
    assert {row["user"] for row in everyone["rows"]} == {"alice", "bob"} and everyone["requests"] == 2
    assert {row["user"] for row in api.get("/usage", "kanri", params={"user": "alice"}).json()["rows"]} == {
        "alice"
    }


def test_query_embeddings_sent_outside_are_audited_under_the_searching_user(api, embedder, monkeypatch):
    """Every model call is audited: an embedder outside the organisation embeds each search's query, so each
    search and chat turn leaves a `query_embedding` row with its user and task (and never the query)."""
    monkeypatch.setattr(embedder, "data_location", "japan", raising=False)
    assert api.post("/search", "bob", json={"query": "住民票の写しの交付手数料"}).status_code == 200
    assert api.post("/chat", "alice", json={"message": "山田太郎さんの住民票の交付手数料"}).status_code == 200
    rows = api.get("/audit", "kanri", params={"limit": 100}).json()["items"]
    sent = [r for r in rows if r["task"] == "query_embedding"]
    assert {(r["user"], r["reason"]) for r in sent} >= {("bob", "search"), ("alice", "ask")}, sent
    assert all(r["outcome"] == "ok" and r["backend"] == embedder.name for r in sent)
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from assistant.records.models import AuditLog

    with Session(api.ctx.audit_sink._engine) as session:
        stored = session.scalars(select(AuditLog).where(AuditLog.task == "query_embedding")).all()
    assert "山田" not in json.dumps([(r.extra, r.masked) for r in stored], ensure_ascii=False)
    assert any(r.masked.get("name") for r in stored if r.user_name == "alice")
