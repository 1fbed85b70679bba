"""/replies: inquiry replies (照会回答) — split a pasted 照会文, draft a reply, and review it.

A draft is created in state 下書き by its author, edited (every edit a new version), sent for review (確認依頼),
then approved (承認済) or returned (差戻し) by a reviewer — an administrator or a member of
`reply_approver_groups`, never the author. A user sees only their own drafts and, as a reviewer, drafts sent for
review; never a draft citing a source above their clearance or outside their groups. Every edit, step and export
is audited, refused attempts included.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from assistant.api.deps import ContextDep, CurrentUser, Offset, RateLimitedUser
from assistant.api.errors import ChatTimeout, InvalidInput, error_responses
from assistant.api.reply_flow import (
    DraftJob,
    DraftList,
    DraftOut,
    DraftRequest,
    EditRequest,
    SplitRequest,
    SplitResponse,
    VersionList,
    audit_step,
    draft_out,
    export_draft,
    summary_of,
    version_out,
)
from assistant.api.review_flow import State, TransitionRequest, audited
from assistant.records.drafts import (
    ReplyDraftRecord,
    edit_draft,
    get_draft,
    list_drafts,
    list_versions,
    transition,
)
from core.errors import YakubaError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

router = APIRouter(prefix="/replies", tags=["replies"])

TIMEOUT_MESSAGE = (
    "回答案の作成が制限時間内に終わりませんでした。しばらく待ってから再度お試しいただくか、"
    "別のモデル（例: offline/extractive）を選択してください。"
)


@router.post("/split", response_model=SplitResponse, responses=error_responses(401, 422))
def split(body: SplitRequest, user: CurrentUser) -> SplitResponse:
    """Split a pasted 照会文 into the fields of an inquiry and its question items, for the user to correct."""
    from assistant.inquiry.parse import parse_inquiry, split_items

    try:
        inquiry = parse_inquiry(body.text)
    except YakubaError as exc:
        raise InvalidInput(
            exc.message, [{"loc": ["body", "text"], "msg": "empty", "type": "value_error"}]
        ) from exc
    preamble, items = split_items(inquiry.content)
    return SplitResponse(inquiry=inquiry, preamble=preamble, items=items)


@router.post(
    "/draft",
    response_model=DraftOut,
    status_code=201,
    responses=error_responses(400, 401, 403, 422, 429, 502, 503, 504),
)
async def draft(body: DraftRequest, user: RateLimitedUser, ctx: ContextDep) -> DraftOut:
    """Draft a reply with the `reply` task from the sources the caller may see, and store it as 下書き."""
    job = DraftJob(ctx, user, body)
    future = asyncio.get_running_loop().run_in_executor(ctx.chat_executor, job.run)
    try:
        return await asyncio.wait_for(future, ctx.settings.chat_timeout_seconds)
    except TimeoutError:
        job.abandon()
        raise ChatTimeout(TIMEOUT_MESSAGE) from None


@router.get("", response_model=DraftList, responses=error_responses(401, 422))
def list_replies(
    user: CurrentUser,
    ctx: ContextDep,
    state: Annotated[State | None, Query(description="Only drafts in this state.")] = None,
    mine: Annotated[
        bool | None, Query(description="true = the caller's own; false = others' (the review queue).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> DraftList:
    """Drafts the caller may open, most recently updated first."""
    with ctx.sessions() as session:
        records = list_drafts(
            session,
            user,
            ctx.settings.reply_approver_groups,
            state=state,
            mine=mine,
            limit=limit,
            offset=offset,
        )
        return DraftList(drafts=[summary_of(ctx, user, r) for r in records])


@router.get("/{draft_id}", response_model=DraftOut, responses=error_responses(401, 403, 404, 422))
def get_reply(draft_id: str, user: CurrentUser, ctx: ContextDep) -> DraftOut:
    with ctx.sessions() as session:
        return draft_out(ctx, user, get_draft(session, user, draft_id, ctx.settings.reply_approver_groups))


@router.put("/{draft_id}", response_model=DraftOut, responses=error_responses(401, 403, 404, 409, 422))
def edit_reply(draft_id: str, body: EditRequest, user: CurrentUser, ctx: ContextDep) -> DraftOut:
    """Save an edit by the author (下書き or 差戻し) as a new version."""

    def step(session: Session) -> tuple[ReplyDraftRecord, str, DraftOut]:
        record = edit_draft(
            session, user, draft_id, body.draft, base_version=body.base_version, comment=body.comment
        )
        return record, record.state, draft_out(ctx, user, record)

    return audited(ctx, user, draft_id, "edit", step, audit_step, detail={"comment": body.comment})


@router.post(
    "/{draft_id}/transition", response_model=DraftOut, responses=error_responses(401, 403, 404, 409, 422)
)
def transition_reply(draft_id: str, body: TransitionRequest, user: CurrentUser, ctx: ContextDep) -> DraftOut:
    """submit (確認依頼, by the author), approve (承認) or return (差戻し, with a comment) by a reviewer."""

    def step(session: Session) -> tuple[ReplyDraftRecord, str, DraftOut]:
        groups = ctx.settings.reply_approver_groups
        record, before = transition(session, user, draft_id, body.action, body.comment, groups)
        return record, before, draft_out(ctx, user, record)

    return audited(ctx, user, draft_id, body.action, step, audit_step, detail={"comment": body.comment})


@router.get("/{draft_id}/versions", response_model=VersionList, responses=error_responses(401, 403, 404, 422))
def reply_versions(draft_id: str, user: CurrentUser, ctx: ContextDep) -> VersionList:
    """Every version of the draft, oldest first, each with its plain text for comparison."""
    with ctx.sessions() as session:
        versions = list_versions(session, user, draft_id, ctx.settings.reply_approver_groups)
        return VersionList(versions=[version_out(ctx, user, v) for v in versions])


@router.get(
    "/{draft_id}/export",
    response_class=Response,
    responses={
        200: {
            "description": "The reply in the official layout; 「案」 unless approved.",
            "content": {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {},
                "text/plain": {},
            },
        },
        **error_responses(401, 403, 404, 422),
    },
)
def export_reply(
    draft_id: str,
    user: CurrentUser,
    ctx: ContextDep,
    format: Annotated[Literal["docx", "txt"], Query(description="docx or txt.")] = "docx",  # noqa: A002
) -> Any:
    """The current version as DOCX or text (the 機密性 label from level 2; 「案」 until approved)."""

    def step(session: Session) -> tuple[ReplyDraftRecord, str, tuple[bytes, str, str]]:
        record = get_draft(session, user, draft_id, ctx.settings.reply_approver_groups)
        return record, record.state, export_draft(ctx, user, record, format)

    content, media, name = audited(
        ctx, user, draft_id, "export", step, audit_step, write=False, detail={"format": format}
    )
    disposition = f"attachment; filename=\"reply.{format}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})
