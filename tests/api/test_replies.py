"""/replies: splitting a pasted 照会文, drafting through the reply task, the review workflow, exports, access by
機密性 and groups, and the audit of every step."""

from __future__ import annotations

import io

import pytest
from docx import Document

from assistant.records import create_user
from assistant.records.drafts import create_draft
from tests.api.conftest import leaks
from tests.builders.replies import policy_source, reply_draft

APPROVERS = ["総務課", "財政課"]
PASTED = """件名：予算編成について
照会元：東京都財務局
照会日：令和7年4月1日
照会番号：7財主第45号
照会内容：
1. 経常経費の削減率を伺います。
2. 職員駐車場の使用料を伺います。
"""


@pytest.fixture
def rapi(make_api):
    """The API with reviewers in 総務課 and 財政課: uploader (総務課, 2), bob (総務課, 1) and zaimu, a 財政課
    reviewer added here (alice, also in 財政課, is the author)."""
    api = make_api(reply_approver_groups=APPROVERS)
    with api.ctx.write_sessions.begin() as session:
        api.keys["zaimu"] = create_user(session, "zaimu", ["財政課"], 2)[1]
    return api


def user_of(api, name):
    from assistant.records import get_user

    with api.ctx.sessions() as session:
        return get_user(session, name)


def stored(api, owner, draft):
    with api.ctx.write_sessions.begin() as session:
        return create_draft(session, user_of(api, owner), draft).id


def step(api, user, draft_id, action, comment=""):
    return api.post(f"/replies/{draft_id}/transition", user, json={"action": action, "comment": comment})


def audit_rows(api):
    from sqlalchemy import select

    from assistant.records.models import AuditLog

    with api.ctx.sessions() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.task == "reply_review").order_by(AuditLog.id))
        return [
            {"user": r.user_name, "outcome": r.outcome, "level": r.level, "extra": r.extra, "error": r.error}
            for r in rows
        ]


def test_split_reads_the_fields_and_the_items(rapi):
    response = rapi.post("/replies/split", "bob", json={"text": PASTED})
    assert response.status_code == 200
    body = response.json()
    assert body["inquiry"]["subject"] == "予算編成について"
    assert body["inquiry"]["sender"] == "東京都財務局"
    assert body["inquiry"]["asked_on"] == "2025-04-01"
    assert body["inquiry"]["reference"] == "7財主第45号"
    assert [i["number"] for i in body["items"]] == ["1", "2"]
    empty = rapi.post("/replies/split", "bob", json={"text": "　\n"})
    assert empty.status_code == 422 and "照会" in empty.json()["message"]


def test_draft_review_cycle_with_versions_exports_and_audit(rapi):
    inquiry = rapi.post("/replies/split", "alice", json={"text": PASTED}).json()["inquiry"]
    created = rapi.post("/replies/draft", "alice", json={"inquiry": inquiry})
    assert created.status_code == 201, created.text
    draft = created.json()
    draft_id = draft["id"]
    assert (draft["state"], draft["version"], draft["owner"]) == ("下書き", 1, "alice")
    assert draft["mode"] == "extractive" and draft["backend"] == "offline/extractive"
    assert draft["classification"] == 2  # it cites the 財政課 budget policy
    items = draft["draft"]["items"]
    assert items[0]["status"] == "回答" and "5パーセント" in items[0]["answer"]
    assert items[1]["status"] == "要確認" and items[1]["answer"] == ""
    assert draft["actions"] == ["edit", "submit", "export"]

    # A 下書き is the author's own.
    assert rapi.get(f"/replies/{draft_id}", "zaimu").status_code == 404
    assert step(rapi, "alice", draft_id, "submit").json()["state"] == "確認依頼"
    queue = rapi.get("/replies", "zaimu", params={"state": "確認依頼", "mine": "false"}).json()["drafts"]
    assert [d["id"] for d in queue] == [draft_id] and queue[0]["actions"] == ["approve", "return", "export"]
    assert step(rapi, "alice", draft_id, "approve").status_code == 403  # never the author

    returned = step(rapi, "zaimu", draft_id, "return", "2の使用料は管財課に確認してください。")
    assert returned.status_code == 200 and returned.json()["state"] == "差戻し"
    assert step(rapi, "alice", draft_id, "submit").status_code == 409  # not edited since

    edited = returned.json()["draft"]
    edited["items"][1] |= {"status": "回答", "answer": "職員駐車場の使用料は、月額3,000円としている。"}
    put = rapi.client.put(
        f"/replies/{draft_id}", headers=rapi.auth("alice"),
        json={"draft": edited, "base_version": 1, "comment": "管財課に確認済み"},
    )  # fmt: skip
    assert put.status_code == 200 and put.json()["version"] == 2
    stale = rapi.client.put(
        f"/replies/{draft_id}", headers=rapi.auth("alice"), json={"draft": edited, "base_version": 1}
    )
    assert stale.status_code == 409 and "第2版" in stale.json()["message"]

    versions = rapi.get(f"/replies/{draft_id}/versions", "zaimu").json()["versions"]
    assert [v["number"] for v in versions] == [1, 2] and versions[1]["author"] == "alice"
    assert "月額3,000円" in versions[1]["text"] and "月額3,000円" not in versions[0]["text"]

    draft_docx = rapi.get(f"/replies/{draft_id}/export", "alice", params={"format": "docx"})
    assert draft_docx.status_code == 200
    header = "".join(p.text for p in Document(io.BytesIO(draft_docx.content)).sections[0].header.paragraphs)
    assert header == "案\t機密性２"
    assert "filename*=UTF-8''" in draft_docx.headers["content-disposition"]

    assert step(rapi, "alice", draft_id, "submit").status_code == 200
    approved = step(rapi, "zaimu", draft_id, "approve").json()
    assert (approved["state"], approved["reviewer"]) == ("承認済", "zaimu")
    assert [e["action"] for e in approved["events"]] == [
        "create",
        "submit",
        "return",
        "edit",
        "submit",
        "approve",
    ]
    text = rapi.get(f"/replies/{draft_id}/export", "alice", params={"format": "txt"}).text
    assert text.splitlines()[0].strip() == "機密性２" and "【案】" not in text
    assert (
        rapi.client.put(
            f"/replies/{draft_id}", headers=rapi.auth("alice"), json={"draft": edited}
        ).status_code
        == 409
    )

    rows = audit_rows(rapi)
    done = [(r["user"], r["extra"]["action"], r["outcome"]) for r in rows]
    assert done == [
        ("alice", "create", "ok"), ("alice", "submit", "ok"), ("alice", "approve", "refused"),
        ("zaimu", "return", "ok"), ("alice", "submit", "refused"), ("alice", "edit", "ok"),
        ("alice", "edit", "refused"), ("alice", "export", "ok"), ("alice", "submit", "ok"),
        ("zaimu", "approve", "ok"), ("alice", "export", "ok"), ("alice", "edit", "refused"),
    ]  # fmt: skip
    expected = {"from_state": "確認依頼", "to_state": "差戻し", "draft_id": draft_id, "version": 1}
    assert rows[3]["extra"].items() >= expected.items()
    assert rows[3]["extra"]["comment"] == "2の使用料は管財課に確認してください。"
    assert "自らが作成" in rows[2]["error"]
    assert rows[3]["level"] == 2


def test_reviewers_below_the_drafts_labels_cannot_open_it(rapi):
    draft_id = rapi.post(
        "/replies/draft", "alice", json={"inquiry": {"content": "経常経費の削減率を伺います。"}}
    )
    draft_id = draft_id.json()["id"]
    step(rapi, "alice", draft_id, "submit")
    below = rapi.get(f"/replies/{draft_id}", "bob")  # reviewer (総務課) with clearance 1 < 機密性2
    assert below.status_code == 403 and "機密性２" in below.json()["message"]
    outside = rapi.get(f"/replies/{draft_id}", "uploader")  # reviewer with clearance 2, not in 財政課
    assert outside.status_code == 403 and "閲覧範囲" in outside.json()["message"]
    for user in ("bob", "uploader", "kanri"):
        assert rapi.get("/replies", user).json()["drafts"] == []
        for path in ("", "/versions", "/export"):
            response = rapi.get(f"/replies/{draft_id}{path}", user)
            assert response.status_code in (403, 404) and leaks(response.text, "zaisei") == []
        assert step(rapi, user, draft_id, "approve").status_code == 403
    assert rapi.get(f"/replies/{draft_id}", "hana").status_code == 404  # not a reviewer: no such draft


def test_current_labels_of_sources_and_similar_inquiries_apply_on_read(rapi):
    store = rapi.ctx.stores.get()
    zaisei = next(c for c in store.chunks if c.source.startswith("zaisei/"))
    public = next(c for c in store.chunks if c.source.startswith("public/"))
    # Stored as public, but its chunk is now 機密性2 for 財政課: readers below that are refused.
    relabelled = reply_draft(
        sources=[policy_source(1, chunk_id=zaisei.chunk_id)], classification=1, similar=[]
    )
    hidden = stored(rapi, "alice", relabelled)
    assert step(rapi, "alice", hidden, "submit").status_code == 200
    for reviewer in ("bob", "uploader"):
        refused = rapi.get(f"/replies/{hidden}", reviewer)
        assert refused.status_code == 403 and leaks(refused.text, "zaisei") == []

    similar = reply_draft().similar[0]
    draft = reply_draft(
        sources=[policy_source(1, chunk_id=public.chunk_id)], classification=1,
        similar=[
            similar.model_copy(update={"chunk_id": "gone-1", "classification": 1, "groups": ["人事課"]}),
            similar.model_copy(update={"chunk_id": zaisei.chunk_id, "classification": 1, "groups": []}),
            similar.model_copy(update={"chunk_id": public.chunk_id, "classification": 1, "groups": []}),
        ],
    )  # fmt: skip
    shown = stored(rapi, "uploader", draft)
    assert step(rapi, "uploader", shown, "submit").status_code == 200
    seen = rapi.get(f"/replies/{shown}", "bob").json()["draft"]["similar"]
    assert [s["chunk_id"] for s in seen] == [public.chunk_id]
    assert [s["chunk_id"] for s in rapi.get(f"/replies/{shown}", "uploader").json()["draft"]["similar"]] == [
        public.chunk_id
    ]


def test_bad_requests_are_explained_in_japanese(rapi):
    wrong_state = rapi.get("/replies", "bob", params={"state": "done"})
    assert wrong_state.status_code == 422 and "「状態」" in wrong_state.json()["message"]
    draft_id = stored(rapi, "bob", reply_draft(sources=[policy_source(1)], classification=1))
    wrong_action = step(rapi, "bob", draft_id, "publish")
    assert wrong_action.status_code == 422 and "「操作」" in wrong_action.json()["message"]
    assert step(rapi, "bob", draft_id, "approve").json()["message"].startswith("自らが作成")
    no_comment = rapi.post("/replies", "bob")
    assert no_comment.status_code == 405
    missing = rapi.get("/replies/00000000-0000-0000-0000-000000000000", "bob")
    assert missing.status_code == 404 and missing.json()["message"] == "指定された回答案は見つかりません。"
    assert rapi.get(f"/replies/{draft_id}/export", "bob", params={"format": "pdf"}).status_code == 422
