"""Conversations and their messages, scoped to the acting user.

A user reads and changes only their own conversations; an administrator may read and delete any (the API shows
an administrator only what their own clearance and groups cover: `assistant/api/access.py`).
Only the owner adds messages. A conversation the actor may not see is reported as absent (None /
RecordNotFound), so its existence does not leak. Functions flush; the caller commits.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.records.models import Conversation, Message, User, utcnow
from core.errors import AccessDenied, RecordNotFound

Role = Literal["user", "assistant"]
TITLE_LENGTH = 40  # characters of the first question used as a title when none is given


def create_conversation(session: Session, actor: User, title: str = "") -> Conversation:
    conversation = Conversation(user_id=actor.id, title=title.strip()[:200])
    session.add(conversation)
    session.flush()
    return conversation


def list_conversations(
    session: Session, actor: User, *, owner: User | None = None, limit: int = 50, offset: int = 0
) -> list[Conversation]:
    """`owner`'s conversations (the actor's own by default), most recently updated first.

    Raises AccessDenied when a non-administrator asks for someone else's.
    """
    owner = owner or actor
    if owner.id != actor.id and not actor.is_admin:
        raise AccessDenied("他の職員の会話履歴は閲覧できません。")
    statement = (
        select(Conversation)
        .where(Conversation.user_id == owner.id)
        .order_by(Conversation.updated_at.desc(), Conversation.id)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(statement))


def get_conversation(session: Session, actor: User, conversation_id: str) -> Conversation | None:
    """The conversation if it exists and the actor may read it (owner or administrator)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or (conversation.user_id != actor.id and not actor.is_admin):
        return None
    return conversation


def list_messages(session: Session, actor: User, conversation_id: str) -> list[Message]:
    """The conversation's messages in order; RecordNotFound when absent or not readable."""
    conversation = get_conversation(session, actor, conversation_id)
    if conversation is None:
        raise RecordNotFound("指定された会話は見つかりません。")
    return list(conversation.messages)


def delete_conversation(session: Session, actor: User, conversation_id: str) -> bool:
    """Delete the conversation with its messages and their feedback; False when absent or not
    the actor's (administrators may delete any)."""
    conversation = get_conversation(session, actor, conversation_id)
    if conversation is None:
        return False
    session.delete(conversation)
    session.flush()
    return True


def add_message(
    session: Session,
    actor: User,
    conversation_id: str,
    role: Role,
    text: str,
    *,
    citations: list[dict[str, Any]] | None = None,
    sources: list[dict[str, Any]] | None = None,
    backend: str | None = None,
    model_id: str | None = None,
    mode: str | None = None,
    usage: dict[str, Any] | None = None,
) -> Message:
    """Append a message to one of the actor's own conversations (its first question becomes the
    title when the conversation has none). `sources`: the labels of everything the turn was built from
    (see `Message.sources`)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or (conversation.user_id != actor.id and not actor.is_admin):
        raise RecordNotFound("指定された会話は見つかりません。")
    if conversation.user_id != actor.id:
        raise AccessDenied("他の職員の会話には書き込めません。")
    message = Message(
        conversation_id=conversation.id,
        role=role,
        text=text,
        citations=citations or [],
        sources=sources,
        backend=backend,
        model_id=model_id,
        mode=mode,
        usage=usage,
    )
    session.add(message)
    conversation.updated_at = utcnow()
    if not conversation.title and role == "user":
        conversation.title = " ".join(text.split())[:TITLE_LENGTH]
    session.flush()
    return message
