"""Key sentences within a length limit: score the sentences of a group of turns (a topic, a speaker, one turn),
keep the best ones whose total length stays within the limit, in the order they were said.

Lengths are counted exactly (`char_count`: characters, the larger of the text as written and its NFKC form, so a
scorer normalising the text never finds it longer). A sentence too long for what is left is shortened only at a
読点: the longest ending (the predicate, which Japanese puts last) that fits; never mid-word. Nothing is added.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.minutes.fillers import remove_fillers
from assistant.minutes.patterns import is_decision, is_question, sentences_of, without_lead

_TERMS = re.compile(r"[一-龥々〆ヵヶ]+|[ァ-ヴー]{2,}|[A-Za-zＡ-Ｚａ-ｚ0-9０-９]{2,}")
_ROUTINE = re.compile(
    r"(?:ありがとうございま|以上で|以上をもって|終わります|終わりました|お願い申し上げま|ご紹介いたします|"
    r"これを許します|ご異議ありませんか|ご異議なしと認めます|ご了承願います|配布いたして|登壇|"
    r"お疲れさまで|動議を提出いたします|これより本日の会議を開きます|よろしくお願いいたします|よろしくお願いします|次に、|申し上げます。$)"
)
_COMMITMENT = re.compile(
    r"(?:てまいります|ていきます|ていく。|取り組んで|推進して|進めて|図って|実施して|検討して)"
)
_ENDINGS = ("。", "？", "?", "！", "!", "」", "）")
MIN_SENTENCE = 6  # shorter sentences (「はい。」) are never key sentences
# The point of a Japanese speech comes at its end (the question 「…を伺います」, the answer's 「…してまいります」):
# the last sentence of a turn weighs (1 + LATE) times its first. Chosen on PoliInfo-1 (see benchmarks/).
LATE = 3.0
MIN_PIECE = 8
SMALL_GROUP = 8  # sentences  # a shortened sentence keeps at least this many characters


def char_count(text: str) -> int:
    """Characters as counted against a limit: the larger of the text as written and its NFKC form."""
    return max(len(text), len(unicodedata.normalize("NFKC", text)))


def terms(text: str) -> list[str]:
    """Content terms: kanji bigrams (single kanji alone), katakana words, Latin/digit words."""
    out: list[str] = []
    for match in _TERMS.finditer(text):
        run = match.group()
        if "一" <= run[0] <= "龥" or run[0] in "々〆ヵヶ":
            out.extend(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
        else:
            out.append(run)
    return out


@dataclass
class Sentence:
    text: str  # as said (fillers removed, leading connective dropped)
    turn: int  # 1-based turn index
    position: int  # order within the whole transcript
    question: bool = False
    decision: bool = False
    score: float = 0.0


def turn_sentences(turn_index: int, text: str, start: int = 0) -> list[Sentence]:
    """The speech sentences of one turn, cleaned of fillers and leading connectives, numbered from `start`."""
    out = []
    for n, raw in enumerate(sentences_of(text)):
        cleaned = without_lead(remove_fillers(raw)).strip(" 　、")
        if char_count(cleaned) < MIN_SENTENCE:
            continue
        out.append(
            Sentence(
                cleaned, turn_index, start + n, question=is_question(cleaned), decision=is_decision(cleaned)
            )
        )
    return out


class Weights:
    """Inverse sentence frequency of terms over a whole transcript (fed sentence by sentence)."""

    def __init__(self) -> None:
        self.df: Counter[str] = Counter()
        self.n = 0

    def add(self, sentences: Iterable[Sentence]) -> None:
        for s in sentences:
            self.df.update(set(terms(s.text)))
            self.n += 1

    def idf(self, term: str) -> float:
        return math.log((self.n + 1) / (self.df.get(term, 0) + 1)) + 0.1


def score(sentences: Sequence[Sentence], weights: Weights, *, prefer_questions: bool = False) -> None:
    """Set each sentence's score: how central its terms are in the group, plus cues (questions, decisions,
    commitments) and minus routine phrases (greetings, procedure)."""
    tf: Counter[str] = Counter()
    bags = [terms(s.text) for s in sentences]
    for bag in bags:
        tf.update(set(bag))
    bounds: dict[int, tuple[int, int]] = {}  # turn → (first, last) sentence position
    for s in sentences:
        low, high = bounds.get(s.turn, (s.position, s.position))
        bounds[s.turn] = (min(low, s.position), max(high, s.position))
    for s, bag in zip(sentences, bags, strict=True):
        unique = set(bag)
        central = sum(math.log1p(tf[t] - 1) * weights.idf(t) for t in unique if tf[t] > 1)
        value = central / math.sqrt(len(unique) + 4)
        if s.question:
            value *= 1.6 if prefer_questions else 1.2
        if s.decision:
            value *= 1.5
        if _COMMITMENT.search(s.text):
            value *= 1.15
        if _ROUTINE.search(s.text):
            value *= 0.3
        if not s.text.endswith(_ENDINGS):  # a list line or heading of a record, not a spoken sentence
            value *= 0.3
        low, high = bounds[s.turn]
        s.score = value * (1 + LATE * (s.position - low) / ((high - low) or 1))


def shorten(text: str, room: int, *, beginnings: bool = True) -> str | None:
    """The longest ending of `text` that starts after a 読点 and fits in `room`, else (when `beginnings`) the
    longest beginning that ends at a 読点 (without it); None when no piece of at least MIN_PIECE characters fits."""
    if char_count(text) <= room:
        return text
    cuts = [m.end() for m in re.finditer(r"[、，,]", text)]
    for cut in cuts:
        piece = text[cut:].strip(" 　")
        if char_count(piece) <= room:
            return piece if char_count(piece) >= MIN_PIECE else None
    for cut in reversed(cuts if beginnings else []):
        piece = text[: cut - 1].strip(" 　")
        if MIN_PIECE <= char_count(piece) <= room:
            return piece
    return None


def select(
    sentences: Sequence[Sentence], limit: int | None, *, default: int = 300, floor: float = 0.25
) -> list[Sentence]:
    """The best sentences whose texts together fit in `limit` (else `default`) characters, in spoken order.
    Sentences scoring under `floor` × the best are not added just to fill the space."""
    room = limit if limit is not None else default
    ranked = sorted(sentences, key=lambda s: (-s.score, s.position))
    if not ranked:
        return []
    best = ranked[0].score
    if len(ranked) <= SMALL_GROUP:  # a short exchange: every sentence that fits is worth keeping
        floor = 0.0
    chosen: list[Sentence] = []
    used = 0
    for s in ranked:
        if chosen and s.score < best * floor:
            break
        left = room - used
        if left < MIN_PIECE:
            break
        # a later choice is shortened only to a clause ending (a beginning would be a fragment), and only
        # under a limit the clerk set
        if char_count(s.text) <= left:
            text: str | None = s.text
        elif chosen and limit is None:  # no limit set: only whole sentences after the first
            text = None
        else:
            text = shorten(s.text, left, beginnings=not chosen)
        if text is None:
            continue
        chosen.append(Sentence(text, s.turn, s.position, s.question, s.decision, s.score))
        used += char_count(text)
    return sorted(chosen, key=lambda s: s.position)


def total_chars(sentences: Iterable[Sentence]) -> int:
    return sum(char_count(s.text) for s in sentences)
