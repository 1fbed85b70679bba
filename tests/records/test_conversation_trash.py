"""Search, rename, delete with undo and purge of conversations, on SQLite and PostgreSQL (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from assistant.records import (
    add_feedback,
    add_message,
    create_conversation,
    get_conversation,
    list_conversations,
    list_feedback,
    list_messages,
    purge_deleted_conversations,
    rename_conversation,
    restore_conversation,
    trash_conversation,
)
from assistant.records.models import Feedback, Message, utcnow
from core.errors import AccessDenied, InvalidRecord, RecordConflict, RecordNotFound


def _conversation(sessions, owner, question: str, answer: str) -> tuple[str, int]:
    with sessions.begin() as session:
        conversation = create_conversation(session, owner)
        add_message(session, owner, conversation.id, "user", question)
        message = add_message(session, owner, conversation.id, "assistant", answer)
        return conversation.id, message.id


def test_search_matches_titles_and_message_text_in_any_letter_case(sessions, people):
    tanaka = people["tanaka"]
    fee, _ = _conversation(sessions, tanaka, "住民票の写しの手数料は？", "一通300円です（Fee table 参照）。")
    telework, _ = _conversation(sessions, tanaka, "Telework の日数は？", "週2日までです。")
    _conversation(sessions, people["suzuki"], "住民票の写しの手数料は？", "300円です。")
    with sessions() as session:
        ids = lambda q: [c.id for c in list_conversations(session, tanaka, query=q)]  # noqa: E731
        assert ids("TELEWORK") == [telework]  # the title (the first question)
        assert ids("fee TABLE") == [fee]  # an answer
        assert ids("住民票") == [fee]  # not suzuki's
        assert ids("100%") == [] and ids("_") == []
        assert set(ids("")) == {fee, telework}


def test_rename_is_for_the_owner_and_checks_the_title(sessions, people):
    tanaka, kanri = people["tanaka"], people["kanri"]
    cid, _ = _conversation(sessions, tanaka, "質問", "回答")
    with sessions.begin() as session:
        assert rename_conversation(session, tanaka, cid, "  予算の件 ").title == "予算の件"
        with pytest.raises(InvalidRecord):
            rename_conversation(session, tanaka, cid, "タブ\tを含む")
        with pytest.raises(AccessDenied):
            rename_conversation(session, kanri, cid, "管理者による変更")
        with pytest.raises(RecordNotFound):
            rename_conversation(session, people["suzuki"], cid, "他人")


def test_trash_hides_restore_brings_back_and_purge_removes_for_good(sessions, people):
    tanaka = people["tanaka"]
    cid, answer = _conversation(sessions, tanaka, "質問", "回答")
    with sessions.begin() as session:
        add_feedback(session, tanaka, answer, "good")
        assert trash_conversation(session, tanaka, cid) is not None
        assert trash_conversation(session, tanaka, cid) is None  # already deleted
    with sessions() as session:
        assert get_conversation(session, tanaka, cid) is None
        assert list_conversations(session, tanaka) == [] and list_feedback(session, tanaka) == []
        with pytest.raises(RecordNotFound):
            list_messages(session, tanaka, cid)
    with sessions.begin() as session, pytest.raises(RecordNotFound):
        add_feedback(session, tanaka, answer, "bad")
    with sessions.begin() as session, pytest.raises(RecordNotFound):
        add_message(session, tanaka, cid, "user", "続き")

    with sessions.begin() as session:
        restore_conversation(session, tanaka, cid, undo_days=7)
    with sessions() as session:
        assert [c.id for c in list_conversations(session, tanaka)] == [cid]
        assert len(list_feedback(session, tanaka)) == 1

    with sessions.begin() as session:
        trash_conversation(session, tanaka, cid, now=utcnow() - timedelta(days=8))
    with sessions.begin() as session, pytest.raises(RecordConflict, match="7日を過ぎた"):
        restore_conversation(session, tanaka, cid, undo_days=7)
    with sessions.begin() as session:
        assert purge_deleted_conversations(session, 7, owner=people["suzuki"]) == 0
        assert purge_deleted_conversations(session, 7, owner=tanaka) == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
        assert session.scalar(select(func.count()).select_from(Feedback)) == 0
