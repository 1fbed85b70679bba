"""Minutes (議事録) in the records: drafts under the reply drafts' review workflow, and background drafting jobs.

Minutes drafts are rows of the reply drafts' tables with `kind = "minutes"`: the same states (下書き → 確認依頼 →
承認済 / 差戻し), versions (the whole `Minutes` as JSON), events and rules of who may do what
(`assistant.records.drafts`). Their 機密性 is the meeting's; they cite no index sources, so no group labels.
Messages of the shared workflow name the document 「議事録案」.

A minutes job holds the drafting of one transcript in the background: its input, progress (`done` of `total`
steps, `stage`), its result (the draft it created) or error, and a lease renewed by the thread working on it
(`heartbeat_at`), so a job whose process stopped can be taken over and resumed (map steps are cached, so the
resumed run redoes little). Functions flush; the caller commits (and audits).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from assistant.records import drafts
from assistant.records.drafts import DRAFT, EDITABLE_STATES, ReplyDraftRecord, ReplyDraftVersion
from assistant.records.models import Base, User, UTCDateTime, utcnow
from assistant.tasks.minutes_models import Minutes
from core.errors import AccessDenied, InvalidRecord, RecordConflict, RecordNotFound

KIND = "minutes"
JOB_STATES = ("running", "done", "failed", "cancelled")
NOUN_REPLY, NOUN_MINUTES = "回答案", "議事録案"
ABOVE_CLEARANCE = "この議事録案は機密性{level}の会議のものであるため、閲覧する権限がありません。"
UNKNOWN_TURN = "「{text}」が、発言記録にない発言番号（{n}）を示しています。発言番号は1から{total}までです。"
JOB_NOT_FOUND = "指定された議事録作成の処理は見つかりません。"
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
T = TypeVar("T")


class MinutesJob(Base):
    """Drafting one transcript into minutes in the background, with progress and a lease (see the module)."""

    __tablename__ = "minutes_jobs"
    __table_args__ = (
        CheckConstraint(
            "state IN ('running', 'done', 'failed', 'cancelled')", name="minutes_job_state_known"
        ),
        Index("ix_minutes_jobs_owner_created", "owner_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="running")
    input: Mapped[dict[str, Any]] = mapped_column(JSON)  # the MinutesInput
    backend: Mapped[str | None] = mapped_column(String(200), default=None)
    allow_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    source_name: Mapped[str] = mapped_column(String(300), default="")  # the uploaded file's name
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(200), default="")  # Japanese, shown with the progress
    draft_id: Mapped[str | None] = mapped_column(String(36), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)  # Japanese message when failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(120), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


# --- drafts ---------------------------------------------------------------------------------------------------


def _reworded(call: Callable[[], T]) -> T:
    """Run a step of the shared workflow; its messages name the 議事録案 instead of the 回答案."""
    try:
        return call()
    except (AccessDenied, InvalidRecord, RecordConflict, RecordNotFound) as exc:
        raise type(exc)(exc.message.replace(NOUN_REPLY, NOUN_MINUTES)) from None


def minutes_of(version: ReplyDraftVersion) -> Minutes:
    return Minutes.model_validate(version.content)


def create_minutes(session: Session, actor: User, minutes: Minutes, comment: str = "") -> ReplyDraftRecord:
    """Store new minutes of `actor` in state 下書き, as version 1."""
    if minutes.classification > actor.clearance:
        raise AccessDenied(ABOVE_CLEARANCE.format(level=str(minutes.classification).translate(_FULL_WIDTH)))
    record = ReplyDraftRecord(
        kind=KIND, owner_id=actor.id, state=DRAFT, subject=minutes.title[:500],
        classification=minutes.classification, source_groups=[], backend=minutes.backend, mode=minutes.mode,
        version=1,
    )  # fmt: skip
    session.add(record)
    session.flush()
    _add_version(record, actor, minutes, comment)
    _add_event(record, actor, "create", None, comment)
    session.flush()
    return record


def get_minutes(
    session: Session, actor: User, draft_id: str, approver_groups: Sequence[str] = ()
) -> ReplyDraftRecord:
    """The minutes if the actor may open them (the rules of `drafts.get_draft`)."""
    record = session.get(ReplyDraftRecord, draft_id)
    if record is not None and record.kind == KIND and record.classification > actor.clearance:
        reviewer = record.state != DRAFT and drafts.may_review(actor, approver_groups)
        if record.owner_id == actor.id or reviewer:  # else: not theirs to see at all (told: not found)
            level = str(record.classification).translate(_FULL_WIDTH)
            raise AccessDenied(ABOVE_CLEARANCE.format(level=level))
    return _reworded(lambda: drafts.get_draft(session, actor, draft_id, approver_groups, KIND))


def list_minutes(
    session: Session, actor: User, approver_groups: Sequence[str] = (), **filters: Any
) -> list[ReplyDraftRecord]:
    """Minutes the actor may open, most recently updated first (`state`, `mine`, `limit`, `offset`)."""
    return drafts.list_drafts(session, actor, approver_groups, kind=KIND, **filters)


def check_turns(minutes: Minutes, total: int) -> None:
    """Every point must name turns of the transcript (1..total): an edit may not invent a source."""
    points = [p for a in minutes.agenda for p in a.points] + [p for s in minutes.speakers for p in s.points]
    points += (
        minutes.decisions + [q.question for q in minutes.qa] + [q.answer for q in minutes.qa if q.answer]
    )
    cited = [(p.text, p.turns) for p in points] + [(a.task, a.turns) for a in minutes.actions]
    cited += [(t.text, [t.index]) for t in minutes.record]
    for text, turns in cited:
        bad = [n for n in turns if not 1 <= n <= total]
        if bad:
            raise InvalidRecord(UNKNOWN_TURN.format(text=text[:30], n=bad[0], total=total))


def edit_minutes(
    session: Session,
    actor: User,
    draft_id: str,
    edited: Minutes,
    *,
    base_version: int | None = None,
    comment: str = "",
) -> ReplyDraftRecord:
    """Save the owner's edit as a new version. What the task found stays as it was (機密性, style, backend,
    mode, usage, turn count); the meeting's particulars and every point are the edit's."""
    record = get_minutes(session, actor, draft_id)
    if record.owner_id != actor.id:
        raise AccessDenied(drafts.NOT_OWNER_EDIT.replace(NOUN_REPLY, NOUN_MINUTES))
    if record.state not in EDITABLE_STATES:
        raise RecordConflict(drafts.NOT_EDITABLE.format(state=record.state).replace(NOUN_REPLY, NOUN_MINUTES))
    if base_version is not None and base_version != record.version:
        raise RecordConflict(drafts.STALE.format(current=record.version).replace(NOUN_REPLY, NOUN_MINUTES))
    previous = minutes_of(drafts.current_version(record))
    check_turns(edited, previous.n_turns)
    kept = ("classification", "style", "max_chars", "n_turns", "backend", "model_id", "mode", "usage", "notice",
            "requested_backend", "substitution")  # fmt: skip
    content = edited.model_copy(update={name: getattr(previous, name) for name in kept})
    record.version += 1
    record.subject = content.title[:500]
    record.updated_at = utcnow()
    _add_version(record, actor, content, comment)
    _add_event(record, actor, "edit", record.state, comment)
    session.flush()
    return record


def transition_minutes(
    session: Session,
    actor: User,
    draft_id: str,
    action: drafts.Action,
    comment: str = "",
    approver_groups: Sequence[str] = (),
) -> tuple[ReplyDraftRecord, str]:
    """submit | approve | return, by the rules of the reply drafts; returns (the minutes, the state they left)."""
    get_minutes(session, actor, draft_id, approver_groups)  # the minutes' own clearance message first
    return _reworded(
        lambda: drafts.transition(session, actor, draft_id, action, comment, approver_groups, KIND)
    )


def list_minutes_versions(
    session: Session, actor: User, draft_id: str, approver_groups: Sequence[str] = ()
) -> list[ReplyDraftVersion]:
    return list(get_minutes(session, actor, draft_id, approver_groups).versions)


def _add_version(record: ReplyDraftRecord, actor: User, minutes: Minutes, comment: str) -> None:
    record.versions.append(
        ReplyDraftVersion(
            number=record.version,
            content=minutes.model_dump(mode="json"),
            author_name=actor.name,
            comment=comment,
        )
    )


def _add_event(record: ReplyDraftRecord, actor: User, action: str, before: str | None, comment: str) -> None:
    record.events.append(
        drafts.ReplyDraftEvent(
            actor_name=actor.name, action=action, from_state=before, to_state=record.state,
            version=record.version, comment=comment.strip(),
        )
    )  # fmt: skip
