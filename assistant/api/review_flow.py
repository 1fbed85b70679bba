"""The review workflow on the API, shared by reply drafts (/replies) and minutes (/minutes): states, the
transition request, the review history, what a caller may do now, download names, and the audit of every step
(refused attempts included).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from assistant.records import AuditEntry, append_audit
from assistant.records.drafts import EDITABLE_STATES, REVIEW, ReplyDraftRecord, may_review
from core.errors import YakubaError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from assistant.api.context import ApiContext
    from assistant.records.models import User

State = Literal["下書き", "確認依頼", "承認済", "差戻し"]
Out = TypeVar("Out")
Audit = Callable[..., None]  # a flow's audit_step


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransitionRequest(ApiModel):
    action: Literal["submit", "approve", "return"] = Field(
        description="submit = 確認依頼 (the author); approve = 承認 / return = 差戻し (a reviewer, not the author)."
    )
    comment: str = Field("", max_length=2000, description="Comment; required to return a draft or minutes.")


class EventOut(ApiModel):
    action: str = Field(description="create | edit | submit | approve | return")
    actor: str
    from_state: str | None
    to_state: str
    version: int
    comment: str
    created_at: datetime


def events_of(record: ReplyDraftRecord) -> list[EventOut]:
    """The review history, oldest first."""
    return [
        EventOut(
            action=e.action,
            actor=e.actor_name,
            from_state=e.from_state,
            to_state=e.to_state,
            version=e.version,
            comment=e.comment,
            created_at=e.created_at,
        )  # fmt: skip
        for e in record.events
    ]


def actions_of(ctx: ApiContext, user: User, record: ReplyDraftRecord) -> list[str]:
    """What `user` may do now: edit and submit (the author), approve and return (a reviewer), export."""
    actions: list[str] = []
    if record.owner_id == user.id and record.state in EDITABLE_STATES:
        actions += ["edit", "submit"]
    reviewer = may_review(user, ctx.settings.reply_approver_groups)
    if record.owner_id != user.id and record.state == REVIEW and reviewer:
        actions += ["approve", "return"]
    return [*actions, "export"]


def file_stem(title: str, default: str) -> str:
    """A download name from a title: characters no file system accepts replaced, at most 80 characters."""
    cleaned = "".join("_" if ch in '\\/:*?"<>|\r\n\t' else ch for ch in title).strip()
    return cleaned[:80] or default


def audit_step(
    ctx: ApiContext,
    user: User,
    record: ReplyDraftRecord | None,
    action: str,
    before: str | None,
    *,
    task: str,
    kind: str | None = None,
    draft_id: str | None = None,
    detail: dict[str, Any] | None = None,
    outcome: Literal["ok", "refused", "error"] = "ok",
    error: str | None = None,
) -> None:
    """One review step in the audit log: who did what to which draft, from which state to which."""
    extra: dict[str, Any] = {"draft_id": record.id if record else draft_id, "action": action}
    if kind:
        extra["kind"] = kind
    if record is not None:
        extra |= {"from_state": before, "to_state": record.state, "version": record.version}
    extra |= {key: value for key, value in (detail or {}).items() if value}
    append_audit(
        ctx.engine,
        AuditEntry(
            user=user.name, task=task, outcome=outcome, level=record.classification if record else None,
            reason=action, error=error, extra=extra,
        ),
    )  # fmt: skip


def audited(
    ctx: ApiContext,
    user: User,
    draft_id: str,
    action: str,
    step: Callable[[Session], tuple[ReplyDraftRecord, str | None, Out]],
    audit: Audit,
    *,
    write: bool = True,
    detail: dict[str, Any] | None = None,
) -> Out:
    """Run one step on a stored draft in a session (a write transaction unless `write` is false), then audit it;
    a refused step is audited as refused and raised."""
    sessions = ctx.write_sessions.begin() if write else ctx.sessions()
    try:
        with sessions as session:
            record, before, out = step(session)
    except YakubaError as exc:
        audit(ctx, user, None, action, None, draft_id=draft_id, outcome="refused", error=exc.message)
        raise
    audit(ctx, user, record, action, before, detail=detail)
    return out
