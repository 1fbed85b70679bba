"""Topic segmentation of a transcript into agenda items (議題), in this order of preference:

1. the 議題 given by the clerk: each item starts at the first turn that names it (its terms), in the given order;
2. the chair's announcements (「…を議題といたします」「日程第一、…」) and Markdown headings between turns;
3. lexical cohesion (TextTiling over turns: a new topic where the terms of the turns before and after a gap
   overlap least), for transcripts long enough to have several topics.

A topic's title is the clerk's 議題, the words the chair said, the heading, or a fixed label 「話題n」 with the
topic's most frequent terms as said — never invented words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.minutes.extract import terms
from assistant.minutes.patterns import agenda_title, sentences_of
from assistant.minutes.speakers import is_chair
from assistant.tasks.minutes_models import Turn

DEFAULT_TITLE = "議事"
_CALLED = re.compile(r"^[一二三四五六七八九十百千〇0-9０-９]+番[^、。]{1,20}(?:君|さん|議員|委員)。?$")
MIN_TURNS_FOR_TILING = 12  # fewer turns: one topic
TILING_WINDOW = 4  # turns on each side of a gap
MAX_TOPICS = 12
MAX_TITLE = 80


@dataclass
class Topic:
    title: str
    turns: list[int] = field(default_factory=list)  # 1-based turn indices
    source: str = "given"  # given | chair | heading | cohesion | whole


def segment(
    turns: Sequence[Turn], agenda: Sequence[str] = (), headings: Sequence[tuple[int, str]] = ()
) -> list[Topic]:
    """Topics covering every turn once, in order."""
    if not turns:
        return [Topic(agenda[0] if agenda else DEFAULT_TITLE, [], "whole")]
    if agenda:
        return _by_given(turns, agenda)
    starts = _announced(turns) or [(i, title, "heading") for i, title in headings if i <= turns[-1].index]
    if starts:
        return _from_starts(turns, starts)
    if len(turns) >= MIN_TURNS_FOR_TILING:
        return _by_cohesion(turns)
    return [Topic(DEFAULT_TITLE, [t.index for t in turns], "whole")]


def _from_starts(turns: Sequence[Turn], starts: list[tuple[int, str, str]]) -> list[Topic]:
    starts = sorted({i: (i, t, s) for i, t, s in starts}.values())
    topics: list[Topic] = []
    first = starts[0][0]
    if first > turns[0].index:  # turns before the first item: the opening
        topics.append(Topic("開会", [t.index for t in turns if t.index < first], "chair"))
    for n, (start, title, source) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else math.inf
        topics.append(Topic(title, [t.index for t in turns if start <= t.index < end], source))
    return [t for t in topics if t.turns]


def _announced(turns: Sequence[Turn]) -> list[tuple[int, str, str]]:
    starts = []
    for turn in turns:
        if not is_chair(turn.speaker):
            continue
        said = sentences_of(turn.text)
        for sentence in said[:3]:
            title = agenda_title(sentence)
            if title:
                starts.append((turn.index, _clip(title), "chair"))
                break
        else:
            called = next((s for s in said if _CALLED.match(s)), None)
            if called and "登壇" in turn.text:  # the chair gives the floor to a member for a question
                starts.append((turn.index, f"質問（{called.rstrip('。')}）", "chair"))
    return starts


def _clip(title: str) -> str:
    title = " ".join(title.split())
    if len(title) <= MAX_TITLE:
        return title
    cut = max(title.rfind("、", 0, MAX_TITLE), title.rfind("，", 0, MAX_TITLE))
    return title[:cut] if cut > 10 else title[:MAX_TITLE]


def _by_given(turns: Sequence[Turn], agenda: Sequence[str]) -> list[Topic]:
    """Each given item starts at the first turn after the previous item's start that shares most of its terms."""
    starts: list[int] = []
    cursor = 0
    bags = [set(terms(t.text)) for t in turns]
    for n, item in enumerate(agenda):
        wanted = set(
            terms(re.sub(r"^[\s　]*(?:\d+|[０-９]+|[一二三四五六七八九十]+)[.．、)）]\s*", "", item))
        )
        found = None
        if wanted:
            for pos in range(cursor, len(turns)):
                if len(wanted & bags[pos]) >= max(1, math.ceil(len(wanted) * 0.6)):
                    found = pos
                    break
        if found is None:  # not named: share the remaining turns evenly
            left = len(agenda) - n
            found = (
                cursor
                if n == 0
                else min(len(turns) - 1, cursor + max(1, (len(turns) - cursor) // (left + 1)))
            )
        starts.append(max(found, cursor))
        cursor = starts[-1] + (1 if n else 0)
    starts[0] = 0
    topics = []
    for n, item in enumerate(agenda):
        end = starts[n + 1] if n + 1 < len(starts) else len(turns)
        topics.append(Topic(item.strip(), [t.index for t in turns[starts[n] : max(end, starts[n])]], "given"))
    return topics


def _by_cohesion(turns: Sequence[Turn]) -> list[Topic]:
    bags = [Counter(terms(t.text)) for t in turns]
    gaps: list[tuple[float, int]] = []
    for gap in range(1, len(turns)):
        left = sum(bags[max(0, gap - TILING_WINDOW) : gap], Counter())
        right = sum(bags[gap : gap + TILING_WINDOW], Counter())
        gaps.append((_cosine(left, right), gap))
    depths = []
    values = [v for v, _ in gaps]
    for k, (value, gap) in enumerate(gaps):
        peak_left = max(values[max(0, k - TILING_WINDOW) : k + 1])
        peak_right = max(values[k : k + TILING_WINDOW + 1])
        depths.append((peak_left - value + peak_right - value, gap))
    if not depths:
        return [Topic(DEFAULT_TITLE, [t.index for t in turns], "whole")]
    mean = sum(d for d, _ in depths) / len(depths)
    spread = math.sqrt(sum((d - mean) ** 2 for d, _ in depths) / len(depths))
    cuts: list[int] = []
    for depth, gap in sorted(depths, reverse=True):  # deepest first, at least TILING_WINDOW turns per topic
        if len(cuts) >= MAX_TOPICS - 1 or depth <= mean + spread / 2 or depth <= 0.1:
            break
        if (
            gap >= TILING_WINDOW
            and len(turns) - gap >= TILING_WINDOW
            and all(abs(gap - c) >= TILING_WINDOW for c in cuts)
        ):
            cuts.append(gap)
    cuts.sort()
    bounds = [0, *cuts, len(turns)]
    topics = []
    for n in range(len(bounds) - 1):
        part = turns[bounds[n] : bounds[n + 1]]
        topics.append(Topic(_label(n + 1, part), [t.index for t in part], "cohesion"))
    return topics


def _label(n: int, part: Sequence[Turn]) -> str:
    """「話題n（語・語）」: a fixed label and the topic's most frequent multi-kanji / katakana words as said."""
    words: Counter[str] = Counter()
    for turn in part:
        words.update(w for w in re.findall(r"[一-龥々]{2,6}|[ァ-ヴー]{3,}", turn.text))
    top = [w for w, c in words.most_common(3) if c > 1]
    return f"話題{n}（{'・'.join(top)}）" if top else f"話題{n}"


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0
