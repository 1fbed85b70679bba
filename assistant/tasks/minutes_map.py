"""The `minutes_map` task: one map step of long minutes — a segment of whole speaker turns → partial minutes.

Run through the one runner like any task, so every map call is routed under the classification policy, masked
when it leaves the organisation, and audited. The segment is the task's only source: one pseudo-chunk carrying
the meeting's 機密性 (its id, a hash of the segment, is what the audit log records). The structured output is
`LLMMinutes` (points with turn numbers, decisions, action items, question–answer pairs); points citing turns
outside the segment are removed (`assistant.minutes.turnrefs`).

Offline path (used only when the router falls back to `offline/extractive`): the first sentence of each
speaker's turns as that speaker's points and sentences with decision wording as decisions — quoted, never
rewritten.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from assistant.minutes.turnrefs import RefCheck, check_refs
from assistant.prompts import load_prompt, neutralise
from assistant.tasks.base import Sources, Task, TaskContext, TaskOutput
from assistant.tasks.minutes_models import LLMMinutes, LLMPoint, Point, SpeakerSummary, Turn
from core.model import Chunk

if TYPE_CHECKING:
    from assistant.backends.base import Reply
    from assistant.router import ModelResult

_DECISION = re.compile(
    r"(決定|可決|否決|了承|承認|採択)(した|された|いたしました|されました|することとした)|こととした"
)
_FIRST_SENTENCE = re.compile(r"^.*?[。！？]|^.+$", re.S)
_QUOTE_CHARS = 120  # an offline point quotes at most this much of a turn's first sentence


class MapInput(BaseModel):
    """One segment of a transcript: whole turns, numbered as in the whole transcript."""

    model_config = ConfigDict(extra="forbid")

    turns: list[Turn] = Field(min_length=1, description="The segment's turns (never split).")
    title: str = Field("", description="会議名.")
    part: int = Field(1, ge=1, description="Position of the segment (1-based).")
    parts: int = Field(1, ge=1, description="Segments in the transcript.")
    classification: int = Field(1, ge=1, le=3, description="機密性 of the meeting.")


class MapOutput(TaskOutput):
    """Partial minutes of one segment, every point citing turns of that segment."""

    partial: LLMMinutes
    first_turn: int
    last_turn: int
    dropped_refs: int = Field(0, description="Turn numbers the model cited outside the segment (removed).")
    dropped_points: int = Field(0, description="Points removed for citing no turn of the segment.")


def render_turns(turns: list[Turn]) -> str:
    """Each turn as `<turn n=".." speaker="..">text</turn>`, its text unable to close the block."""
    blocks = []
    for turn in turns:
        speaker = neutralise(turn.speaker).replace('"', "”").replace("\n", " ")
        blocks.append(
            f'<turn n="{turn.index}" speaker="{speaker}">\n{neutralise(turn.text.strip())}\n</turn>'
        )
    return "\n".join(blocks)


def segment_chunk(inp: MapInput) -> Chunk:
    """The segment as the task's one source (its classification decides where it may be sent)."""
    text = render_turns(inp.turns)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
    first, last = inp.turns[0].index, inp.turns[-1].index
    return Chunk(
        chunk_id=f"minutes-{digest}",
        text=text,
        search_text="",
        source="transcript",
        title=inp.title or "会議の文字起こし",
        section=[f"発言{first}-{last}"],
        classification=inp.classification,
    )


def _output(inp: MapInput, partial: LLMMinutes, check: RefCheck) -> MapOutput:
    return MapOutput(
        partial=partial,
        first_turn=inp.turns[0].index,
        last_turn=inp.turns[-1].index,
        dropped_refs=check.numbers,
        dropped_points=check.points,
    )


def quote_first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    match = _FIRST_SENTENCE.match(flat)
    sentence = match.group(0) if match else flat
    return sentence[:_QUOTE_CHARS]


class MinutesMapTask(Task[MapInput, MapOutput]):
    name = "minutes_map"
    version = 1
    input_model: ClassVar[type[BaseModel]] = MapInput
    output_model: ClassVar[type[TaskOutput]] = MapOutput
    schema: ClassVar[type[BaseModel] | None] = LLMMinutes
    max_tokens_setting = "minutes_max_tokens"

    def gather(self, inp: MapInput, ctx: TaskContext) -> Sources:
        return Sources(chunks=[segment_chunk(inp)])

    def prompts(self, inp: MapInput, sources: Sources) -> tuple[str, str]:
        system = load_prompt("minutes_map_system").render()
        prompt = load_prompt("minutes_map_user").render(
            title=neutralise(" ".join(inp.title.split())) or "（会議名なし）",
            part=str(inp.part),
            parts=str(inp.parts),
            first=str(inp.turns[0].index),
            last=str(inp.turns[-1].index),
            turns=sources.chunks[0].text,
        )
        return system, prompt

    def offline(self, inp: MapInput, sources: Sources) -> Reply:
        from assistant.backends.base import Reply

        by_speaker: dict[str, list[Point]] = {}
        decisions: list[LLMPoint] = []
        for turn in inp.turns:
            sentence = quote_first_sentence(turn.text)
            if sentence:
                by_speaker.setdefault(turn.speaker, []).append(Point(text=sentence, turns=[turn.index]))
            decisions += [
                LLMPoint(text=s.strip(), turns=[turn.index])
                for s in re.findall(r"[^。]*。", turn.text)
                if _DECISION.search(s) and len(s.strip()) <= _QUOTE_CHARS
            ]
        partial = LLMMinutes(
            agenda=[],
            speakers=[SpeakerSummary(speaker=s, points=p) for s, p in by_speaker.items()],
            decisions=decisions,
            actions=[],
        )
        output = _output(inp, partial, RefCheck())
        return Reply(text="", data=output)

    def from_model(self, inp: MapInput, sources: Sources, result: ModelResult) -> MapOutput:
        partial, check = check_refs(result.data, {t.index for t in inp.turns})
        return _output(inp, partial, check)


MINUTES_MAP = MinutesMapTask()
