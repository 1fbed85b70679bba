"""The `minutes` task (議事録): typed minutes from a transcript, in the style the clerk chooses.

Sources: the transcript's turns (`MinutesInput.turns`, else the transcript text read by
`assistant.minutes.transcripts`), one `Chunk` per turn (`turn-<n>`) carrying the meeting's 機密性, so the router's
classification policy decides which backends may see the meeting. Metadata the clerk left blank (会議名, 日時, 場所,
出席者, 議題) is taken from the transcript where it says them.

Offline path: `assistant.minutes.offline.build_minutes` (topics, key sentences within the limit, decisions,
action items, 発言録 / 質疑応答). LLM path: one call over the numbered turns with structured output
`LLMMinutes` (`assistant.minutes.llm`); long sessions go through a map-reduce built on the same functions. Both
paths produce the same `Minutes`, with `text` holding the minutes as plain text.

A progress callback `(stage, done, total)` may be put in `Sources.extra["progress"]` by a caller that gathers
first (the CLI does, to report on stderr).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel

from assistant.tasks.base import Sources, Task, TaskContext, TaskOutput
from assistant.tasks.minutes_models import LLMMinutes, Minutes, MinutesInput, Turn
from core.errors import YakubaError

if TYPE_CHECKING:
    from assistant.backends.base import Reply
    from assistant.minutes.transcripts import Transcript
    from assistant.router import ModelResult
    from core.model import Chunk

NO_TURNS = "議事録にする発言がありません。文字起こしのテキストを貼り付けるか、ファイルを指定してください。"


def read_turns(inp: MinutesInput) -> Transcript:
    """The transcript of `inp`: its given turns (renumbered 1…n when needed), else its text read."""
    from assistant.minutes.transcripts import Transcript, read_transcript

    if inp.turns:
        turns = inp.turns
        if [t.index for t in turns] != list(range(1, len(turns) + 1)):
            turns = [t.model_copy(update={"index": n}) for n, t in enumerate(turns, start=1)]
        return Transcript(turns=list(turns), format="turns")
    if not inp.transcript.strip():
        raise YakubaError(NO_TURNS)
    return read_transcript(inp.transcript)


def with_metadata(inp: MinutesInput, transcript: Transcript) -> MinutesInput:
    """`inp` with the blank metadata fields filled from what the transcript says."""
    update = {
        key: getattr(transcript, key)
        for key in ("title", "held_on", "place", "attendees", "agenda")
        if not getattr(inp, key) and getattr(transcript, key)
    }
    return inp.model_copy(update=update) if update else inp


def turns_to_chunks(turns: list[Turn], classification: int, title: str = "") -> list[Chunk]:
    """One chunk per turn (`turn-<n>`, the speaker as its section), all at the meeting's 機密性."""
    from core.model import Chunk

    return [
        Chunk(
            chunk_id=f"turn-{t.index}",
            text=t.text,
            search_text=t.text,
            source="transcript",
            title=title or "議事録",
            section=[t.speaker],
            classification=classification,
            ordinal=t.index,
        )  # fmt: skip
        for t in turns
    ]


def finish(minutes: Minutes) -> Minutes:
    """The minutes with `text` set to their plain-text form."""
    from assistant.minutes.text import minutes_text

    return minutes.model_copy(update={"text": minutes_text(minutes)})


class MinutesTask(Task[MinutesInput, Minutes]):
    name = "minutes"
    version = 1
    input_model: ClassVar[type[BaseModel]] = MinutesInput
    output_model: ClassVar[type[TaskOutput]] = Minutes
    schema: ClassVar[type[BaseModel] | None] = LLMMinutes
    max_tokens_setting = "minutes_max_tokens"

    def gather(self, inp: MinutesInput, ctx: TaskContext) -> Sources:
        transcript = read_turns(inp)
        meeting = with_metadata(inp, transcript)
        chunks = turns_to_chunks(transcript.turns, inp.classification, meeting.title)
        extra = {
            "turns": transcript.turns, "input": meeting, "headings": transcript.headings,
            "warnings": transcript.warnings, "format": transcript.format,
        }  # fmt: skip
        return Sources(chunks=chunks, extra=extra)

    def prompts(self, inp: MinutesInput, sources: Sources) -> tuple[str, str]:
        from assistant.minutes.llm import minutes_prompts

        return minutes_prompts(sources.extra.get("input", inp), sources.extra["turns"])

    def offline(self, inp: MinutesInput, sources: Sources) -> Reply:
        from assistant.backends.base import Reply
        from assistant.minutes.offline import build_minutes

        minutes = build_minutes(
            sources.extra.get("input", inp), sources.extra["turns"],
            headings=sources.extra.get("headings", ()), progress=sources.extra.get("progress"),
        )  # fmt: skip
        minutes = finish(minutes)
        return Reply(text=minutes.text, data=minutes)

    def from_model(self, inp: MinutesInput, sources: Sources, result: ModelResult) -> Minutes:
        from assistant.minutes.llm import minutes_from_llm

        minutes = minutes_from_llm(sources.extra.get("input", inp), sources.extra["turns"], result.data)
        return finish(minutes)


MINUTES = MinutesTask()
