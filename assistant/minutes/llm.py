"""The LLM side of the minutes task: the prompts for a set of turns, and typed `Minutes` from an `LLMMinutes`.

Usable for one call over a short transcript (the task's `prompts` / `from_model`) and for each step of a
map-reduce over a long one: `minutes_prompts(inp, turns)` renders any subset of turns (numbers kept), and
`minutes_from_llm(inp, turns, data)` checks what the model returned against those turns.

Checks: a point without a valid turn number is dropped (every line must be traceable); speakers not in the
transcript are dropped; texts over the limit are shortened at a 読点 (`extract.shorten`) or dropped; the 発言録 is
always built here (fillers removed), never by the model.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.minutes.extract import shorten
from assistant.minutes.fillers import remove_fillers
from assistant.minutes.offline import speakers_of
from assistant.prompts import load_prompt, neutralise
from assistant.tasks.minutes_models import (
    ActionItem,
    AgendaSummary,
    LLMMinutes,
    Minutes,
    MinutesInput,
    Point,
    QAPair,
    SpeakerSummary,
    Turn,
)

_ATTR = str.maketrans({"<": "＜", ">": "＞", '"': "”", "\n": " "})


def limit_rule(max_chars: int | None) -> str:
    if max_chars is None:
        return "議題ごとの要旨及び発言者ごとの要点は、それぞれ簡潔にまとめること（目安として300字以内）。"
    return (
        f"議題ごとの要旨（points の text の合計）及び発言者ごとの要点（points の text の合計）は、"
        f"それぞれ{max_chars}字以内とすること。決定事項、宿題、質問及び答弁も、一件ごとに{max_chars}字以内とすること。"
    )


def render_turns(turns: Sequence[Turn]) -> str:
    """Each turn as a `<turn n="…" speaker="…">` block, its text unable to close the block."""
    blocks = []
    for turn in turns:
        when = f' start="{turn.start}"' if turn.start else ""
        speaker = turn.speaker.translate(_ATTR)
        blocks.append(f'<turn n="{turn.index}" speaker="{speaker}"{when}>\n{neutralise(turn.text)}\n</turn>')
    return "\n".join(blocks)


def render_meeting(inp: MinutesInput) -> str:
    fields = [
        ("会議名", inp.title),
        ("日時", inp.held_on),
        ("場所", inp.place),
        ("出席者", "、".join(inp.attendees)),
    ]
    return (
        "\n".join(f"{name}：{neutralise(' '.join(v.split()))}" for name, v in fields if v.strip())
        or "（記載なし）"
    )


def render_agenda(agenda: Sequence[str]) -> str:
    return (
        "\n".join(f"{n}. {neutralise(item)}" for n, item in enumerate(agenda, start=1))
        or "（示されていない）"
    )


def minutes_prompts(inp: MinutesInput, turns: Sequence[Turn]) -> tuple[str, str]:
    """(system, user) prompts asking for `LLMMinutes` over `turns` (all of a short meeting, or one map step)."""
    system = load_prompt("minutes_system").render(style=inp.style, limit=limit_rule(inp.max_chars))
    user = load_prompt("minutes_user").render(
        meeting=render_meeting(inp), agenda=render_agenda(inp.agenda), turns=render_turns(turns)
    )
    return system, user


def _checked(point: Point, known: set[int], limit: int | None) -> Point | None:
    turns = sorted({t for t in point.turns if t in known})
    text = " ".join(point.text.split())
    if limit is not None:
        text = shorten(text, limit) or ""
    return Point(text=text, turns=turns) if turns and text else None


def _within(points: list[Point], limit: int | None) -> list[Point]:
    """Points whose texts together stay within `limit` (the first ones kept)."""
    if limit is None:
        return points
    out, used = [], 0
    for point in points:
        room = limit - used
        text = shorten(point.text, room) if room > 0 else None
        if not text:
            break
        out.append(Point(text=text, turns=point.turns))
        used += len(text)
    return out


def minutes_from_llm(inp: MinutesInput, turns: Sequence[Turn], data: LLMMinutes) -> Minutes:
    """Typed minutes from the model's output, checked against the turns it was given."""
    known = {t.index for t in turns}
    names = {t.speaker for t in turns}
    limit = inp.max_chars

    def points(items: Sequence[Point]) -> list[Point]:
        return [
            p for p in (_checked(Point(text=i.text, turns=list(i.turns)), known, limit) for i in items) if p
        ]

    agenda = [
        AgendaSummary(title=a.title.strip(), points=_within(points(a.points), limit),
                      turns=sorted({t for t in a.turns if t in known}))
        for a in data.agenda if a.title.strip()
    ]  # fmt: skip
    speakers = [
        SpeakerSummary(speaker=s.speaker, points=_within(points(s.points), limit))
        for s in data.speakers
        if s.speaker in names
    ]
    actions = []
    for action in data.actions:
        task = _checked(Point(text=action.task, turns=list(action.turns)), known, limit)
        if task:
            actions.append(
                ActionItem(
                    task=task.text, owner=action.owner.strip(), due=action.due.strip(), turns=task.turns
                )
            )
    qa = []
    for pair in data.qa:
        question = _checked(pair.question, known, limit)
        if question is None:
            continue
        answer = _checked(pair.answer, known, limit) if pair.answer is not None else None
        qa.append(QAPair(question=question, questioner=pair.questioner, answer=answer,
                         answerer=pair.answerer if answer else ""))  # fmt: skip
    minutes = Minutes(
        title=inp.title, held_on=inp.held_on, place=inp.place,
        attendees=list(inp.attendees) or speakers_of(turns), style=inp.style, max_chars=limit,
        agenda=agenda, speakers=[s for s in speakers if s.points], decisions=points(data.decisions),
        actions=actions, next_meeting=(shorten(data.next_meeting.strip(), limit) if limit else data.next_meeting.strip()) or "",
        qa=qa if inp.style == "質疑応答" else [], classification=inp.classification, n_turns=len(turns),
    )  # fmt: skip
    if inp.style == "発言録":
        minutes.record = [t.model_copy(update={"text": remove_fillers(t.text)}) for t in turns]
    return minutes
