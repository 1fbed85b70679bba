"""Managing conversations on the API (issue 13): rename, search over titles and message text, delete that can be
undone within the undo period and is purged after it, export as Markdown and DOCX with sources and 機密性, each
audited; a deleted conversation is absent from every read."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from docx import Document
from sqlalchemy import func, select

from assistant.api.access import HIDDEN_ANSWER
from assistant.records import get_user, purge_deleted_conversations
from assistant.records.models import AuditLog, Conversation, Message, utcnow
from tests.api.conftest import leaks

PUBLIC_QUESTION = "住民票の写しの交付手数料はいくらですか"
ZAISEI_QUESTION = "予算編成の秘匿コードは何ですか"


def ask(api, user: str, message: str, conversation_id: str | None = None) -> dict:
    response = api.post("/chat", user, json={"message": message, "conversation_id": conversation_id})
    assert response.status_code == 200, response.text
    return response.json()


def patch(api, path: str, user: str, **kwargs):
    return api.client.patch(path, headers=api.auth(user), **kwargs)


def listed(api, user: str, **params) -> list[str]:
    response = api.get("/conversations", user, params=params)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()]


def audited(api, reason: str) -> list[AuditLog]:
    with api.ctx.sessions() as session:
        rows = session.scalars(
            select(AuditLog).where(AuditLog.task == "conversation", AuditLog.reason == reason)
        )
        return list(rows)


def test_rename_trims_and_checks_the_title(api):
    cid = ask(api, "bob", PUBLIC_QUESTION)["conversation_id"]
    path = f"/conversations/{cid}"
    renamed = patch(api, path, "bob", json={"title": "　 住民票の手数料（窓口から照会） \t"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "住民票の手数料（窓口から照会）"
    assert api.get(path, "bob").json()["title"] == "住民票の手数料（窓口から照会）"
    summary = api.get("/conversations", "bob").json()[0]
    assert summary["title"] == "住民票の手数料（窓口から照会）"
    assert summary["created_at"] and summary["updated_at"]

    for title, words in [
        (" \u3000 ", "入力してください"),
        ("あ" * 201, "200文字以内"),
        ("一行目\n二行目", "制御文字"),
    ]:
        refused = patch(api, path, "bob", json={"title": title})
        assert refused.status_code == 422 and words in refused.json()["message"], title
    assert patch(api, path, "bob", json={"title": "あ" * 200}).status_code == 200
    assert patch(api, path, "bob", json={}).status_code == 422
    assert patch(api, path, "alice", json={"title": "他人の会話"}).status_code == 404  # not hers: not found
    assert patch(api, path, "kanri", json={"title": "管理者"}).status_code == 403  # may read, not rename
    assert len(audited(api, "rename")) == 2


def test_search_finds_titles_and_message_text_of_own_conversations_only(api):
    fee = ask(api, "bob", PUBLIC_QUESTION)["conversation_id"]
    window = ask(api, "bob", "交付の窓口はどこですか")["conversation_id"]
    patch(api, f"/conversations/{window}", "bob", json={"title": "Window of the CITY office"})
    others = ask(api, "alice", PUBLIC_QUESTION)["conversation_id"]

    assert listed(api, "bob", q="city") == [window]  # title, any letter case
    assert listed(api, "bob", q="手数料は") == [fee]  # a question
    assert listed(api, "bob", q="一通につき300円") == [fee]  # an answer's text
    assert set(listed(api, "bob", q="資料によれば")) == {fee, window}
    assert listed(api, "bob", q="100%") == [] and listed(api, "bob", q="_") == []  # taken literally
    assert others not in listed(api, "bob", q=PUBLIC_QUESTION)
    assert listed(api, "bob", q="  ") == listed(api, "bob")  # blank: no filter
    assert listed(api, "bob", q="資料によれば", limit=1, offset=1) == [fee]  # paging kept
    assert api.get("/conversations", "bob", params={"q": "あ" * 201}).status_code == 422


def test_search_does_not_reveal_a_withheld_answer(api):
    cid = ask(api, "alice", ZAISEI_QUESTION)["conversation_id"]
    assert listed(api, "alice", q="アオサギ") == [cid]
    with api.ctx.write_sessions.begin() as session:
        get_user(session, "alice").groups = ["総務課"]
    assert listed(api, "alice", q="アオサギ") == []
    assert listed(api, "alice", q="秘匿コード") == [cid]  # her own question is still hers


def test_a_deleted_conversation_is_absent_everywhere_until_restored(api):
    first = ask(api, "alice", ZAISEI_QUESTION)
    cid, message_id = first["conversation_id"], first["message_id"]
    assert (
        api.post("/feedback", "alice", json={"message_id": message_id, "rating": "good"}).status_code == 200
    )
    path = f"/conversations/{cid}"

    assert api.delete(path, "bob").status_code == 404  # another user's: not found
    deleted = api.delete(path, "alice")
    assert deleted.status_code == 200
    body = deleted.json()
    assert (
        body["id"] == cid and body["title"] == ZAISEI_QUESTION and body["restore_path"] == f"{path}/restore"
    )
    assert body["restorable_until"] > body["deleted_at"]

    assert cid not in listed(api, "alice") and cid not in listed(api, "alice", q="秘匿コード")
    assert api.get(path, "alice").status_code == 404
    assert api.get(path, "kanri").status_code == 404
    assert api.get(f"{path}/export", "alice").status_code == 404
    assert patch(api, path, "alice", json={"title": "改名"}).status_code == 404
    assert api.delete(path, "alice").status_code == 404  # already deleted
    rated = api.post("/feedback", "alice", json={"message_id": message_id, "rating": "bad"})
    assert rated.status_code == 404
    continued = api.post("/chat", "alice", json={"message": "続きの質問です", "conversation_id": cid})
    assert continued.status_code == 404
    with api.ctx.sessions() as session:  # kept, for the undo
        assert session.scalar(select(func.count()).select_from(Message)) == 2

    assert api.post(f"{path}/restore", "bob").status_code == 404
    restored = api.post(f"{path}/restore", "alice")
    assert restored.status_code == 200 and restored.json()["id"] == cid
    assert cid in listed(api, "alice")
    assert [m["role"] for m in api.get(path, "alice").json()["messages"]] == ["user", "assistant"]
    assert api.post(f"{path}/restore", "alice").status_code == 404  # nothing to undo any more
    assert [r.outcome for r in audited(api, "delete")] == ["ok"]
    assert [r.outcome for r in audited(api, "restore")] == ["refused", "ok", "refused"]
    assert audited(api, "delete")[0].extra["conversation_id"] == cid


def test_restore_is_refused_after_the_undo_period_and_the_next_listing_purges(make_api):
    api = make_api(conversation_undo_days=1)
    old = ask(api, "bob", PUBLIC_QUESTION)["conversation_id"]
    recent = ask(api, "bob", "交付の窓口はどこですか")["conversation_id"]
    kept = ask(api, "alice", PUBLIC_QUESTION)["conversation_id"]
    for cid, user in [(old, "bob"), (recent, "bob"), (kept, "alice")]:
        assert api.delete(f"/conversations/{cid}", user).status_code == 200
    with api.ctx.write_sessions.begin() as session:
        for cid in (old, kept):
            session.get(Conversation, cid).deleted_at = utcnow() - timedelta(days=1, minutes=1)

    late = api.post(f"/conversations/{old}/restore", "bob")
    assert late.status_code == 409 and "1日を過ぎたため" in late.json()["message"]
    assert listed(api, "bob") == []  # bob's listing removes bob's expired one for good …
    with api.ctx.sessions() as session:
        assert session.get(Conversation, old) is None
        assert {c for c in session.scalars(select(Conversation.id))} == {recent, kept}  # … only his
        assert (
            session.scalar(select(func.count()).select_from(Message).where(Message.conversation_id == old))
            == 0
        )
    assert api.post(f"/conversations/{old}/restore", "bob").status_code == 404
    assert api.post(f"/conversations/{recent}/restore", "bob").status_code == 200
    assert audited(api, "purge")[0].extra["purged"] == 1

    with api.ctx.write_sessions.begin() as session:  # maintenance: everyone's expired deletions
        assert purge_deleted_conversations(session, 1) == 1
    with api.ctx.sessions() as session:
        assert session.get(Conversation, kept) is None and session.get(Conversation, recent) is not None


def test_markdown_export_has_dates_questions_answers_sources_and_the_highest_level(api):
    first = ask(api, "alice", PUBLIC_QUESTION)
    cid = first["conversation_id"]
    ask(api, "alice", ZAISEI_QUESTION, cid)
    response = api.get(f"/conversations/{cid}/export", "alice", params={"format": "md", "tz": "Asia/Tokyo"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/markdown")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    text = response.text
    lines = text.splitlines()
    assert lines[0] == "【機密性２】" and lines[2] == f"# {PUBLIC_QUESTION}"
    assert "この会話の機密性：機密性２" in text
    created = api.get(f"/conversations/{cid}", "alice").json()["created_at"]
    assert "作成日時：" in text and "年" in text and created[:4] in text
    assert "## 第1問" in text and "## 第2問" in text
    assert (
        text.index(PUBLIC_QUESTION, 10)
        < text.index("300円")
        < text.index(ZAISEI_QUESTION)
        < text.index("アオサギ")
    )
    assert "- ［1］住民票の写しの交付" in text and "閲覧範囲：全職員" in text
    assert "- ［1］令和7年度予算編成方針" in text and "機密性２　閲覧範囲：財政課" in text
    assert "抽出モード" in text
    rows = audited(api, "export")
    assert rows[0].level == 2 and rows[0].extra == {"conversation_id": cid, "format": "md"}


def test_docx_export_stamps_the_level_and_lists_the_sources(api):
    cid = ask(api, "alice", ZAISEI_QUESTION)["conversation_id"]
    response = api.get(f"/conversations/{cid}/export", "alice", params={"format": "docx"})
    assert response.status_code == 200
    document = Document(BytesIO(response.content))
    assert "機密性２" in document.sections[0].header.paragraphs[0].text
    body = "\n".join(p.text for p in document.paragraphs)
    assert body.splitlines()[0] == ZAISEI_QUESTION
    for expected in (
        "第1問",
        "【質問】",
        "【回答】",
        "【出典】",
        "［1］令和7年度予算編成方針",
        "機密性２　閲覧範囲：財政課",
    ):
        assert expected in body, expected
    assert document.core_properties.title == ZAISEI_QUESTION


def test_export_shows_only_what_the_reader_may_still_see(api):
    cid = ask(api, "alice", ZAISEI_QUESTION)["conversation_id"]
    with api.ctx.write_sessions.begin() as session:
        get_user(session, "alice").clearance = 1
    for fmt in ("md", "docx"):
        response = api.get(f"/conversations/{cid}/export", "alice", params={"format": fmt})
        assert response.status_code == 200
        text = (
            response.text
            if fmt == "md"
            else "\n".join(p.text for p in Document(BytesIO(response.content)).paragraphs)
        )
        assert leaks(text, "zaisei") == [] and HIDDEN_ANSWER in text
        assert "機密性１" in text and "機密性２" not in text
    assert api.get(f"/conversations/{cid}/export", "bob").status_code == 404  # another user's
    bad = api.get(f"/conversations/{cid}/export", "alice", params={"tz": "Mars/Olympus"})
    assert bad.status_code == 422 and "タイムゾーン" in bad.json()["message"]
    assert api.get(f"/conversations/{cid}/export", "alice", params={"format": "pdf"}).status_code == 422
    assert [r.outcome for r in audited(api, "export")] == ["ok", "ok", "refused"]
