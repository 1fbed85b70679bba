"""Reply drafts (回答案) and their review: 下書き → 確認依頼 → 承認済 / 差戻し (and 差戻し → 確認依頼 again after an edit).

Every content change is a new version (the whole `ReplyDraft` as JSON), every step an event with its actor,
comment and time. Who may do what:

- the owner (author) reads and edits their draft while it is 下書き or 差戻し, and sends it for review;
- a reviewer — an administrator or a member of one of the approver groups — reads drafts sent for review (and
  later states) and approves or returns them, never their own;
- nobody opens a draft citing a source above their clearance or outside their groups (owners whose rights
  shrank included); a reviewer with a lower clearance than the draft's 機密性 is told so.

Anyone else is told the draft does not exist. Functions flush; the caller commits (and audits).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from assistant.records.models import Base, User, UTCDateTime, utcnow
from assistant.tasks.reply_models import ReplyDraft
from core.errors import AccessDenied, InvalidRecord, RecordConflict, RecordNotFound

State = Literal["下書き", "確認依頼", "承認済", "差戻し"]
Action = Literal["submit", "approve", "return"]
DRAFT: State = "下書き"
REVIEW: State = "確認依頼"
APPROVED: State = "承認済"
RETURNED: State = "差戻し"
STATES: tuple[State, ...] = (DRAFT, REVIEW, APPROVED, RETURNED)
EVENT_ACTIONS = ("create", "edit", "submit", "approve", "return")
TRANSITIONS: dict[tuple[Action, State], State] = {
    ("submit", DRAFT): REVIEW,
    ("submit", RETURNED): REVIEW,
    ("approve", REVIEW): APPROVED,
    ("return", REVIEW): RETURNED,
}
ACTION_NAMES = {"submit": "確認依頼", "approve": "承認", "return": "差戻し", "edit": "修正"}
EDITABLE_STATES: tuple[State, ...] = (DRAFT, RETURNED)
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

NOT_FOUND = "指定された回答案は見つかりません。"
ABOVE_CLEARANCE = "この回答案は機密性{level}の資料を引用しているため、閲覧する権限がありません。"
OUTSIDE_GROUPS = "この回答案は閲覧範囲が限定された資料を引用しているため、閲覧する権限がありません。"
NOT_OWNER_EDIT = "回答案を修正できるのは作成者のみです。"
NOT_EDITABLE = "「{state}」の回答案は修正できません。修正が必要な場合は、確認者に差戻しを依頼してください。"
NOT_OWNER_SUBMIT = "確認依頼は回答案の作成者のみ行うことができます。"
NOT_REVIEWER = "回答案の承認及び差戻しは、承認の権限をお持ちの職員又は管理者のみ行うことができます。"
OWN_DRAFT = "自らが作成した回答案を承認又は差戻しすることはできません。別の職員に確認を依頼してください。"
WRONG_STATE = "「{state}」の回答案は{action}できません。"
UNCHANGED = "差戻し後に回答案が修正されていません。内容を修正してから、改めて確認依頼してください。"
COMMENT_REQUIRED = "差戻しの理由をコメントに記入してください。"
STALE = (
    "回答案はほかの操作により更新されています（現在の版：第{current}版）。"
    "画面を再読み込みして最新の内容を確認してから、もう一度修正してください。"
)
UNKNOWN_SOURCE = "記{item}が、根拠にない資料番号[{n}]を引用しています。"


class ReplyDraftRecord(Base):
    """A reply draft: its review state and the fields lists and access checks need without reading versions."""

    __tablename__ = "reply_drafts"
    __table_args__ = (
        CheckConstraint("state IN ('下書き', '確認依頼', '承認済', '差戻し')", name="reply_state_known"),
        CheckConstraint("classification BETWEEN 1 AND 3", name="reply_classification_range"),
        Index("ix_reply_drafts_state_updated", "state", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    # What the draft is: "reply" (ReplyDraft versions) or "minutes" (Minutes versions, assistant.records.minutes).
    kind: Mapped[str] = mapped_column(String(16), default="reply", server_default="reply", index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    state: Mapped[str] = mapped_column(String(16), default=DRAFT)
    subject: Mapped[str] = mapped_column(String(500), default="")
    classification: Mapped[int] = mapped_column(Integer, default=1)  # 機密性: highest among the cited sources
    # The groups of each cited source that has any: a reader must share one group of every entry.
    source_groups: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    backend: Mapped[str] = mapped_column(String(200), default="")
    mode: Mapped[str] = mapped_column(String(32), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)  # the current version's number
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    versions: Mapped[list[ReplyDraftVersion]] = relationship(
        back_populates="draft",
        order_by="ReplyDraftVersion.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    events: Mapped[list[ReplyDraftEvent]] = relationship(
        back_populates="draft",
        order_by="ReplyDraftEvent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ReplyDraftVersion(Base):
    """One version of a draft's content: the whole ReplyDraft as JSON."""

    __tablename__ = "reply_draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "number", name="uq_reply_draft_versions_draft_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("reply_drafts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    author_name: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[ReplyDraftRecord] = relationship(back_populates="versions")

    def reply(self) -> ReplyDraft:
        return ReplyDraft.model_validate(self.content)


class ReplyDraftEvent(Base):
    """One step of a draft's history: created, edited, sent for review, approved or returned, with a comment."""

    __tablename__ = "reply_draft_events"
    __table_args__ = (
        CheckConstraint(
            "action IN ('create', 'edit', 'submit', 'approve', 'return')", name="reply_event_action_known"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("reply_drafts.id", ondelete="CASCADE"), index=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16), default=None)
    to_state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[ReplyDraftRecord] = relationship(back_populates="events")


# --- who may do what ------------------------------------------------------------------------------------------


def may_review(actor: User, approver_groups: Sequence[str]) -> bool:
    """Administrators and members of an approver group (`reply_approver_groups`)."""
    return actor.is_admin or bool(set(actor.groups or []) & set(approver_groups))


def labels_allow(actor: User, level: int, source_groups: Sequence[Sequence[str]]) -> bool:
    """The actor's clearance covers `level` and they share a group with every restricted source."""
    mine = set(actor.groups or [])
    return level <= actor.clearance and all(not groups or mine & set(groups) for groups in source_groups)


def _check_labels(actor: User, record: ReplyDraftRecord) -> None:
    if record.classification > actor.clearance:
        raise AccessDenied(ABOVE_CLEARANCE.format(level=str(record.classification).translate(_FULL_WIDTH)))
    if not labels_allow(actor, record.classification, record.source_groups):
        raise AccessDenied(OUTSIDE_GROUPS)


def _may_see(actor: User, record: ReplyDraftRecord, approver_groups: Sequence[str]) -> bool:
    """Owner, or a reviewer once the draft was sent for review (a 下書き is its author's own)."""
    return record.owner_id == actor.id or (record.state != DRAFT and may_review(actor, approver_groups))


def _labels_of(draft: ReplyDraft) -> tuple[int, list[list[str]]]:
    levels = [s.classification for s in draft.sources] + [draft.classification]
    groups = sorted({tuple(sorted(s.groups)) for s in draft.sources if s.groups})
    return max(levels), [list(g) for g in groups]


# --- repository -----------------------------------------------------------------------------------------------


def create_draft(session: Session, actor: User, draft: ReplyDraft, comment: str = "") -> ReplyDraftRecord:
    """Store a new draft of `actor` in state 下書き, as version 1."""
    level, groups = _labels_of(draft)
    draft = draft.model_copy(update={"classification": level})
    record = ReplyDraftRecord(
        owner_id=actor.id, state=DRAFT, subject=draft.subject[:500], classification=level,
        source_groups=groups, backend=draft.backend, mode=draft.mode, version=1,
    )  # fmt: skip
    session.add(record)
    session.flush()
    _add_version(record, actor, draft, comment)
    _add_event(record, actor, "create", None, comment)
    session.flush()
    return record


def get_draft(
    session: Session, actor: User, draft_id: str, approver_groups: Sequence[str] = (), kind: str = "reply"
) -> ReplyDraftRecord:
    """The draft if the actor may open it: RecordNotFound when absent or not theirs to see, AccessDenied when
    it cites sources above their clearance or outside their groups."""
    record = session.get(ReplyDraftRecord, draft_id)
    if record is None or record.kind != kind or not _may_see(actor, record, approver_groups):
        raise RecordNotFound(NOT_FOUND)
    _check_labels(actor, record)
    return record


def list_drafts(
    session: Session,
    actor: User,
    approver_groups: Sequence[str] = (),
    *,
    state: str | None = None,
    mine: bool | None = None,
    limit: int = 100,
    offset: int = 0,
    kind: str = "reply",
) -> list[ReplyDraftRecord]:
    """Drafts the actor may open, most recently updated first: their own and, for reviewers, others' drafts sent
    for review. `mine` True = only their own, False = only others' (the reviewer's queue), None = both."""
    statement = select(ReplyDraftRecord).order_by(ReplyDraftRecord.updated_at.desc(), ReplyDraftRecord.id)
    statement = statement.where(ReplyDraftRecord.kind == kind)
    if state is not None:
        statement = statement.where(ReplyDraftRecord.state == state)
    own = ReplyDraftRecord.owner_id == actor.id
    others = (ReplyDraftRecord.owner_id != actor.id) & (ReplyDraftRecord.state != DRAFT)
    if not may_review(actor, approver_groups):
        if mine is False:
            return []
        statement = statement.where(own)
    else:
        statement = statement.where({True: own, False: others, None: own | others}[mine])
    statement = statement.where(ReplyDraftRecord.classification <= actor.clearance)
    # Group labels are checked here, in Python: lists are short (a page of drafts).
    visible = [
        r for r in session.scalars(statement) if labels_allow(actor, r.classification, r.source_groups)
    ]
    return visible[offset : offset + limit]


def current_version(record: ReplyDraftRecord) -> ReplyDraftVersion:
    return next(v for v in reversed(record.versions) if v.number == record.version)


def edit_draft(
    session: Session,
    actor: User,
    draft_id: str,
    edited: ReplyDraft,
    *,
    base_version: int | None = None,
    comment: str = "",
) -> ReplyDraftRecord:
    """Save the owner's edit as a new version. What the task found stays as it was (sources, similar
    inquiries, suggestions, 機密性, backend, mode, inquiry); the text fields and the items are the edit's.
    `base_version`, when given, must be the current version (else RecordConflict: someone saved meanwhile)."""
    record = get_draft(session, actor, draft_id)
    if record.owner_id != actor.id:
        raise AccessDenied(NOT_OWNER_EDIT)
    if record.state not in EDITABLE_STATES:
        raise RecordConflict(NOT_EDITABLE.format(state=record.state))
    if base_version is not None and base_version != record.version:
        raise RecordConflict(STALE.format(current=record.version))
    previous = current_version(record).reply()
    known = {s.n for s in previous.sources}
    for item in edited.items:
        unknown = sorted(set(item.sources) - known)
        if unknown:
            raise InvalidRecord(UNKNOWN_SOURCE.format(item=item.number, n=unknown[0]))
    kept = ("sources", "similar", "section_suggestions", "classification", "inquiry", "backend", "model_id",
            "mode", "usage", "notice", "requested_backend", "substitution")  # fmt: skip
    content = edited.model_copy(update={name: getattr(previous, name) for name in kept})
    record.version += 1
    record.subject = content.subject[:500]
    record.updated_at = utcnow()
    _add_version(record, actor, content, comment)
    _add_event(record, actor, "edit", record.state, comment)
    session.flush()
    return record


def transition(
    session: Session,
    actor: User,
    draft_id: str,
    action: Action,
    comment: str = "",
    approver_groups: Sequence[str] = (),
    kind: str = "reply",
) -> tuple[ReplyDraftRecord, str]:
    """Apply `action` (submit | approve | return); returns (the draft, the state it left)."""
    record = get_draft(session, actor, draft_id, approver_groups, kind)
    before = record.state
    if action == "submit":
        if record.owner_id != actor.id:
            raise AccessDenied(NOT_OWNER_SUBMIT)
    else:
        if not may_review(actor, approver_groups):
            raise AccessDenied(NOT_REVIEWER)
        if record.owner_id == actor.id:
            raise AccessDenied(OWN_DRAFT)
    after = TRANSITIONS.get((action, before))  # type: ignore[arg-type]
    if after is None:
        raise RecordConflict(WRONG_STATE.format(state=before, action=ACTION_NAMES[action]))
    if action == "return" and not comment.strip():
        raise InvalidRecord(COMMENT_REQUIRED)
    if action == "submit" and before == RETURNED:
        returned_at = max(e.version for e in record.events if e.action == "return")
        if record.version <= returned_at:
            raise RecordConflict(UNCHANGED)
    now = utcnow()
    record.state = after
    record.updated_at = now
    if action == "submit":
        record.submitted_at = now
        record.reviewer_id = None
        record.decided_at = None
    else:
        record.reviewer_id = actor.id
        record.decided_at = now
    _add_event(record, actor, action, before, comment)
    session.flush()
    return record, before


def list_versions(
    session: Session, actor: User, draft_id: str, approver_groups: Sequence[str] = (), kind: str = "reply"
) -> list[ReplyDraftVersion]:
    """Every version of the draft, oldest first."""
    return list(get_draft(session, actor, draft_id, approver_groups, kind).versions)


def _add_version(record: ReplyDraftRecord, actor: User, draft: ReplyDraft, comment: str) -> ReplyDraftVersion:
    version = ReplyDraftVersion(
        number=record.version, content=draft.model_dump(mode="json"),
        author_name=actor.name, comment=comment,
    )  # fmt: skip
    record.versions.append(version)  # added to the session with the draft (cascade)
    return version


def _add_event(record: ReplyDraftRecord, actor: User, action: str, before: str | None, comment: str) -> None:
    event = ReplyDraftEvent(
        actor_name=actor.name, action=action, from_state=before, to_state=record.state,
        version=record.version, comment=comment.strip(),
    )  # fmt: skip
    record.events.append(event)


from assistant.records.minutes import MinutesJob  # noqa: E402, F401  (minutes tables in the metadata)
