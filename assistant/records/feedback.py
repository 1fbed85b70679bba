"""Ratings of answers. A user rates only messages in their own conversations; rating a message
again replaces the earlier rating. A deleted conversation's messages and ratings are absent (until it is
restored). Functions flush; the caller commits."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.records.models import Conversation, Feedback, Message, User, utcnow
from core.errors import AccessDenied, InvalidRecord, RecordNotFound

Rating = Literal["good", "bad"]


def add_feedback(
    session: Session, actor: User, message_id: int, rating: Rating, comment: str | None = None
) -> Feedback:
    """Record (or replace) the actor's rating of a message in one of their own conversations."""
    if rating not in ("good", "bad"):
        raise InvalidRecord("評価は good（良い）または bad（悪い）で指定してください。")
    message = session.get(Message, message_id)
    if message is None:
        raise RecordNotFound("評価の対象となる回答が見つかりません。")
    conversation = session.get(Conversation, message.conversation_id)
    if conversation is None or conversation.deleted_at is not None:  # a deleted conversation is gone
        raise RecordNotFound("評価の対象となる回答が見つかりません。")
    if conversation.user_id != actor.id:
        raise AccessDenied("ご自身の会話の回答のみ評価できます。")
    feedback = session.scalar(
        select(Feedback).where(Feedback.message_id == message_id, Feedback.user_id == actor.id)
    )
    if feedback is None:
        feedback = Feedback(message_id=message_id, user_id=actor.id)
        session.add(feedback)
    feedback.rating = rating
    feedback.comment = comment
    feedback.created_at = utcnow()
    session.flush()
    return feedback


def list_feedback(
    session: Session, actor: User, *, rating: Rating | None = None, limit: int = 100
) -> list[tuple[Feedback, Message]]:
    """Feedback with the rated message, newest first: everyone's for administrators (to review
    answers), the actor's own otherwise."""
    statement = (
        select(Feedback, Message)
        .join(Message, Message.id == Feedback.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.deleted_at.is_(None))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(limit)
    )
    if not actor.is_admin:
        statement = statement.where(Feedback.user_id == actor.id)
    if rating is not None:
        statement = statement.where(Feedback.rating == rating)
    return [(feedback, message) for feedback, message in session.execute(statement)]
