"""Files attached to one of the caller's conversations (asked about in that conversation only, never added to
the shared index), and the filters kept with a conversation's answers. See assistant/api/attachments.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi import Path as Path_
from pydantic import Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from assistant.api import attachments, chat_filters
from assistant.api.deps import ContextDep, CurrentUser, RateLimitedUser
from assistant.api.errors import InvalidInput, error_responses
from assistant.api.routes.documents import _file_name
from assistant.api.schemas import ApiModel
from assistant.records.models import ConversationAttachment, Message

router = APIRouter(tags=["attachments"])
ConversationId = Annotated[
    str, Path_(min_length=1, max_length=36, description="Id of one of your conversations.")
]


class AttachmentOut(ApiModel):
    id: str
    conversation_id: str = Field(
        description="The conversation the file belongs to (new when none was given)."
    )
    name: str = Field(description="File name; the title its citations show.")
    classification: int = Field(description="機密性 chosen for the file (1..3).")
    chunks: int = Field(description="Passages the file was divided into.")
    embedded: bool = Field(
        description="Searched by meaning as well as by words (false: the classification policy keeps this level "
        "away from the index's embedder, so it is searched by words only)."
    )
    created_at: datetime


class AttachmentList(ApiModel):
    attachments: list[AttachmentOut]


class TurnFiltersOut(ApiModel):
    message_id: int = Field(description="Id of an answer in the conversation.")
    filters: dict = Field(description="The filters its question was searched with (ChatFiltersIn fields).")
    label: str = Field(description="The same in Japanese, e.g. 「照会記録・2024年4月1日〜」.")


class TurnFiltersList(ApiModel):
    turns: list[TurnFiltersOut] = Field(description="Only the answers whose question had filters.")


def _out(row: ConversationAttachment) -> AttachmentOut:
    return AttachmentOut(
        id=row.id, conversation_id=row.conversation_id, name=row.name, classification=row.classification,
        chunks=len(row.chunks or []), embedded=row.vectors is not None, created_at=row.created_at,
    )  # fmt: skip


@router.post(
    "/attachments", response_model=AttachmentOut, status_code=201,
    responses=error_responses(401, 403, 404, 413, 415, 422, 429, 503),
)  # fmt: skip
async def attach_file(
    user: RateLimitedUser,
    ctx: ContextDep,
    file: Annotated[UploadFile, File(description="One file (pdf, docx, xlsx, pptx, html, md, txt, csv).")],
    classification: Annotated[
        int, Form(description="機密性 of the file (1..3, ≤ the caller's clearance).")
    ] = 1,
    conversation_id: Annotated[
        str | None, Form(max_length=36, description="Your conversation; none = start a new one.")
    ] = None,
) -> AttachmentOut:
    """Read a file for one conversation only: its passages are searched with the shared documents in that
    conversation's questions, by its owner only, and never enter the shared index (audited)."""
    if classification not in (1, 2, 3):
        raise InvalidInput(
            f"機密性（{classification}）は1〜3のいずれかで指定してください。",
            [{"loc": ["body", "classification"], "msg": "must be 1, 2 or 3", "type": "value_error"}],
        )
    name = _file_name(ctx, file)
    row = await run_in_threadpool(
        attachments.attach, ctx, user, conversation_id or None, name, file.file, classification
    )
    return _out(row)


@router.get(
    "/conversations/{conversation_id}/attachments", response_model=AttachmentList,
    responses=error_responses(401, 404, 422),
)  # fmt: skip
def list_attachments(conversation_id: ConversationId, user: CurrentUser, ctx: ContextDep) -> AttachmentList:
    """The files attached to one of your conversations, oldest first."""
    return AttachmentList(
        attachments=[_out(r) for r in attachments.attachments_of(ctx, user, conversation_id)]
    )


@router.delete(
    "/attachments/{attachment_id}", response_model=AttachmentOut, responses=error_responses(401, 404, 422)
)
def remove_attachment(
    attachment_id: Annotated[str, Path_(min_length=1, max_length=36)], user: CurrentUser, ctx: ContextDep
) -> AttachmentOut:
    """Remove a file from its conversation: later questions no longer search it (audited)."""
    return _out(attachments.remove(ctx, user, attachment_id))


@router.get(
    "/conversations/{conversation_id}/filters", response_model=TurnFiltersList,
    responses=error_responses(401, 404, 422),
)  # fmt: skip
def turn_filters(conversation_id: ConversationId, user: CurrentUser, ctx: ContextDep) -> TurnFiltersList:
    """The filters each question of one of your conversations was searched with (shown again on reload)."""
    with ctx.sessions() as session:
        attachments.own_conversation(session, user, conversation_id)
        rows = session.execute(
            select(Message.id, Message.usage)
            .where(Message.conversation_id == conversation_id, Message.role == "assistant")
            .order_by(Message.id)
        ).all()
    turns = []
    for message_id, usage in rows:
        stored = (usage or {}).get(chat_filters.STORED_KEY)
        if stored:
            turns.append(
                TurnFiltersOut(message_id=message_id, filters=stored, label=chat_filters.label(stored) or "")
            )
    return TurnFiltersList(turns=turns)
