"""Types of the minutes task (議事録): transcript turns, the task's input, the typed minutes it produces, and the
structured output asked of LLM backends. Shared by the transcript readers, the task (offline and LLM paths, map-reduce
over long sessions), exports, the API and the UI.

Every summary sentence carries the positions of the turns it came from (`turns`, 1-based), so each line of the
minutes can be traced to what was said.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.tasks.base import TaskOutput

Style = Literal["要点筆記", "発言録", "質疑応答"]
STYLES: tuple[str, ...] = ("要点筆記", "発言録", "質疑応答")
MAX_TRANSCRIPT_CHARS = 2_000_000  # a whole assembly day is several hundred thousand characters


class Turn(BaseModel):
    """One speaker turn of a transcript."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=1, description="Position of the turn in the transcript (1-based).")
    speaker: str = Field(
        description="Speaker as written (「山田委員」「議長（山田太郎君）」), or 「発言者不明」."
    )
    text: str = Field(description="What was said, as transcribed.")
    start: str | None = Field(None, description="Start time (hh:mm:ss) for timed transcripts.")
    end: str | None = Field(None, description="End time (hh:mm:ss) for timed transcripts.")


class MinutesInput(BaseModel):
    """A transcript (as text in one of the supported forms, or as turns) and the meeting's metadata."""

    model_config = ConfigDict(extra="forbid")

    transcript: str = Field(
        "",
        max_length=MAX_TRANSCRIPT_CHARS,
        description="Transcript text (plain, Markdown, WebVTT, SRT or JSON).",
    )
    turns: list[Turn] = Field(default_factory=list, description="Turns, when already read (wins over text).")
    title: str = Field("", max_length=300, description="会議名.")
    held_on: str = Field("", max_length=100, description="日時, as the clerk writes it.")
    place: str = Field("", max_length=200, description="場所.")
    attendees: list[str] = Field(default_factory=list, description="出席者; empty = the speakers.")
    agenda: list[str] = Field(default_factory=list, description="議題; empty = found from the transcript.")
    style: Style = Field("要点筆記", description="要点筆記, 発言録 or 質疑応答.")
    max_chars: int | None = Field(
        None,
        ge=10,
        le=100_000,
        description="Length limit per summary item or speaker summary (「100字以内」).",
    )
    classification: int = Field(
        1, ge=1, le=3, description="機密性 of the meeting (decides allowed backends)."
    )


class Point(BaseModel):
    """One sentence of the minutes and the turns it came from."""

    model_config = ConfigDict(extra="forbid")

    text: str
    turns: list[int] = Field(default_factory=list, description="Positions of the source turns (1-based).")


class AgendaSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(description="議題.")
    points: list[Point] = Field(default_factory=list, description="要旨 of this agenda item.")
    turns: list[int] = Field(default_factory=list, description="Turns that belong to this agenda item.")


class SpeakerSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: str
    points: list[Point] = Field(default_factory=list, description="発言者別の要点.")


class ActionItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str = Field(description="宿題: what is to be done.")
    owner: str = Field("", description="担当 (empty when not said).")
    due: str = Field("", description="期限 as said (empty when not said).")
    turns: list[int] = Field(default_factory=list)


class QAPair(BaseModel):
    """A question and its answer, kept as a pair (質疑応答)."""

    model_config = ConfigDict(extra="forbid")

    question: Point
    questioner: str
    answer: Point | None = Field(None, description="None when the question was not answered in the meeting.")
    answerer: str = ""


class Minutes(TaskOutput):
    """The typed minutes, the same type from the LLM path and the offline path."""

    title: str = Field("", description="会議名.")
    held_on: str = Field("", description="日時.")
    place: str = Field("", description="場所.")
    attendees: list[str] = Field(default_factory=list, description="出席者.")
    style: Style = "要点筆記"
    max_chars: int | None = None
    agenda: list[AgendaSummary] = Field(default_factory=list, description="議題ごとの要旨.")
    speakers: list[SpeakerSummary] = Field(default_factory=list, description="発言者別の要点.")
    decisions: list[Point] = Field(default_factory=list, description="決定事項.")
    actions: list[ActionItem] = Field(default_factory=list, description="宿題（担当・期限）.")
    next_meeting: str = Field("", description="次回予定 (empty when not said).")
    record: list[Turn] = Field(
        default_factory=list,
        description="発言録: each turn with fillers and repetitions removed, nothing else.",
    )
    qa: list[QAPair] = Field(default_factory=list, description="質疑応答: questions and answers as pairs.")
    classification: int = Field(1, description="機密性 of the minutes (that of the meeting).")
    n_turns: int = Field(0, description="Turns in the transcript.")
    text: str = Field("", description="The minutes as plain text (assistant.minutes.text.minutes_text).")


class LLMPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="One sentence in 公用文 (である調), only what was said.")
    turns: list[int] = Field(description="Numbers of the turns it summarises, as given in the transcript.")


class LLMMinutes(BaseModel):
    """Structured output asked of LLM backends (the reduce step; map steps use the same shape per segment)."""

    model_config = ConfigDict(extra="forbid")

    agenda: list[AgendaSummary] = Field(description="One entry per agenda item with its points.")
    speakers: list[SpeakerSummary] = Field(description="Main points per speaker.")
    decisions: list[LLMPoint] = Field(description="What was decided; empty if nothing.")
    actions: list[ActionItem] = Field(description="Action items with owner and due date as said.")
    next_meeting: str = Field("", description="Next meeting as said, else empty.")
    qa: list[QAPair] = Field(default_factory=list, description="Question–answer pairs (質疑応答 style).")
