"""Conversations and their messages, scoped to the acting user.

A user reads and changes only their own conversations; an administrator may read and delete any (the API shows
an administrator only what their own clearance and groups cover: `assistant/api/access.py`).
Only the owner adds messages and renames. A conversation the actor may not see is reported as absent (None /
RecordNotFound), so its existence does not leak. Functions flush; the caller commits.

Deleting is in two steps: `trash_conversation` sets `deleted_at`, after which every read treats the
conversation as absent; `restore_conversation` undoes that within the undo period, and
`purge_deleted_conversations` removes for good (with messages and feedback) what was deleted before it.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from assistant.records.models import Conversation, Message, User, utcnow
from core.errors import AccessDenied, InvalidRecord, RecordConflict, RecordNotFound

Role = Literal["user", "assistant"]
TITLE_LENGTH = 40  # characters of the first question used as a title when none is given
TITLE_MAX = 200  # the column's width
_CONTROL = {"Cc", "Zl", "Zp"}  # control characters, line and paragraph separators
NOT_FOUND = "指定された会話は見つかりません。"
NOT_OWNER = "他の職員の会話は変更できません。"
TITLE_EMPTY = "会話の名前を入力してください。"
TITLE_TOO_LONG = "会話の名前は200文字以内で入力してください（現在{n}文字）。"
TITLE_CONTROL = "会話の名前に改行やタブなどの制御文字は使用できません。1行の文字列で入力してください。"
TOO_LATE = (
    "この会話は削除から{days}日を過ぎたため、元に戻すことはできません"
    "（削除した会話は、{days}日を過ぎると完全に削除されます）。"
)


def create_conversation(session: Session, actor: User, title: str = "") -> Conversation:
    conversation = Conversation(user_id=actor.id, title=title.strip()[:200])
    session.add(conversation)
    session.flush()
    return conversation


def clean_title(title: str) -> str:
    """A title as stored: trimmed, 1–200 characters, one line. Raises InvalidRecord saying what to fix."""
    cleaned = title.strip()
    if not cleaned:
        raise InvalidRecord(TITLE_EMPTY)
    if len(cleaned) > TITLE_MAX:
        raise InvalidRecord(TITLE_TOO_LONG.format(n=len(cleaned)))
    if any(unicodedata.category(ch) in _CONTROL for ch in cleaned):
        raise InvalidRecord(TITLE_CONTROL)
    return cleaned


def _matches(query: str) -> ColumnElement[bool]:
    """Title or any message text contains `query`, case-insensitively (ILIKE on PostgreSQL, lower() LIKE on
    SQLite; `%` and `_` in the query are taken literally)."""
    in_messages = exists().where(
        Message.conversation_id == Conversation.id, Message.text.icontains(query, autoescape=True)
    )
    return or_(Conversation.title.icontains(query, autoescape=True), in_messages)


def list_conversations(
    session: Session,
    actor: User,
    *,
    owner: User | None = None,
    query: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Conversation]:
    """`owner`'s conversations (the actor's own by default), most recently updated first; deleted ones are
    left out. With `query`, only those whose title or a message's text contains it (any letter case).

    Raises AccessDenied when a non-administrator asks for someone else's.
    """
    owner = owner or actor
    if owner.id != actor.id and not actor.is_admin:
        raise AccessDenied("他の職員の会話履歴は閲覧できません。")
    statement = select(Conversation).where(
        Conversation.user_id == owner.id, Conversation.deleted_at.is_(None)
    )
    if query and query.strip():
        statement = statement.where(_matches(query.strip()))
    statement = (
        statement.order_by(Conversation.updated_at.desc(), Conversation.id).limit(limit).offset(offset)
    )
    return list(session.scalars(statement))


def get_conversation(session: Session, actor: User, conversation_id: str) -> Conversation | None:
    """The conversation if it exists, is not deleted and the actor may read it (owner or administrator)."""
    conversation = session.get(Conversation, conversation_id)
    if (
        conversation is None
        or conversation.deleted_at is not None
        or (conversation.user_id != actor.id and not actor.is_admin)
    ):
        return None
    return conversation


def rename_conversation(session: Session, actor: User, conversation_id: str, title: str) -> Conversation:
    """Give one of the actor's own conversations a new title (see `clean_title`). RecordNotFound when absent
    or unreadable, AccessDenied for an administrator renaming someone else's."""
    conversation = get_conversation(session, actor, conversation_id)
    if conversation is None:
        raise RecordNotFound(NOT_FOUND)
    if conversation.user_id != actor.id:
        raise AccessDenied(NOT_OWNER)
    conversation.title = clean_title(title)
    session.flush()
    return conversation


def list_messages(session: Session, actor: User, conversation_id: str) -> list[Message]:
    """The conversation's messages in order; RecordNotFound when absent or not readable."""
    conversation = get_conversation(session, actor, conversation_id)
    if conversation is None:
        raise RecordNotFound(NOT_FOUND)
    return list(conversation.messages)


def delete_conversation(session: Session, actor: User, conversation_id: str) -> bool:
    """Delete the conversation for good with its messages and their feedback; False when absent or not
    the actor's (administrators may delete any). The API trashes instead (`trash_conversation`)."""
    conversation = get_conversation(session, actor, conversation_id)
    if conversation is None:
        return False
    session.delete(conversation)
    session.flush()
    return True


def trash_conversation(
    session: Session, actor: User, conversation_id: str, now: datetime | None = None
) -> Conversation | None:
    """Mark the conversation deleted (hidden from every read until restored or purged); None when absent,
    already deleted or not the actor's (administrators may delete any)."""
    conversation = get_conversation(session, actor, conversation_id)
    if conversation is None:
        return None
    conversation.deleted_at = now or utcnow()
    session.flush()
    return conversation


def restore_conversation(
    session: Session, actor: User, conversation_id: str, undo_days: float, now: datetime | None = None
) -> Conversation:
    """Undo a delete made less than `undo_days` ago. RecordNotFound when there is no such deleted conversation
    the actor may read; RecordConflict (saying why) once the period is over."""
    conversation = session.get(Conversation, conversation_id)
    if (
        conversation is None
        or conversation.deleted_at is None
        or (conversation.user_id != actor.id and not actor.is_admin)
    ):
        raise RecordNotFound(NOT_FOUND)
    if conversation.deleted_at <= _cutoff(undo_days, now):
        raise RecordConflict(TOO_LATE.format(days=f"{undo_days:g}"))
    conversation.deleted_at = None
    session.flush()
    return conversation


def _cutoff(undo_days: float, now: datetime | None) -> datetime:
    return (now or utcnow()) - timedelta(days=undo_days)


def has_expired_deletions(
    session: Session, owner: User, undo_days: float, now: datetime | None = None
) -> bool:
    """Whether `owner` has conversations deleted longer than `undo_days` ago (a cheap read before a purge)."""
    statement = select(Conversation.id).where(
        Conversation.user_id == owner.id, Conversation.deleted_at <= _cutoff(undo_days, now)
    )
    return session.scalar(statement.limit(1)) is not None


def purge_deleted_conversations(
    session: Session, undo_days: float, *, owner: User | None = None, now: datetime | None = None
) -> int:
    """Remove for good (with their messages and feedback) the conversations deleted more than `undo_days`
    ago: `owner`'s, or everyone's (maintenance). Returns how many."""
    statement = select(Conversation).where(Conversation.deleted_at <= _cutoff(undo_days, now))
    if owner is not None:
        statement = statement.where(Conversation.user_id == owner.id)
    expired = list(session.scalars(statement))
    for conversation in expired:
        session.delete(conversation)
    session.flush()
    return len(expired)


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
    conversation = get_conversation(session, actor, conversation_id)
    if conversation is None:
        raise RecordNotFound(NOT_FOUND)
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
