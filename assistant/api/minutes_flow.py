"""Minutes (議事録) on the API: the request and response models of /minutes, reading a transcript (an uploaded
file or pasted text) into the task's input, what a reader may see of stored minutes, exports, and the audit of
every review step.

Stored minutes follow the reply drafts' review workflow (`assistant.records.minutes`); their source turns (the
transcript as read) stay with the job that drafted them, so every point can be shown with what was said.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field
from sqlalchemy import select

from assistant.api.review_flow import ApiModel, EventOut, State, actions_of, events_of, file_stem
from assistant.api.review_flow import audit_step as review_audit_step
from assistant.records.drafts import APPROVED, ReplyDraftRecord, current_version
from assistant.records.minutes import MinutesJob, minutes_of
from assistant.tasks.minutes_models import MAX_TRANSCRIPT_CHARS, Minutes, MinutesInput, Style, Turn
from core.errors import AccessDenied, InvalidRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from assistant.api.context import ApiContext
    from assistant.records.models import User

AUDIT_TASK = "minutes_review"
JobState = Literal["running", "done", "failed", "cancelled"]
ABOVE_OWN_CLEARANCE = (
    "機密性{level}の会議の議事録は作成できません（閲覧できる機密性は{clearance}までです）。"
    "機密性の指定を確認してください。"
)
NO_TRANSCRIPT = "発言記録のファイルを選択するか、発言記録を貼り付けてください。"
TOO_LONG = "発言記録が長すぎます（{length:,}文字）。{limit:,}文字以内に分けて作成してください。"
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


class MinutesRequest(ApiModel):
    """JSON form of POST /minutes/draft: pasted transcript text (or turns) with the meeting's particulars."""

    input: MinutesInput = Field(
        description="Transcript (text in any supported form, or turns), style, limits."
    )
    backend: str | None = Field(None, description="Backend address; None = the task's default.")
    allow_fallback: bool = Field(
        False, description="Let another backend draft when the chosen one is refused or unavailable."
    )
    meeting: int | None = Field(None, ge=1, description="Which meeting of a JSON transcript holding several.")


class EditRequest(ApiModel):
    minutes: Minutes = Field(
        description="The edited minutes; 機密性, style, backend and turn count are kept."
    )
    base_version: int | None = Field(None, description="The version edited; a newer one makes this a 409.")
    comment: str = Field("", max_length=2000, description="What was changed (kept with the version).")


class MinutesSummary(ApiModel):
    id: str
    state: State
    title: str
    classification: int = Field(description="機密性 of the meeting.")
    owner: str
    reviewer: str | None = Field(description="Who approved or returned them last.")
    version: int
    backend: str
    mode: str
    created_at: datetime
    updated_at: datetime
    actions: list[str] = Field(
        description="What the caller may do now: edit, submit, approve, return, export."
    )


class MinutesOut(MinutesSummary):
    minutes: Minutes = Field(description="The current version.")
    events: list[EventOut] = Field(description="The review history, oldest first.")


class MinutesList(ApiModel):
    minutes: list[MinutesSummary]


class TurnList(ApiModel):
    turns: list[Turn] = Field(description="The transcript's turns as read, numbered as the points cite them.")


class JobOut(ApiModel):
    id: str
    state: JobState = Field(description="running | done | failed | cancelled")
    done: int = Field(description="Steps done.")
    total: int = Field(description="Steps in all (known once the transcript is split; 0 before).")
    stage: str = Field(description="What is being done (Japanese, for display).")
    source_name: str
    n_turns: int
    error: str | None = Field(description="Why the job failed (Japanese).")
    draft_id: str | None = Field(description="The minutes created, once done.")
    created_at: datetime
    finished_at: datetime | None
    minutes: MinutesOut | None = Field(None, description="The minutes created, once done.")


# --- input ----------------------------------------------------------------------------------------------------


def split_names(value: str) -> list[str]:
    """「山田委員、佐藤委員」 or one name a line → names (form fields of the upload)."""
    for separator in ("\n", "、", ",", "，"):
        value = value.replace(separator, "\n")
    return [name.strip() for name in value.splitlines() if name.strip()]


def build_input(
    data: str | bytes, name: str | None, particulars: dict[str, Any], *, style: Style, max_chars: int | None,
    classification: int, meeting: int | None = None,
) -> MinutesInput:  # fmt: skip
    """The task input from a transcript (file bytes or pasted text): its turns as read, the particulars given
    (会議名・日時・場所・出席者・議題) winning over what the file says. Unreadable input raises with a message."""
    from assistant.minutes.transcripts import read_transcript

    if not data or (isinstance(data, str) and not data.strip()):
        raise InvalidRecord(NO_TRANSCRIPT)
    if len(data) > MAX_TRANSCRIPT_CHARS * 4:
        raise InvalidRecord(TOO_LONG.format(length=len(data), limit=MAX_TRANSCRIPT_CHARS))
    transcript = read_transcript(data, name=name, meeting=meeting)
    length = sum(len(t.text) for t in transcript.turns)
    if length > MAX_TRANSCRIPT_CHARS:
        raise InvalidRecord(TOO_LONG.format(length=length, limit=MAX_TRANSCRIPT_CHARS))
    read = {"title": transcript.title, "held_on": transcript.held_on, "place": transcript.place,
            "attendees": transcript.attendees, "agenda": transcript.agenda}  # fmt: skip
    given = {key: value for key, value in particulars.items() if value}
    return MinutesInput(
        turns=transcript.turns,
        style=style,
        max_chars=max_chars,
        classification=classification,
        **(read | given),
    )


def check_clearance(user: User, level: int) -> None:
    """Nobody drafts minutes they could not read back."""
    if level > user.clearance:
        raise AccessDenied(
            ABOVE_OWN_CLEARANCE.format(
                level=str(level).translate(_FULL_WIDTH), clearance=str(user.clearance).translate(_FULL_WIDTH)
            )
        )


def transcript_chars(inp: MinutesInput) -> int:
    return sum(len(t.text) for t in inp.turns) or len(inp.transcript)


# --- reading --------------------------------------------------------------------------------------------------


def summary_of(ctx: ApiContext, user: User, record: ReplyDraftRecord) -> MinutesSummary:
    return MinutesSummary(
        id=record.id, state=record.state, title=record.subject, classification=record.classification,
        owner=record.owner.name, reviewer=record.reviewer.name if record.reviewer else None,
        version=record.version, backend=record.backend, mode=record.mode, created_at=record.created_at,
        updated_at=record.updated_at, actions=actions_of(ctx, user, record),
    )  # fmt: skip


def minutes_out(ctx: ApiContext, user: User, record: ReplyDraftRecord) -> MinutesOut:
    minutes = minutes_of(current_version(record))
    return MinutesOut(**summary_of(ctx, user, record).model_dump(), minutes=minutes, events=events_of(record))


def job_out(job: MinutesJob, minutes: MinutesOut | None = None) -> JobOut:
    return JobOut(
        id=job.id, state=job.state, done=job.done, total=job.total, stage=job.stage, source_name=job.source_name,
        n_turns=len(job.input.get("turns") or []), error=job.error, draft_id=job.draft_id,
        created_at=job.created_at, finished_at=job.finished_at, minutes=minutes,
    )  # fmt: skip


def source_turns(session: Session, record: ReplyDraftRecord) -> list[Turn]:
    """The turns the minutes were drafted from (kept with their job)."""
    job = session.scalars(select(MinutesJob).where(MinutesJob.draft_id == record.id)).first()
    if job is None:
        return []
    inp = MinutesInput.model_validate(job.input)
    if inp.turns:
        return inp.turns
    from assistant.minutes.transcripts import read_transcript

    return read_transcript(inp.transcript).turns if inp.transcript.strip() else []


def export_minutes(record: ReplyDraftRecord, fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the current version; 「案」 unless approved."""
    from assistant.exports import render_minutes_docx, render_minutes_markdown
    from assistant.exports.minutes_layout import document_title

    minutes = minutes_of(current_version(record))
    approved = record.state == APPROVED
    stem = f"{'' if approved else '【案】'}{file_stem(document_title(minutes), '議事録')}"
    if fmt == "docx":
        media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return render_minutes_docx(minutes, approved=approved), media, f"{stem}.docx"
    text = render_minutes_markdown(minutes, approved=approved)
    return text.encode("utf-8"), "text/markdown; charset=utf-8", f"{stem}.md"


# One review step on minutes in the audit log (kind "minutes" beside the reply drafts' steps).
audit_step = partial(review_audit_step, task=AUDIT_TASK, kind="minutes")
