"""The offline (extractive) minutes: typed `Minutes` from turns without any model, quoting only what was said.

Steps, each one pass over the turns (memory grows with the transcript, never with its square):
sentences per turn (fillers and leading connectives removed) → term weights → topics (`segment`) → key sentences
per topic and per speaker within the length limit (`extract.select`) → decisions, action items and the next
meeting (`patterns`) → the 発言録 (fillers removed, nothing else changed) or the 質疑応答 pairs (`qa`), as the
style asks. Fixed labels (「開会」「話題n」「議事」) are the only words not taken from the transcript.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.minutes.extract import Sentence, Weights, char_count, score, select, shorten, turn_sentences
from assistant.minutes.fillers import remove_fillers
from assistant.minutes.patterns import action_of, next_meeting_of
from assistant.minutes.qa import qa_pairs
from assistant.minutes.segment import segment
from assistant.minutes.speakers import UNKNOWN_SPEAKER, is_chair
from assistant.tasks.minutes_models import (
    ActionItem,
    AgendaSummary,
    Minutes,
    MinutesInput,
    Point,
    SpeakerSummary,
    Turn,
)

Progress = Callable[[str, int, int], None]  # (stage in Japanese, done, total)

AGENDA_DEFAULT = 300  # characters per agenda item when no limit is set
SPEAKER_DEFAULT = 200  # characters per speaker summary when no limit is set
ACTION_TURN_MAX = 1_000  # longer turns are prepared speeches: their 「〜までに」 are policy, not tasks
ACTION_SENTENCE_MAX = 150


def _noop(stage: str, done: int, total: int) -> None:
    return None


def build_minutes(
    inp: MinutesInput,
    turns: Sequence[Turn],
    *,
    headings: Sequence[tuple[int, str]] = (),
    progress: Progress | None = None,
) -> Minutes:
    """The minutes of `turns` in `inp.style`, limits from `inp.max_chars`, metadata from `inp`."""
    report = progress or _noop
    limit = inp.max_chars
    sentences: list[list[Sentence]] = []
    weights = Weights()
    position = 0
    step = max(1, len(turns) // 20)
    for n, turn in enumerate(turns, start=1):
        mine = turn_sentences(turn.index, turn.text, position)
        position += len(mine) + 1
        sentences.append(mine)
        weights.add(mine)
        if n % step == 0 or n == len(turns):
            report("発言の読み取り", n, len(turns))
    by_index = {turn.index: pos for pos, turn in enumerate(turns)}
    meeting = len({t.speaker for t in turns}) > 1  # one person's speech decides nothing and assigns no tasks
    topics = segment(turns, inp.agenda, headings)
    agenda = []
    for n, topic in enumerate(topics, start=1):
        group = _speech([by_index[i] for i in topic.turns], turns, sentences)
        points = _points(group, weights, limit, AGENDA_DEFAULT)
        agenda.append(AgendaSummary(title=topic.title, points=points, turns=topic.turns))
        report("議題ごとの要旨", n, len(topics))
    minutes = Minutes(
        title=inp.title,
        held_on=inp.held_on,
        place=inp.place,
        attendees=list(inp.attendees) or speakers_of(turns),
        style=inp.style,
        max_chars=limit,
        agenda=agenda,
        speakers=_speakers(turns, sentences, weights, limit),
        decisions=_decisions(turns, sentences, limit) if meeting else [],
        actions=_actions(turns, sentences, limit) if meeting else [],
        next_meeting=_next_meeting(sentences, limit),
        classification=inp.classification,
        n_turns=len(turns),
    )
    report("発言者別の要点・決定事項", 1, 1)
    if inp.style == "発言録":
        minutes.record = [t.model_copy(update={"text": remove_fillers(t.text)}) for t in turns]
    elif inp.style == "質疑応答":
        minutes.qa = qa_pairs(turns, sentences, weights, limit)
    report("完了", 1, 1)
    return minutes


def speakers_of(turns: Sequence[Turn]) -> list[str]:
    """Speakers in order of first appearance (「発言者不明」 left out)."""
    seen: dict[str, None] = {}
    for turn in turns:
        if turn.speaker != UNKNOWN_SPEAKER:
            seen.setdefault(turn.speaker, None)
    return list(seen)


def _speech(positions: list[int], turns: Sequence[Turn], sentences: list[list[Sentence]]) -> list[Sentence]:
    """The sentences of those turns; the chair's and unnamed ones (an assembly record's front matter) left out
    unless they are all there is."""
    spoken = [
        s for p in positions if not is_chair(turns[p].speaker) and turns[p].speaker != UNKNOWN_SPEAKER
        for s in sentences[p]
    ]  # fmt: skip
    return spoken or [s for p in positions for s in sentences[p]]


def _points(group: list[Sentence], weights: Weights, limit: int | None, default: int) -> list[Point]:
    copies = [Sentence(s.text, s.turn, s.position, s.question, s.decision) for s in group]
    score(copies, weights, prefer_questions=True)
    return [Point(text=s.text, turns=[s.turn]) for s in select(copies, limit, default=default)]


def _speakers(
    turns: Sequence[Turn], sentences: list[list[Sentence]], weights: Weights, limit: int | None
) -> list[SpeakerSummary]:
    order = speakers_of(turns)
    if len(order) < 2:
        return []
    grouped: dict[str, list[Sentence]] = {name: [] for name in order}
    for turn, mine in zip(turns, sentences, strict=True):
        if turn.speaker in grouped:
            grouped[turn.speaker].extend(mine)
    out = []
    for name in order:
        points = _points(grouped[name], weights, limit, SPEAKER_DEFAULT)
        if points:
            out.append(SpeakerSummary(speaker=name, points=points))
    return out


def _fit(text: str, limit: int | None) -> str | None:
    return text if limit is None else shorten(text, limit)


def _decisions(turns: Sequence[Turn], sentences: list[list[Sentence]], limit: int | None) -> list[Point]:
    """Sentences stating a decision; when the meeting has a chair, only the chair's (the chair declares them);
    never from prepared speeches (turns over ACTION_TURN_MAX characters), whose 「〜とする」 are policy."""
    chaired = any(is_chair(t.speaker) for t in turns)
    out: list[Point] = []
    seen: set[str] = set()
    for turn, mine in zip(turns, sentences, strict=True):
        if (chaired and not is_chair(turn.speaker)) or char_count(turn.text) > ACTION_TURN_MAX:
            continue
        for s in mine:
            text = _fit(s.text, limit) if s.decision else None
            if text and text not in seen:
                seen.add(text)
                out.append(Point(text=text, turns=[s.turn]))
    return out


def _actions(turns: Sequence[Turn], sentences: list[list[Sentence]], limit: int | None) -> list[ActionItem]:
    out: list[ActionItem] = []
    for turn, mine in zip(turns, sentences, strict=True):
        if char_count(turn.text) > ACTION_TURN_MAX:
            continue
        for s in mine:
            if char_count(s.text) > ACTION_SENTENCE_MAX:
                continue
            found = action_of(s.text)
            task = _fit(found.task, limit) if found else None
            if found and task:
                out.append(ActionItem(task=task, owner=found.owner, due=found.due, turns=[s.turn]))
    return out


def _next_meeting(sentences: list[list[Sentence]], limit: int | None) -> str:
    for mine in reversed(sentences):
        for s in reversed(mine):
            if next_meeting_of(s.text):
                return _fit(s.text, limit) or ""
    return ""
