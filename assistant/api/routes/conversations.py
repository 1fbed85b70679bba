"""The caller's conversations. Another user's conversation is reported exactly like a missing one (administrators
excepted, who see it within their own rights)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from assistant.api.access import HIDDEN_ANSWER, HIDDEN_QUESTION, HIDDEN_TITLE, Reader, turn_labels, turn_level
from assistant.api.deps import ContextDep, CurrentUser, Offset, SessionDep, WriteSessionDep
from assistant.api.errors import error_responses
from assistant.api.schemas import CitationOut, ConversationDetail, ConversationSummary, MessageOut, UsageOut
from assistant.records import delete_conversation, get_conversation, list_conversations
from assistant.records.models import Conversation, Message
from core.errors import RecordNotFound

router = APIRouter(prefix="/conversations", tags=["conversations"])
NOT_FOUND = "指定された会話は見つかりません。"
_CITATION_FIELDS = set(CitationOut.model_fields)
_USAGE_FIELDS = set(UsageOut.model_fields)


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


@router.get("", response_model=list[ConversationSummary], responses=error_responses(401, 422))
def list_own(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[ConversationSummary]:
    """The caller's conversations, most recently updated first."""
    return [_summary(c) for c in list_conversations(session, user, limit=limit, offset=offset)]


@router.get("/{conversation_id}", response_model=ConversationDetail, responses=error_responses(401, 404, 422))
def read(conversation_id: str, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> ConversationDetail:
    """A conversation with its messages, checked against the reader's current rights: an answer built from a
    source the reader may no longer see (cited or not) is replaced by a notice. An administrator reading another
    user's conversation sees its questions and title only where their own clearance and groups cover the turn."""
    conversation = get_conversation(session, user, conversation_id)
    if conversation is None:
        raise RecordNotFound(NOT_FOUND)
    messages = list(conversation.messages)
    labels = [label for m in messages for label in turn_labels(m) or []]
    reader = Reader(user, ctx.stores.get_or_none(), [label.get("chunk_id", "") for label in labels])
    own = conversation.user_id == user.id
    first = next((m for m in messages if m.role == "user"), None)
    title = None if own or first is None or _visible(first, reader, own) else HIDDEN_TITLE
    return ConversationDetail(
        **_summary(conversation, title).model_dump(), messages=[_message(m, reader, own) for m in messages]
    )


@router.delete(
    "/{conversation_id}", status_code=204, response_class=Response, responses=error_responses(401, 404, 422)
)
def delete(conversation_id: str, user: CurrentUser, session: WriteSessionDep) -> Response:
    """Delete a conversation with its messages and their feedback."""
    if not delete_conversation(session, user, conversation_id):
        raise RecordNotFound(NOT_FOUND)
    session.commit()
    return Response(status_code=204)
