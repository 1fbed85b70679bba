"""Conversations are scoped to their owner; administrators may read and delete any."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from assistant.records import (
    add_feedback,
    add_message,
    create_conversation,
    delete_conversation,
    get_conversation,
    list_conversations,
    list_messages,
)
from assistant.records.models import Feedback, Message
from core.errors import AccessDenied, RecordNotFound


def _conversation_with_answer(sessions, owner):
    with sessions.begin() as session:
        conversation = create_conversation(session, owner)
        add_message(session, owner, conversation.id, "user", "  住民票の写しの\n交付手数料は？ ")
        answer = add_message(
            session,
            owner,
            conversation.id,
            "assistant",
            "300円です。",
            citations=[{"chunk_id": "c1", "location": "第3条"}],
            backend="offline/extractive",
            mode="extractive",
            usage={"input_tokens": 0, "output_tokens": 0},
        )
    return conversation, answer


def test_messages_are_stored_in_order_and_titled(sessions, people):
    conversation, _ = _conversation_with_answer(sessions, people["tanaka"])
    with sessions() as session:
        stored = get_conversation(session, people["tanaka"], conversation.id)
        assert stored.title == "住民票の写しの 交付手数料は？"
        messages = list_messages(session, people["tanaka"], conversation.id)
        assert [m.role for m in messages] == ["user", "assistant"]
        assert messages[1].citations == [{"chunk_id": "c1", "location": "第3条"}]
        assert messages[1].backend == "offline/extractive" and messages[1].usage["input_tokens"] == 0
        assert stored.updated_at >= stored.created_at and stored.updated_at.tzinfo is not None


def test_a_user_never_reads_another_users_conversations(sessions, people):
    tanaka, suzuki = people["tanaka"], people["suzuki"]
    conversation, _ = _conversation_with_answer(sessions, tanaka)
    with sessions() as session:
        assert get_conversation(session, suzuki, conversation.id) is None
        assert list_conversations(session, suzuki) == []
        with pytest.raises(AccessDenied):
            list_conversations(session, suzuki, owner=tanaka)
        with pytest.raises(RecordNotFound):
            list_messages(session, suzuki, conversation.id)
        with pytest.raises(RecordNotFound):
            add_message(session, suzuki, conversation.id, "user", "覗き見")
        assert delete_conversation(session, suzuki, conversation.id) is False
        assert [c.id for c in list_conversations(session, tanaka)] == [conversation.id]


def test_an_administrator_reads_but_does_not_write_others_conversations(sessions, people):
    tanaka, kanri = people["tanaka"], people["kanri"]
    conversation, _ = _conversation_with_answer(sessions, tanaka)
    with sessions() as session:
        assert get_conversation(session, kanri, conversation.id).id == conversation.id
        assert [c.id for c in list_conversations(session, kanri, owner=tanaka)] == [conversation.id]
        assert len(list_messages(session, kanri, conversation.id)) == 2
        with pytest.raises(AccessDenied):
            add_message(session, kanri, conversation.id, "assistant", "代筆")


def test_conversations_are_listed_newest_first(sessions, people):
    tanaka = people["tanaka"]
    with sessions.begin() as session:
        older = create_conversation(session, tanaka, "古い会話")
        newer = create_conversation(session, tanaka, "新しい会話")
    with sessions.begin() as session:
        add_message(session, tanaka, older.id, "user", "追記")  # now the most recently updated
    with sessions() as session:
        assert [c.id for c in list_conversations(session, tanaka)] == [older.id, newer.id]
        assert [c.id for c in list_conversations(session, tanaka, limit=1, offset=1)] == [newer.id]


def test_deleting_a_conversation_removes_its_messages_and_feedback(sessions, people):
    tanaka = people["tanaka"]
    conversation, answer = _conversation_with_answer(sessions, tanaka)
    with sessions.begin() as session:
        add_feedback(session, tanaka, answer.id, "good")
    with sessions.begin() as session:
        assert delete_conversation(session, tanaka, conversation.id) is True
    with sessions() as session:
        assert get_conversation(session, tanaka, conversation.id) is None
        assert session.scalar(select(func.count()).select_from(Message)) == 0
        assert session.scalar(select(func.count()).select_from(Feedback)) == 0


def test_an_administrator_may_delete_any_conversation(sessions, people):
    conversation, _ = _conversation_with_answer(sessions, people["tanaka"])
    with sessions.begin() as session:
        assert delete_conversation(session, people["kanri"], conversation.id) is True
