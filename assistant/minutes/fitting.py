"""Length limits (「100字以内」) enforced exactly on model-written minutes.

A limit applies to each agenda item's 要旨 (all its points together), each speaker's 要点 (all points together),
each decision, each action item and each question and answer. What is over the limit is cut at a sentence
boundary (whole sentences kept, later points of the group dropped). When even the first sentence is longer than
the limit nothing can be cut cleanly: `fit_minutes(..., hard=False)` reports those items (to re-ask the model
once); `hard=True` then cuts them at the last 「、」 inside the limit and closes the sentence with 「。」.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.minutes.extract import char_count
from assistant.tasks.minutes_models import Minutes, Point

_SENTENCE = re.compile(r"[^。！？!?]*[。！？!?]+[」』）)]*|[^。！？!?]+$")


@dataclass
class FitReport:
    cut: int = 0  # points shortened at a sentence boundary or dropped to honour the limit
    forced: int = 0  # points cut inside a sentence (hard=True)
    unfit: list[str] = field(default_factory=list)  # Japanese descriptions of items that could not be cut


def sentences(text: str) -> list[str]:
    return [s for s in (m.group(0).strip() for m in _SENTENCE.finditer(text.strip())) if s]


def cut_at_sentence(text: str, limit: int) -> str | None:
    """The longest run of whole leading sentences of `text` within `limit` characters, or None if none fits."""
    kept = ""
    for sentence in sentences(text):
        if char_count(kept + sentence) > limit:
            break
        kept += sentence
    return kept or None


def hard_cut(text: str, limit: int) -> str:
    """`text` cut inside a sentence: at the last 「、」 that leaves room for 「。」, else at the limit."""
    if char_count(text) <= limit:
        return text
    room = text[: max(limit - 1, 0)]
    while room and char_count(room) > limit - 1:  # NFKC may count a character as several
        room = room[:-1]
    comma = room.rfind("、")
    head = room[:comma] if comma > 0 else room
    return head.rstrip("、，, ") + "。" if limit >= 2 else text[:limit]


def _fit_group(points: list[Point], limit: int, label: str, hard: bool, report: FitReport) -> list[Point]:
    kept: list[Point] = []
    used = 0
    for n, point in enumerate(points):
        if used + char_count(point.text) <= limit:
            kept.append(point)
            used += char_count(point.text)
            continue
        room = limit - used
        head = cut_at_sentence(point.text, room) if room > 0 else None
        if head is not None:
            kept.append(point.model_copy(update={"text": head}))
        elif not kept:  # the first sentence of the first point is already too long
            if not hard:
                report.unfit.append(f"{label}（{char_count(point.text)}字）")
                return points
            kept.append(point.model_copy(update={"text": hard_cut(point.text, limit)}))
            report.forced += 1
        report.cut += len(points) - n
        break
    return kept


def _fit_one(point: Point, limit: int, label: str, hard: bool, report: FitReport) -> Point:
    fitted = _fit_group([point], limit, label, hard, report)
    return fitted[0] if fitted else point


def fit_minutes(minutes: Minutes, limit: int | None, *, hard: bool) -> tuple[Minutes, FitReport]:
    """`minutes` with every limited item within `limit` characters (see the module docstring)."""
    report = FitReport()
    if limit is None:
        return minutes, report
    agenda = [
        a.model_copy(update={"points": _fit_group(a.points, limit, f"議題「{a.title}」の要旨", hard, report)})
        for a in minutes.agenda
    ]
    speakers = [
        s.model_copy(update={"points": _fit_group(s.points, limit, f"{s.speaker}の要点", hard, report)})
        for s in minutes.speakers
    ]
    decisions = [_fit_one(p, limit, f"決定事項{n}", hard, report) for n, p in enumerate(minutes.decisions, 1)]
    actions = []
    for n, action in enumerate(minutes.actions, 1):
        point = _fit_one(Point(text=action.task, turns=action.turns), limit, f"宿題{n}", hard, report)
        actions.append(action.model_copy(update={"task": point.text}))
    qa = []
    for n, pair in enumerate(minutes.qa, 1):
        question = _fit_one(pair.question, limit, f"質疑{n}の質問", hard, report)
        answer = _fit_one(pair.answer, limit, f"質疑{n}の答弁", hard, report) if pair.answer else None
        qa.append(pair.model_copy(update={"question": question, "answer": answer}))
    update = {"agenda": agenda, "speakers": speakers, "decisions": decisions, "actions": actions, "qa": qa}
    return minutes.model_copy(update=update), report


def within_limit(minutes: Minutes, limit: int | None) -> bool:
    """True when every limited item of `minutes` is within `limit` characters."""
    if limit is None:
        return True
    groups = [[p.text for p in a.points] for a in minutes.agenda] + [
        [p.text for p in s.points] for s in minutes.speakers
    ]
    singles = [p.text for p in minutes.decisions] + [a.task for a in minutes.actions]
    singles += [p.text for q in minutes.qa for p in (q.question, q.answer) if p is not None]
    return all(sum(map(char_count, g)) <= limit for g in groups) and all(
        char_count(s) <= limit for s in singles
    )
