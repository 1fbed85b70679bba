"""Inquiry replies on the API: the request and response models of /replies, drafting through the shared runner,
what a reader may see of a stored draft, and the audit of every review step.

Drafting runs the `reply` task on the API's worker threads, as chat does (same runner, router, access filters
and timeout); the draft is stored in state 下書き. A stored draft is checked again on every read against the
labels its sources carry now (a chunk whose labels were raised since drafting closes the draft to readers below
them), and the similar past inquiries shown beside it are filtered for the reader.
"""

from __future__ import annotations

import threading
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import Field

from assistant.api.access import may_see, principal_of
from assistant.api.review_flow import (
    ApiModel,
    EventOut,
    State,
    actions_of,
    events_of,
    file_stem,
)
from assistant.api.review_flow import audit_step as review_audit_step
from assistant.records.drafts import (
    APPROVED,
    OUTSIDE_GROUPS,
    ReplyDraftRecord,
    ReplyDraftVersion,
    create_draft,
    current_version,
)
from assistant.tasks.reply_models import MAX_INQUIRY_CHARS, QuestionItem, ReplyDraft, ReplyInput
from core.errors import AccessDenied, Cancelled

if TYPE_CHECKING:
    from assistant.api.context import ApiContext
    from assistant.records.models import User

AUDIT_TASK = "reply_review"


class SplitRequest(ApiModel):
    text: str = Field(min_length=1, max_length=MAX_INQUIRY_CHARS, description="The pasted 照会文.")


class SplitResponse(ApiModel):
    inquiry: ReplyInput = Field(description="The fields read from the text (to be shown for correction).")
    preamble: str = Field("", description="Text of 照会内容 before its first numbered question.")
    items: list[QuestionItem] = Field(description="The question items of 照会内容, each answered on its own.")


class DraftRequest(ApiModel):
    inquiry: ReplyInput
    backend: str | None = Field(None, description="Backend address; None = the task's default.")
    allow_fallback: bool = Field(
        False, description="Let another backend answer when the chosen one is refused or unavailable."
    )


class EditRequest(ApiModel):
    draft: ReplyDraft = Field(description="The edited draft; sources, labels and similar inquiries are kept.")
    base_version: int | None = Field(None, description="The version edited; a newer one makes this a 409.")
    comment: str = Field("", max_length=2000, description="What was changed (kept with the version).")


class DraftSummary(ApiModel):
    id: str
    state: State
    subject: str
    classification: int = Field(description="機密性 of the draft (highest among its sources).")
    owner: str
    reviewer: str | None = Field(description="Who approved or returned it last.")
    version: int
    backend: str
    mode: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    actions: list[str] = Field(
        description="What the caller may do now: edit, submit, approve, return, export."
    )


class DraftOut(DraftSummary):
    draft: ReplyDraft = Field(description="The current version (similar inquiries filtered for the caller).")
    events: list[EventOut] = Field(description="The review history, oldest first.")


class DraftList(ApiModel):
    drafts: list[DraftSummary]


class VersionOut(ApiModel):
    number: int
    author: str
    comment: str
    created_at: datetime
    draft: ReplyDraft
    text: str = Field(description="The version as plain text (for comparing versions).")


class VersionList(ApiModel):
    versions: list[VersionOut]


# --- drafting -------------------------------------------------------------------------------------------------


class DraftJob:
    """One draft: the reply task through the shared runner, then stored as 下書き (on a worker thread)."""

    def __init__(self, ctx: ApiContext, user: User, body: DraftRequest):
        self.ctx, self.user, self.body = ctx, user, body
        self._cancel = threading.Event()

    def abandon(self) -> None:
        self._cancel.set()

    def run(self) -> DraftOut:
        from assistant.tasks import get_task

        result = self.ctx.runner.run(
            get_task("reply"), self.body.inquiry, principal_of(self.user),
            backend=self.body.backend, allow_auto=self.body.allow_fallback, cancel=self._cancel,
            timeout=self.ctx.settings.chat_timeout_seconds,
        )  # fmt: skip
        if self._cancel.is_set():
            raise Cancelled("処理は取り消されました。")
        with self.ctx.write_sessions.begin() as session:
            record = create_draft(session, self.user, result)
            out = draft_out(self.ctx, self.user, record)
        audit_step(self.ctx, self.user, record, "create", None)
        return out


# --- reading --------------------------------------------------------------------------------------------------


def _similar_for(user: User, draft: ReplyDraft, chunks: dict[str, Any]) -> ReplyDraft:
    """The draft with only the similar inquiries the reader may see, by their stored and current labels."""
    mine = set(user.groups or [])
    kept = [
        s
        for s in draft.similar
        if s.classification <= user.clearance
        and (not s.groups or mine & set(s.groups))
        and (s.chunk_id not in chunks or may_see(user, chunks[s.chunk_id]))
    ]
    return draft if len(kept) == len(draft.similar) else draft.model_copy(update={"similar": kept})


def _current_chunks(ctx: ApiContext, draft: ReplyDraft) -> dict[str, Any]:
    store = ctx.stores.get_or_none()
    ids = [s.chunk_id for s in draft.sources] + [s.chunk_id for s in draft.similar]
    return {c.chunk_id: c for c in store.get(ids)} if store is not None and ids else {}


def readable(ctx: ApiContext, user: User, draft: ReplyDraft) -> ReplyDraft:
    """`draft` as `user` may read it: AccessDenied when a source's current labels exclude them (stored labels
    were checked when the record was opened); similar inquiries they may not see are left out."""
    chunks = _current_chunks(ctx, draft)
    for source in draft.sources:
        chunk = chunks.get(source.chunk_id)
        if chunk is not None and not may_see(user, chunk):
            raise AccessDenied(OUTSIDE_GROUPS)
    return _similar_for(user, draft, chunks)


def summary_of(ctx: ApiContext, user: User, record: ReplyDraftRecord) -> DraftSummary:
    return DraftSummary(
        id=record.id, state=record.state, subject=record.subject, classification=record.classification,
        owner=record.owner.name, reviewer=record.reviewer.name if record.reviewer else None,
        version=record.version, backend=record.backend, mode=record.mode, created_at=record.created_at,
        updated_at=record.updated_at, submitted_at=record.submitted_at, decided_at=record.decided_at,
        actions=actions_of(ctx, user, record),
    )  # fmt: skip


def draft_out(ctx: ApiContext, user: User, record: ReplyDraftRecord) -> DraftOut:
    draft = readable(ctx, user, current_version(record).reply())
    return DraftOut(**summary_of(ctx, user, record).model_dump(), draft=draft, events=events_of(record))


def version_out(ctx: ApiContext, user: User, version: ReplyDraftVersion) -> VersionOut:
    from assistant.exports import render_reply_text

    draft = readable(ctx, user, version.reply())
    return VersionOut(
        number=version.number, author=version.author_name, comment=version.comment,
        created_at=version.created_at, draft=draft, text=render_reply_text(draft, approved=False),
    )  # fmt: skip


def export_draft(ctx: ApiContext, user: User, record: ReplyDraftRecord, fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the current version; 「案」 unless approved."""
    from assistant.exports import render_reply_docx, render_reply_text

    draft = readable(ctx, user, current_version(record).reply())
    approved = record.state == APPROVED
    stem = f"{'' if approved else '【案】'}{file_stem(draft.subject, '回答案')}"
    if fmt == "docx":
        media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return render_reply_docx(draft, approved=approved), media, f"{stem}.docx"
    return (
        render_reply_text(draft, approved=approved).encode("utf-8"),
        "text/plain; charset=utf-8",
        f"{stem}.txt",
    )


audit_step = partial(review_audit_step, task=AUDIT_TASK)  # one review step on a reply draft
