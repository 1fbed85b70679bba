"""Files attached to a conversation: read by the ingest loaders for that conversation only, labelled with the
機密性 the user chose, cited by file name, routed by that level, and found by no one else and nowhere else."""

from __future__ import annotations

import pytest

MEMO = (
    "# 庁舎清掃の仕様メモ\n\n庁舎清掃の委託先はミソサザイ清掃株式会社である。清掃は毎週水曜日の午後に行う。\n"
)
QUESTION = "庁舎清掃の委託先はどこですか"
CODE = "ミソサザイ"


def attach(api, user, *, conversation_id=None, classification=1, name="清掃メモ.md", text=MEMO):
    data = {"classification": str(classification)}
    if conversation_id:
        data["conversation_id"] = conversation_id
    return api.post(
        "/attachments", user, files={"file": (name, text.encode("utf-8"), "text/markdown")}, data=data
    )


def test_attached_file_is_asked_about_and_cited_by_its_name(api):
    response = attach(api, "bob")
    assert response.status_code == 201, response.text
    att = response.json()
    assert (
        att["name"] == "清掃メモ.md" and att["classification"] == 1 and att["chunks"] >= 1 and att["embedded"]
    )
    conversation = att["conversation_id"]

    body = api.post("/chat", "bob", json={"message": QUESTION, "conversation_id": conversation}).json()
    assert CODE in body["answer"]
    cited = body["citations"][0]
    assert cited["title"] == "清掃メモ.md" and cited["chunk_id"].startswith(f"att-{att['id']}-")
    assert cited["classification"] == 1 and cited["groups"] == []

    listed = api.get(f"/conversations/{conversation}/attachments", "bob").json()["attachments"]
    assert [a["id"] for a in listed] == [att["id"]]
    # a reload shows the citation again
    stored = api.get(f"/conversations/{conversation}", "bob").json()["messages"][1]["citations"]
    assert stored[0]["title"] == "清掃メモ.md"


def test_attached_text_is_found_by_no_other_user_and_in_no_other_conversation(api):
    att = attach(api, "bob").json()
    own = api.post(
        "/chat", "bob", json={"message": QUESTION, "conversation_id": att["conversation_id"]}
    ).json()
    chunk_id = own["citations"][0]["chunk_id"]

    for user in ("alice", "kanri"):
        assert CODE not in api.post("/search", user, json={"query": QUESTION}).text
        assert CODE not in api.post("/chat", user, json={"message": QUESTION}).text
        assert api.get(f"/sources/{chunk_id}", user).status_code == 404
        assert api.get(f"/sources/{chunk_id}/file", user).status_code == 404
        assert api.get(f"/conversations/{att['conversation_id']}/attachments", user).status_code == 404
        assert api.delete(f"/attachments/{att['id']}", user).status_code == 404
        other = api.post("/chat", user, json={"message": QUESTION, "conversation_id": att["conversation_id"]})
        assert other.status_code == 404
    # the owner, in another conversation or none, and through search: not there either
    assert CODE not in api.post("/chat", "bob", json={"message": QUESTION}).text
    assert CODE not in api.post("/search", "bob", json={"query": QUESTION}).text
    assert api.get(f"/sources/{chunk_id}", "bob").status_code == 404  # its file is not kept
    assert CODE not in api.get("/documents", "bob").text
    assert len(api.ctx.stores.get()) == 3  # the shared index is unchanged


def test_level_is_capped_by_clearance_and_checked(api):
    refused = attach(api, "bob", classification=2)
    assert refused.status_code == 403 and "機密性1" in refused.json()["message"]
    bad = attach(api, "bob", classification=4)
    assert bad.status_code == 422 and "1〜3" in bad.json()["message"]
    unsupported = attach(api, "bob", name="a.exe", text="x")
    assert unsupported.status_code == 415
    assert api.get("/conversations", "bob").json() == []  # nothing was created


def test_attachment_over_the_upload_limit_is_refused(make_api):
    api = make_api(max_upload_mb=0.001)
    response = attach(api, "bob", text="あ" * 2000)
    assert response.status_code == 413


def test_level3_attachment_never_goes_to_a_backend_the_policy_forbids(make_api, fake_bedrock):
    api = make_api(bedrock_endpoint_url=fake_bedrock.url, backend_max_attempts=1)
    att = attach(api, "kanri", classification=3).json()
    assert att["classification"] == 3
    response = api.post(
        "/chat", "kanri",
        json={"message": QUESTION, "conversation_id": att["conversation_id"], "backend": "bedrock/nova-lite"},
    )  # fmt: skip
    assert response.status_code == 403 and "機密性3" in response.json()["message"]
    assert fake_bedrock.requests == []
    offline = api.post(
        "/chat", "kanri", json={"message": QUESTION, "conversation_id": att["conversation_id"]}
    )
    assert CODE in offline.json()["answer"] and offline.json()["classification"] == 3


def test_not_embedded_when_the_policy_keeps_the_level_from_the_embedder(make_api, embedder, monkeypatch):
    monkeypatch.setattr(type(embedder), "data_location", "global", raising=False)
    api = make_api(classification_policy={1: ["global"], 2: ["organisation"], 3: ["organisation"]})
    two = attach(api, "alice", classification=2).json()
    one = attach(api, "alice", classification=1, conversation_id=two["conversation_id"]).json()
    assert not two["embedded"] and one["embedded"]
    body = api.post(
        "/chat", "alice", json={"message": QUESTION, "conversation_id": two["conversation_id"]}
    ).json()
    assert CODE in body["answer"]  # found by words


def test_remove_and_conversation_delete_drop_attachments_and_are_audited(api):
    from sqlalchemy import func, select

    from assistant.records.models import ConversationAttachment

    att = attach(api, "bob").json()
    second = attach(api, "bob", conversation_id=att["conversation_id"], name="二つ目.md").json()
    assert api.delete(f"/attachments/{att['id']}", "bob").status_code == 200
    body = api.post(
        "/chat", "bob", json={"message": QUESTION, "conversation_id": att["conversation_id"]}
    ).json()
    assert body["citations"][0]["title"] == "二つ目.md"
    assert api.delete(f"/attachments/{att['id']}", "bob").status_code == 404

    assert api.delete(f"/conversations/{att['conversation_id']}", "bob").status_code in (200, 204)  # trashed
    assert api.get(f"/conversations/{att['conversation_id']}/attachments", "bob").status_code == 404
    assert attach(api, "bob", conversation_id=att["conversation_id"]).status_code == 404
    again = api.post("/chat", "bob", json={"message": QUESTION, "conversation_id": att["conversation_id"]})
    assert again.status_code == 404  # a deleted conversation cannot be continued
    with api.ctx.write_sessions.begin() as session:
        from assistant.records import purge_deleted_conversations

        purge_deleted_conversations(session, 0)
    with api.ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ConversationAttachment)) == 0
    rows = api.get("/audit", "kanri", params={"limit": 50, "task": "attachment"}).json()["items"]
    reasons = sorted(r["reason"] for r in rows if r["task"] == "attachment")
    assert reasons == ["attach", "attach", "detach"] and second["id"]


@pytest.mark.parametrize("conversation_id", ["no-such-conversation"])
def test_attaching_to_a_missing_conversation_is_404(api, conversation_id):
    assert attach(api, "bob", conversation_id=conversation_id).status_code == 404
