"""Feedback: only on messages in the user's own conversations; a second rating replaces the first."""

from __future__ import annotations

import pytest

from assistant.records import add_feedback, add_message, create_conversation, list_feedback
from core.errors import AccessDenied, InvalidRecord, RecordNotFound


@pytest.fixture
def answer_id(sessions, people):
    tanaka = people["tanaka"]
    with sessions.begin() as session:
        conversation = create_conversation(session, tanaka, "手数料")
        add_message(session, tanaka, conversation.id, "user", "手数料は？")
        return add_message(session, tanaka, conversation.id, "assistant", "300円です。").id


def test_feedback_on_own_answer_is_recorded_and_replaced(sessions, people, answer_id):
    tanaka = people["tanaka"]
    with sessions.begin() as session:
        add_feedback(session, tanaka, answer_id, "bad", "根拠条文が古い")
    with sessions.begin() as session:
        add_feedback(session, tanaka, answer_id, "good")
    with sessions() as session:
        ((feedback, message),) = list_feedback(session, tanaka)
        assert (feedback.rating, feedback.comment, message.id) == ("good", None, answer_id)
        assert list_feedback(session, tanaka, rating="bad") == []


def test_feedback_on_another_users_message_is_refused(sessions, people, answer_id):
    for other in (people["suzuki"], people["kanri"]):  # administrators rate only their own answers too
        with sessions() as session:
            with pytest.raises(AccessDenied, match="ご自身の会話"):
                add_feedback(session, other, answer_id, "bad")
    with sessions() as session:
        assert list_feedback(session, people["kanri"]) == []


def test_feedback_on_a_missing_message_or_with_an_unknown_rating_is_refused(sessions, people, answer_id):
    with sessions() as session:
        with pytest.raises(RecordNotFound):
            add_feedback(session, people["tanaka"], answer_id + 1000, "good")
        with pytest.raises(InvalidRecord):
            add_feedback(session, people["tanaka"], answer_id, "so-so")


def test_administrators_see_everyones_feedback_users_only_their_own(sessions, people, answer_id):
    with sessions.begin() as session:
        add_feedback(session, people["tanaka"], answer_id, "bad")
    with sessions() as session:
        assert len(list_feedback(session, people["kanri"])) == 1
        assert list_feedback(session, people["suzuki"]) == []
