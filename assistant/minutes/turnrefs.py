"""Turn references of model-written minutes: every point must cite turns that exist.

A model may cite a turn number that is not in the transcript (or, in a map step, not in its segment). Such
numbers are removed; a point left citing no turn at all is dropped, because every line of the minutes must be
traceable to what was said. The count of what was dropped is returned so the caller can tell the user.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from assistant.tasks.minutes_models import (
    ActionItem,
    AgendaSummary,
    LLMMinutes,
    LLMPoint,
    Point,
    QAPair,
    SpeakerSummary,
)


@dataclass
class RefCheck:
    """What checking the references removed: turn numbers (`numbers`) and whole points (`points`)."""

    numbers: int = 0
    points: int = 0

    def add(self, other: RefCheck) -> None:
        self.numbers += other.numbers
        self.points += other.points


def valid_turns(turns: list[int], allowed: Collection[int], check: RefCheck) -> list[int]:
    """`turns` without unknown numbers and duplicates, in ascending order."""
    kept = sorted({t for t in turns if t in allowed})
    check.numbers += len({*turns} - set(kept))
    return kept


def _point(point: Point | LLMPoint, allowed: Collection[int], check: RefCheck) -> Point | None:
    text = " ".join(point.text.split())
    turns = valid_turns(point.turns, allowed, check)
    if not text or not turns:
        check.points += 1
        return None
    return Point(text=text, turns=turns)


def _points(points: list[Point] | list[LLMPoint], allowed: Collection[int], check: RefCheck) -> list[Point]:
    return [p for p in (_point(q, allowed, check) for q in points) if p is not None]


def check_refs(data: LLMMinutes, allowed: Collection[int]) -> tuple[LLMMinutes, RefCheck]:
    """`data` keeping only points that cite at least one turn in `allowed` (and only those turns)."""
    check = RefCheck()
    agenda = []
    for item in data.agenda:
        points = _points(item.points, allowed, check)
        title = " ".join(item.title.split())
        if points and title:
            turns = sorted({*valid_turns(item.turns, allowed, check), *(t for p in points for t in p.turns)})
            agenda.append(AgendaSummary(title=title, points=points, turns=turns))
    speakers = []
    for summary in data.speakers:
        points = _points(summary.points, allowed, check)
        if points and summary.speaker.strip():
            speakers.append(SpeakerSummary(speaker=summary.speaker.strip(), points=points))
    decisions = [LLMPoint(text=p.text, turns=p.turns) for p in _points(data.decisions, allowed, check)]
    actions = []
    for action in data.actions:
        turns = valid_turns(action.turns, allowed, check)
        if action.task.strip() and turns:
            actions.append(action.model_copy(update={"task": action.task.strip(), "turns": turns}))
        else:
            check.points += 1
    qa = []
    for pair in data.qa:
        question = _point(pair.question, allowed, check)
        if question is None:
            continue
        answer = _point(pair.answer, allowed, check) if pair.answer is not None else None
        qa.append(
            QAPair(
                question=question,
                questioner=pair.questioner.strip(),
                answer=answer,
                answerer=pair.answerer.strip() if answer is not None else "",
            )
        )
    cleaned = LLMMinutes(
        agenda=agenda,
        speakers=speakers,
        decisions=decisions,
        actions=[ActionItem.model_validate(a.model_dump()) for a in actions],
        next_meeting=" ".join(data.next_meeting.split()),
        qa=qa,
    )
    return cleaned, check
