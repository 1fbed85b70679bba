"""The `minutes_reduce` task: partial minutes of consecutive segments → one set of merged minutes.

Run through the one runner (routed, masked, audited like every model call). Two uses by
`assistant.minutes.mapreduce`: the final reduce (`final=True`: style and length limit given to the model) and,
when the partial minutes of a very long session are too large for one call, intermediate merges of consecutive
groups (`final=False`, style-independent, cached like map steps).

The model merges agenda summaries, speaker points, decisions, action items and the next meeting; question–answer
pairs are not re-written but carried over from the parts with their turn numbers (`merge_partials`). Points
citing turns outside the parts' range are removed (`assistant.minutes.turnrefs`). The offline path (router
fallback) is the same deterministic merge: the parts' points put together by agenda title and speaker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from assistant.minutes.turnrefs import RefCheck, check_refs
from assistant.prompts import load_prompt, neutralise
from assistant.tasks.base import Sources, Task, TaskContext, TaskOutput
from assistant.tasks.minutes_models import AgendaSummary, LLMMinutes, SpeakerSummary, Style
from core.model import Chunk

if TYPE_CHECKING:
    from assistant.backends.base import Reply
    from assistant.router import ModelResult

MERGE_STYLE = "中間統合"


class PartialMinutes(BaseModel):
    """Partial minutes of the turns first_turn..last_turn."""

    model_config = ConfigDict(extra="forbid")

    first_turn: int = Field(ge=1)
    last_turn: int = Field(ge=1)
    minutes: LLMMinutes


class ReduceInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parts: list[PartialMinutes] = Field(min_length=1, description="Consecutive partial minutes, in order.")
    title: str = ""
    agenda: list[str] = Field(default_factory=list, description="議題 given by the clerk.")
    style: Style = "要点筆記"
    final: bool = Field(True, description="False = an intermediate, style-independent merge.")
    max_chars: int | None = None
    classification: int = Field(1, ge=1, le=3)
    note: str = Field("", description="A correction asked of the model (re-ask once over the length limit).")


class ReduceOutput(TaskOutput):
    merged: LLMMinutes
    first_turn: int
    last_turn: int
    dropped_refs: int = 0
    dropped_points: int = 0


def _line(text: str) -> str:
    return neutralise(" ".join(text.split()))


def _refs(turns: list[int]) -> str:
    return "[" + ", ".join(map(str, turns)) + "]"


def render_part(n: int, part: PartialMinutes) -> str:
    """One part as a labelled block of short lines, each point with its turn numbers in brackets."""
    m = part.minutes
    lines = [f'<part n="{n}" turns="{part.first_turn}-{part.last_turn}">']
    for item in m.agenda:
        lines.append(f"【議題】{_line(item.title)}")
        lines += [f"・{_refs(p.turns)} {_line(p.text)}" for p in item.points]
    for summary in m.speakers:
        lines.append(f"【発言者】{_line(summary.speaker)}")
        lines += [f"・{_refs(p.turns)} {_line(p.text)}" for p in summary.points]
    if m.decisions:
        lines.append("【決定事項】")
        lines += [f"・{_refs(p.turns)} {_line(p.text)}" for p in m.decisions]
    if m.actions:
        lines.append("【宿題】")
        lines += [
            f"・{_refs(a.turns)} {_line(a.task)}（担当：{_line(a.owner) or 'なし'}、期限：{_line(a.due) or 'なし'}）"
            for a in m.actions
        ]
    if m.next_meeting.strip():
        lines.append(f"【次回予定】{_line(m.next_meeting)}")
    lines.append("</part>")
    return "\n".join(lines)


def render_parts(parts: list[PartialMinutes]) -> str:
    return "\n\n".join(render_part(n, p) for n, p in enumerate(parts, start=1))


def merge_partials(parts: list[PartialMinutes]) -> LLMMinutes:
    """The parts put together without a model: agenda items by title, speakers by name, the rest in order."""
    agenda: dict[str, AgendaSummary] = {}
    speakers: dict[str, SpeakerSummary] = {}
    merged = LLMMinutes(agenda=[], speakers=[], decisions=[], actions=[])
    for part in parts:
        m = part.minutes
        for item in m.agenda:
            into = agenda.setdefault(item.title, AgendaSummary(title=item.title))
            into.points += item.points
            into.turns = sorted({*into.turns, *item.turns})
        for summary in m.speakers:
            speakers.setdefault(
                summary.speaker, SpeakerSummary(speaker=summary.speaker)
            ).points += summary.points
        merged.decisions += [d for d in m.decisions if d.text not in {x.text for x in merged.decisions}]
        merged.actions += [a for a in m.actions if a.task not in {x.task for x in merged.actions}]
        merged.qa += m.qa
        merged.next_meeting = m.next_meeting.strip() or merged.next_meeting
    merged.agenda, merged.speakers = list(agenda.values()), list(speakers.values())
    return merged


def _range(inp: ReduceInput) -> tuple[int, int]:
    return inp.parts[0].first_turn, inp.parts[-1].last_turn


class MinutesReduceTask(Task[ReduceInput, ReduceOutput]):
    name = "minutes_reduce"
    version = 1
    input_model: ClassVar[type[BaseModel]] = ReduceInput
    output_model: ClassVar[type[TaskOutput]] = ReduceOutput
    schema: ClassVar[type[BaseModel] | None] = LLMMinutes
    max_tokens_setting = "minutes_max_tokens"

    def gather(self, inp: ReduceInput, ctx: TaskContext) -> Sources:
        first, last = _range(inp)
        text = render_parts(inp.parts)
        chunk = Chunk(
            chunk_id=f"minutes-parts-{first}-{last}",
            text=text,
            search_text="",
            source="transcript",
            title=inp.title or "会議の文字起こし",
            section=[f"発言{first}-{last}"],
            classification=inp.classification,
        )
        return Sources(chunks=[chunk])

    def prompts(self, inp: ReduceInput, sources: Sources) -> tuple[str, str]:
        system = load_prompt("minutes_reduce_system").render()
        limit = f"{inp.max_chars}字以内" if inp.final and inp.max_chars else "なし"
        prompt = load_prompt("minutes_reduce_user").render(
            title=_line(inp.title) or "（会議名なし）",
            agenda="、".join(_line(a) for a in inp.agenda if a.strip()) or "なし（素材から判断する）",
            style=inp.style if inp.final else MERGE_STYLE,
            limit=limit,
            note=f"注意：{_line(inp.note)}\n" if inp.note.strip() else "",
            parts=sources.chunks[0].text,
        )
        return system, prompt

    def _output(self, inp: ReduceInput, merged: LLMMinutes, check: RefCheck) -> ReduceOutput:
        first, last = _range(inp)
        qa = [
            pair for part in inp.parts for pair in part.minutes.qa
        ]  # pairs are carried over, never rewritten
        return ReduceOutput(
            merged=merged.model_copy(update={"qa": qa}),
            first_turn=first,
            last_turn=last,
            dropped_refs=check.numbers,
            dropped_points=check.points,
        )

    def offline(self, inp: ReduceInput, sources: Sources) -> Reply:
        from assistant.backends.base import Reply

        return Reply(text="", data=self._output(inp, merge_partials(inp.parts), RefCheck()))

    def from_model(self, inp: ReduceInput, sources: Sources, result: ModelResult) -> ReduceOutput:
        first, last = _range(inp)
        merged, check = check_refs(result.data, range(first, last + 1))
        return self._output(inp, merged, check)


MINUTES_REDUCE = MinutesReduceTask()
