"""The caller's conversations: list and search, read, rename, delete with undo, export. Another user's
conversation is reported exactly like a missing one (administrators excepted, who see it within their own
rights), and so is a deleted one. Deleting, restoring, renaming and exporting are audited (task
"conversation")."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from assistant.api.access import HIDDEN_ANSWER, HIDDEN_QUESTION, HIDDEN_TITLE, Reader, turn_labels, turn_level
from assistant.api.context import ApiContext
from assistant.api.conversation_schemas import ConversationDeleted, RenameRequest
from assistant.api.deps import ContextDep, CurrentUser, Offset
from assistant.api.errors import InvalidInput, error_responses
from assistant.api.schemas import CitationOut, ConversationDetail, ConversationSummary, MessageOut, UsageOut
from assistant.exports.conversation_layout import conversation_level
from assistant.records import (
    AuditEntry,
    append_audit,
    get_conversation,
    list_conversations,
    purge_deleted_conversations,
    rename_conversation,
    restore_conversation,
    trash_conversation,
)
from assistant.records.conversations import has_expired_deletions
from assistant.records.models import Conversation, Message, User
from core.errors import RecordNotFound, YakubaError

router = APIRouter(prefix="/conversations", tags=["conversations"])
NOT_FOUND = "指定された会話は見つかりません。"
BAD_TIME_ZONE = "タイムゾーンの指定に誤りがあります。「Asia/Tokyo」のような名前で指定してください。"
_CITATION_FIELDS = set(CitationOut.model_fields)
_USAGE_FIELDS = set(UsageOut.model_fields)
_MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_FILE_NAME_UNSAFE = str.maketrans({c: "_" for c in '\\/:*?"<>|'})


def _summary(conversation: Conversation, title: str | None = None) -> ConversationSummary:
    return ConversationSummary(
        id=conversation.id,
        title=conversation.title if title is None else title,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
    )


def _visible(message: Message, reader: Reader, own: bool) -> bool:
    """An answer is shown only while the reader may see every source it was built from, cited or not; a
    question always to its owner, to anyone else (an administrator) only under the same rule."""
    if message.role == "user" and own:
        return True
    return reader.allows(turn_labels(message))


def _message(message: Message, reader: Reader, own: bool) -> MessageOut:
    if not _visible(message, reader, own):
        hidden = HIDDEN_ANSWER if message.role == "assistant" else HIDDEN_QUESTION
        return MessageOut(
            id=message.id, role=message.role, text=hidden, citations=[], created_at=message.created_at
        )
    return MessageOut(
        id=message.id,
        role=message.role,
        text=message.text,
        citations=[CitationOut(**{k: c[k] for k in _CITATION_FIELDS}) for c in message.citations or []],
        level=turn_level(message) if message.sources is not None else None,
        backend=message.backend,
        model_id=message.model_id,
        mode=message.mode,
        usage=UsageOut(**{k: v for k, v in message.usage.items() if k in _USAGE_FIELDS})
        if message.usage
        else None,
        created_at=message.created_at,
    )


def _reader(ctx: ApiContext, user: User, messages: list[Message]) -> Reader:
    labels = [label for m in messages for label in turn_labels(m) or []]
    return Reader(user, ctx.stores.get_or_none(), [label.get("chunk_id", "") for label in labels])


def _detail(ctx: ApiContext, user: User, conversation: Conversation) -> ConversationDetail:
    messages = list(conversation.messages)
    reader = _reader(ctx, user, messages)
    own = conversation.user_id == user.id
    first = next((m for m in messages if m.role == "user"), None)
    title = None if own or first is None or _visible(first, reader, own) else HIDDEN_TITLE
    return ConversationDetail(
        **_summary(conversation, title).model_dump(), messages=[_message(m, reader, own) for m in messages]
    )


def _found_visibly(ctx: ApiContext, user: User, conversation: Conversation, query: str) -> bool:
    """The database matched `query` in the title or some message; keep the match only where the reader sees
    it: in the title, a question of their own, or an answer they may still see (a withheld answer's words must
    not reveal themselves through search)."""
    needle = query.casefold()
    if needle in conversation.title.casefold():
        return True
    hits = [m for m in conversation.messages if needle in m.text.casefold()]
    reader = _reader(ctx, user, [m for m in hits if m.role == "assistant"])
    return any(_visible(m, reader, own=True) for m in hits)


def _audit(
    ctx: ApiContext, user: User, action: str, conversation_id: str, *, ok: bool = True, **extra: Any
) -> None:
    level = extra.pop("level", None)
    error = extra.pop("error", None)
    append_audit(
        ctx.engine,
        AuditEntry(
            user=user.name, task="conversation", outcome="ok" if ok else "refused", reason=action,
            level=level, error=error, extra={"conversation_id": conversation_id, **extra},
        ),
    )  # fmt: skip


def _purge_expired(ctx: ApiContext, user: User) -> None:
    """Remove for good the caller's conversations deleted longer ago than the undo period (checked with a read
    first, so a listing takes the write lock only when there is something to remove)."""
    days = ctx.settings.conversation_undo_days
    with ctx.sessions() as session:
        if not has_expired_deletions(session, user, days):
            return
    with ctx.write_sessions.begin() as session:
        purged = purge_deleted_conversations(session, days, owner=user)
    _audit(ctx, user, "purge", "", purged=purged, undo_days=days)


@router.get("", response_model=list[ConversationSummary], responses=error_responses(401, 422))
def list_own(
    user: CurrentUser,
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Only conversations whose title, a question or an answer the caller may still see "
            "contains this text (any letter case). With it, a page may hold fewer than `limit` items.",
        ),
    ] = None,
) -> list[ConversationSummary]:
    """The caller's conversations, most recently updated first (deleted ones are not listed). Conversations
    deleted longer ago than the undo period are removed for good first."""
    _purge_expired(ctx, user)
    query = q.strip() if q else None
    with ctx.sessions() as session:
        found = list_conversations(session, user, query=query, limit=limit, offset=offset)
        return [_summary(c) for c in found if not query or _found_visibly(ctx, user, c, query)]


def _readable(session: Session, user: User, conversation_id: str) -> Conversation:
    conversation = get_conversation(session, user, conversation_id)
    if conversation is None:
        raise RecordNotFound(NOT_FOUND)
    return conversation


@router.get("/{conversation_id}", response_model=ConversationDetail, responses=error_responses(401, 404, 422))
def read(conversation_id: str, user: CurrentUser, ctx: ContextDep) -> ConversationDetail:
    """A conversation with its messages, checked against the reader's current rights: an answer built from a
    source the reader may no longer see (cited or not) is replaced by a notice. An administrator reading another
    user's conversation sees its questions and title only where their own clearance and groups cover the turn."""
    with ctx.sessions() as session:
        return _detail(ctx, user, _readable(session, user, conversation_id))


@router.patch(
    "/{conversation_id}", response_model=ConversationSummary, responses=error_responses(401, 403, 404, 422)
)
def rename(
    conversation_id: str, body: RenameRequest, user: CurrentUser, ctx: ContextDep
) -> ConversationSummary:
    """Rename one of the caller's own conversations (trimmed; 1–200 characters on one line)."""
    with ctx.write_sessions.begin() as session:
        conversation = rename_conversation(session, user, conversation_id, body.title)
        summary = _summary(conversation)
    _audit(ctx, user, "rename", conversation_id)
    return summary


@router.delete(
    "/{conversation_id}", response_model=ConversationDeleted, responses=error_responses(401, 404, 422)
)
def delete(conversation_id: str, user: CurrentUser, ctx: ContextDep) -> ConversationDeleted:
    """Delete a conversation: it disappears from every read at once and can be restored (POST
    /conversations/{id}/restore) for `conversation_undo_days` days; after that it is removed for good with its
    messages and their feedback."""
    with ctx.write_sessions.begin() as session:
        conversation = trash_conversation(session, user, conversation_id)
        if conversation is None:
            raise RecordNotFound(NOT_FOUND)
        deleted_at, title = conversation.deleted_at, conversation.title
    assert deleted_at is not None
    until = deleted_at + timedelta(days=ctx.settings.conversation_undo_days)
    _audit(ctx, user, "delete", conversation_id, restorable_until=until.isoformat())
    return ConversationDeleted(
        id=conversation_id,
        title=title,
        deleted_at=deleted_at,
        restorable_until=until,
        restore_path=f"/conversations/{quote(conversation_id, safe='')}/restore",
    )


@router.post(
    "/{conversation_id}/restore",
    response_model=ConversationSummary,
    responses=error_responses(401, 404, 409, 422),
)
def restore(conversation_id: str, user: CurrentUser, ctx: ContextDep) -> ConversationSummary:
    """Undo a delete within the undo period (409 after it, 404 once removed for good)."""
    try:
        with ctx.write_sessions.begin() as session:
            summary = _summary(
                restore_conversation(session, user, conversation_id, ctx.settings.conversation_undo_days)
            )
    except YakubaError as exc:
        _audit(ctx, user, "restore", conversation_id, ok=False, error=exc.message)
        raise
    _audit(ctx, user, "restore", conversation_id)
    return summary


def _time_zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            BAD_TIME_ZONE, [{"type": "value_error", "loc": ["query", "tz"], "msg": "unknown time zone"}]
        ) from exc


@router.get(
    "/{conversation_id}/export",
    response_class=Response,
    responses={
        200: {
            "description": "The conversation as a file.",
            "content": {m.split(";")[0]: {} for m in _MEDIA.values()},
        },
        **error_responses(401, 404, 422),
    },
)
def export(
    conversation_id: str,
    user: CurrentUser,
    ctx: ContextDep,
    format: Annotated[Literal["md", "docx"], Query(description="md (Markdown) or docx (Word).")] = "md",  # noqa: A002
    tz: Annotated[
        str | None,
        Query(max_length=64, description="IANA time zone of the dates shown (default: the server's)."),
    ] = None,
) -> Response:
    """The conversation as the reader sees it (withheld answers stay withheld): its name, dates and highest
    機密性, then every question and answer with the answer's sources (title, place, 機密性, 閲覧範囲)."""
    from assistant.exports.conversation_docx import render_conversation_docx
    from assistant.exports.conversation_md import render_conversation_markdown

    zone = _time_zone(tz)
    try:
        with ctx.sessions() as session:
            detail = _detail(ctx, user, _readable(session, user, conversation_id)).model_dump(mode="json")
    except YakubaError as exc:
        _audit(ctx, user, "export", conversation_id, ok=False, error=exc.message, format=format)
        raise
    if format == "docx":
        content = render_conversation_docx(detail, zone)
    else:
        content = render_conversation_markdown(detail, zone).encode("utf-8")
    level = conversation_level(detail["messages"])
    _audit(ctx, user, "export", conversation_id, level=level, format=format)
    name = (detail["title"].strip() or "会話")[:60].translate(_FILE_NAME_UNSAFE) + f".{format}"
    disposition = f"attachment; filename=\"conversation.{format}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=_MEDIA[format], headers={"Content-Disposition": disposition})
