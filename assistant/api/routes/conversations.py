"""The caller's conversations. Another user's conversation is reported exactly like a missing one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from assistant.api.access import HIDDEN_ANSWER, visible_citations
from assistant.api.deps import ContextDep, CurrentUser, Offset, SessionDep, WriteSessionDep
from assistant.api.errors import error_responses
from assistant.api.schemas import CitationOut, ConversationDetail, ConversationSummary, MessageOut, UsageOut
from assistant.records import delete_conversation, get_conversation, list_conversations
from assistant.records.models import Conversation, Message, User
from core.errors import RecordNotFound

router = APIRouter(prefix="/conversations", tags=["conversations"])
NOT_FOUND = "指定された会話は見つかりません。"
_CITATION_FIELDS = set(CitationOut.model_fields)
_USAGE_FIELDS = set(UsageOut.model_fields)


def _summary(conversation: Conversation) -> ConversationSummary:
    return ConversationSummary(
        id=conversation.id,
        title=conversation.title,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
    )


def _message(message: Message, reader: User, store) -> MessageOut:
    citations, withheld = visible_citations(reader, message.citations or [], store)
    text = HIDDEN_ANSWER if withheld and message.role == "assistant" else message.text
    return MessageOut(
        id=message.id,
        role=message.role,
        text=text,
        citations=[] if withheld else [CitationOut(**{k: c[k] for k in _CITATION_FIELDS}) for c in citations],
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
    """A conversation with its messages. Citations are checked against the reader's current rights:
    an answer that cites a source the reader may no longer see is replaced by a notice."""
    conversation = get_conversation(session, user, conversation_id)
    if conversation is None:
        raise RecordNotFound(NOT_FOUND)
    store = ctx.stores.get_or_none()
    return ConversationDetail(
        **_summary(conversation).model_dump(),
        messages=[_message(m, user, store) for m in conversation.messages],
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
