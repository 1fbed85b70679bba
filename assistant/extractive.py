"""The offline generator: answers by quoting the best-matching sentences of the retrieved chunks.

No language model ships on PyPI, so the default backend (`offline/extractive`) does not write prose:
it splits each chunk into sentences (table rows count as one unit each), scores them against the
question, keeps a few, and prints them verbatim with `[n]` after each (n = the chunk's 1-based rank).
It never adds connecting claims of its own; the fixed lead-in and notice say what it is.

Inquiry records (照会・回答, `doc_type == "inquiry"`, text 「件名：…\n照会内容：…\n回答内容：…」) are
read by their structure: what a record answered is what the reader wants, so its 回答内容 sentences
are the quotable units, shown after the label 「（回答）」. Each is scored with the record's 件名 and
照会内容 added to its own words (a record matches by the question it answered), at most
MAX_PER_RECORD of them are taken from one record, and the question itself is quoted (「（照会）」)
only when the chunk holds no answer text (a long record cut across chunks).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.answerability import compound_parts
from assistant.citations import MARKER
from assistant.quote_units import quote_parts
from ingest.loaders.records import ANSWER, QUESTION, SUBJECT
from ingest.normalize import strip_invisible

if TYPE_CHECKING:
    from core.model import Chunk

EXTRACTIVE_LABEL = "抽出モード"
EXTRACTIVE_NOTICE = "抽出モード：生成AIを使わず、資料の文をそのまま抜き出して示しています。"
LEAD = "資料によれば、次のとおりです。"
LEAD_WEAK = "ご質問に直接対応する記述は特定できませんでしたが、関連する資料の記述は次のとおりです。"
NO_SOURCES = "ご質問に関係する資料が見つかりませんでした。"

MAX_CHARS = 300  # total characters of quoted text in one answer
MAX_SENTENCES = 4
MIN_RELATIVE = 0.5  # a further sentence must score at least this share of the best one
RANK_DECAY = 0.15  # score divisor grows by this much per chunk rank: favour the top-ranked chunks
REDUNDANT = 0.6  # term-set overlap (Jaccard) above which a sentence repeats one already taken
MAX_PER_RECORD = 2  # answer sentences quoted from one inquiry record, so that several records show
LIST_CHARS = 600  # budget of an answer that quotes a list or table with the unit introducing it
# Nouns that say nothing of the topic: a further record or list holding only these adds no part of the question
# (「次のものを持参していただいています」 under a question on 代理人 holds 「もの」 and nothing else).
LIGHT_WORDS = frozenset("物 もの 事 こと 場合 為 ため 方 様 よう 等 時 とき 所 ところ".split())
ANSWER_LABEL = "（回答）"
RECORD_LABELS = {SUBJECT: "（件名）", QUESTION: "（照会）", ANSWER: ANSWER_LABEL}

_RECORD_PART = re.compile(rf"^({SUBJECT}|{QUESTION}|{ANSWER})：")


@dataclass
class Unit:
    """One quotable unit of a chunk: a sentence, a list item, or a table row."""

    text: str  # the quote, verbatim from the chunk
    rank: int  # 0-based rank of its chunk
    position: int  # order within the chunk
    label: str = ""  # shown before the quote (「（回答）」 for a record's answer); not part of it
    raw: str = ""  # a table row as written in the chunk (`| … |`); "" = `text` is verbatim
    header: str = ""  # the header and separator lines of the row's table


@dataclass
class Extraction:
    text: str  # the full answer, lead-in and `[n]` markers included
    picks: list[Unit]  # the units quoted, in the order shown

    def quotes(self) -> dict[int, str]:
        """Source number → the chunk's own text of what was quoted from it, for the citation: sentences as they
        are, table rows as Markdown rows under their table's header (so a reader sees them as a table)."""
        lines: dict[int, list[str]] = {}
        headers: dict[int, str] = {}
        for unit in self.picks:
            n = unit.rank + 1
            if unit.raw:
                if headers.get(n) != unit.header:
                    lines.setdefault(n, []).extend(unit.header.splitlines())
                    headers[n] = unit.header
                lines.setdefault(n, []).append(unit.raw)
            else:
                lines.setdefault(n, []).append(unit.text)
                headers.pop(n, None)
        return {n: "\n".join(quoted) for n, quoted in lines.items()}


def _terms(text: str) -> list[str]:
    """Content words (Sudachi, normalised, the retrieval tokenizer). Scoring with them beat character
    bigrams on JSQuAD v1.3 (4,442 questions, BM25 top 5) by two points of answer recall at the same
    length: .880 vs .860 (gold paragraph alone: .909 vs .898)."""
    from assistant.retrieval.tokenizer import get_tokenizer

    return get_tokenizer().tokenize(text)


def _asked(q_terms: set[str], words: set[str]) -> set[str]:
    """The question words that `words` hold; a compound (交付手数料, one word to the tokenizer) also when all its
    parts are there (a fee table saying 交付 and 手数料 apart) — the same rule as answerability's."""
    found = q_terms & words
    return found | {t for t in q_terms - found if (parts := compound_parts(t)) and words.issuperset(parts)}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _idf(units: list[set[str]]) -> Callable[[str], float]:
    n = len(units)
    df: dict[str, int] = {}
    for terms in units:
        for t in terms:
            df[t] = df.get(t, 0) + 1
    return lambda t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5))


@dataclass
class _Candidate:
    unit: Unit
    own: set[str]  # the unit's own content words (redundancy is judged on these)
    context: set[str]  # words it is matched by besides its own: its record's 件名 and 照会内容
    record: bool  # an inquiry record's answer sentence (at most MAX_PER_RECORD per record)
    group: tuple[str, int] | None = None  # the list it belongs to, with the unit introducing it
    row: bool = False  # a table row
    key: set[str] = field(default_factory=set)  # a table row's first-cell words


def record_parts(chunk: Chunk) -> dict[str, str]:
    """The parts of an inquiry-record chunk by field name (件名, 照会内容, 回答内容), labels removed.

    Lines before the first label (a record cut across chunks continues in the next one) go to the
    field whose text holds them, or to "" when none does.
    """
    parts: dict[str, list[str]] = {}
    current: str | None = None
    for line in chunk.text.splitlines():
        label = _RECORD_PART.match(line)
        if label:
            current, line = label.group(1), line[label.end() :]
        elif current is None and line.strip():
            current = next(
                (f for f in (ANSWER, QUESTION, SUBJECT) if line.strip() in chunk.fields.get(f, "")), ""
            )
        if current is not None:
            parts.setdefault(current, []).append(line)
    return {name: "\n".join(lines) for name, lines in parts.items()}


def _candidates(rank: int, chunk: Chunk) -> list[_Candidate]:
    """The quotable units of one chunk with the words each is matched by."""
    parts = record_parts(chunk) if chunk.doc_type == "inquiry" else {}
    if not any(name in parts for name in RECORD_LABELS):  # not laid out as a record: plain prose
        parts = {"": chunk.text}
    # Quoted to the reader without zero-width or bidirectional controls (an override could reorder what is shown).
    parts = {name: strip_invisible(text) for name, text in parts.items()}
    answer = quote_parts(parts.get(ANSWER, ""))
    if answer:
        context = set(_terms("\n".join(parts.get(name, "") for name in (SUBJECT, QUESTION))))
        quoted = [(ANSWER, u) for u in answer]
    else:
        context = set()
        quoted = [(name, u) for name, text in parts.items() for u in quote_parts(text)]
    # A table row is about the heading the table sits under as well (a 「手数料」 section's fee table).
    heading = set(_terms(chunk.section[-1])) if chunk.section and not answer else set()
    out = []
    for position, (name, part) in enumerate(quoted):
        # A marker-like note in the source ("…とされる[2]") would read as a citation: it is left out.
        unit = Unit(
            text=MARKER.sub("", part.text), rank=rank, position=position, label=RECORD_LABELS.get(name, ""),
            raw=part.raw, header=part.header,
        )  # fmt: skip
        group = None if part.group is None else (name, part.group)
        out.append(
            _Candidate(
                unit,
                set(_terms(unit.text)),
                context | heading if part.row else context,
                record=bool(answer),
                group=group,
                row=part.row,
                key=set(_terms(part.key)) if part.key else set(),
            )  # fmt: skip
        )
    return out


def extract(
    question: str,
    chunks: Sequence[Chunk],
    *,
    max_chars: int = MAX_CHARS,
) -> Extraction:
    """Pick the sentences that best answer `question` from `chunks` (given in rank order)."""
    found = [c for rank, chunk in enumerate(chunks) for c in _candidates(rank, chunk)]
    if not found:
        return Extraction(text=NO_SOURCES, picks=[])
    # Document frequencies count each record's 件名・照会内容 once, not once per answer sentence.
    contexts = {c.unit.rank: c.context for c in found if c.context}
    idf = _idf([c.own for c in found] + list(contexts.values()))
    q_terms = set(_terms(question))
    q_weight = sum(idf(t) for t in q_terms) or 1.0
    scores = [
        sum(idf(t) for t in _asked(q_terms, c.own | c.context)) / q_weight / (1 + RANK_DECAY * c.unit.rank)
        for c in found
    ]
    order = sorted(range(len(found)), key=lambda i: (-scores[i], found[i].unit.rank, found[i].unit.position))
    best = scores[order[0]]
    members: dict[tuple[int, tuple[str, int]], list[int]] = {}
    for i, c in enumerate(found):
        if c.group is not None:
            members.setdefault((c.unit.rank, c.group), []).append(i)
    chosen: list[int] = []  # every unit quoted
    picked: list[int] = []  # the units picked on their own score (a list counts once)
    covered: dict[int, set[str]] = {}  # question words the units quoted from each chunk hold
    used = 0
    limit = max_chars
    first_words: set[str] = set()
    for i in order:
        if len(picked) >= MAX_SENTENCES or (picked and scores[i] < best * MIN_RELATIVE):
            break
        if i in chosen:
            continue
        unit = found[i].unit
        if any(_jaccard(found[i].own, found[j].own) > REDUNDANT for j in chosen):
            continue
        if found[i].record and sum(found[j].unit.rank == unit.rank for j in picked) >= MAX_PER_RECORD:
            continue
        group = members.get((unit.rank, found[i].group), []) if found[i].group is not None else []
        group = _asked_rows(group, found, q_terms)
        if len(group) > 1:  # a list or table with what introduces it: quoted whole, in order
            take, size = [], 0
            room = max(limit, LIST_CHARS) - used
            for j in group:
                if j in chosen or size + len(found[j].unit.text) > room:
                    if j in chosen:
                        continue
                    break
                take.append(j)
                size += len(found[j].unit.text)
            if i not in take:
                take = [i] if not picked or used + len(unit.text) <= limit else []
            if take and len(take) > 1:
                limit = max(limit, LIST_CHARS)
        else:
            take = [i]
        if not take:
            continue
        # No padding: a further quote from a chunk already quoted must hold a question word the quotes
        # taken from it do not (another source, or another record, is another answer to the question).
        # Across chunks the same holds for another record's answer or a whole list, unless it is a full answer
        # of its own (it holds every question word the best quote holds): a second record restating the answer
        # is kept, a loosely related one (年休の繰越し under a question on 夏季休暇) is not. A single prose
        # sentence from another chunk is exempt: on JSQuAD (first 1,000 items) applying the rule to it too
        # cost 1.4 points of containment, the answer word being new to the question by nature.
        words = _asked(
            q_terms,
            set().union(*(found[j].own | (found[j].context if found[j].row else set()) for j in take)),
        )
        same = [j for j in picked if found[j].unit.rank == unit.rank]
        if same and not words - covered[unit.rank]:
            continue
        bulky = found[i].record or len(take) > 1
        if (
            picked
            and not same
            and bulky
            and not words - set().union(*covered.values()) - LIGHT_WORDS
            and not words >= first_words
        ):
            continue
        if not picked and take == [i]:
            unit.text = _clip(unit.text, max_chars)
        elif used + sum(len(found[j].unit.text) for j in take) > limit:
            continue
        if not picked:
            first_words = words
        picked.append(i)
        chosen.extend(take)
        covered.setdefault(unit.rank, set()).update(words)
        used += sum(len(found[j].unit.text) for j in take)
    picks = sorted((found[i].unit for i in chosen), key=lambda u: (u.rank, u.position))
    lead = LEAD if best > 0 else LEAD_WEAK
    lines = [lead, *(f"・{u.label}{u.text}[{u.rank + 1}]" for u in picks)]
    return Extraction(text="\n".join(lines), picks=picks)


def _asked_rows(group: list[int], found: list[_Candidate], q_terms: set[str]) -> list[int]:
    """A table narrowed to the rows the question names: when the first cells (what each row is about) of some
    rows hold question words (「人事評価」 in 「人事評価に関する文書の作成に生成AIを使えますか」), the introducing
    units and those rows with the most such words; otherwise the whole table (「受け取りに必要なものは」 asks
    for every row, even if one row's explanation happens to say 受取)."""
    rows = [j for j in group if found[j].row]
    if len(rows) < 2:
        return group
    common = set.intersection(*(found[j].key & q_terms for j in rows))
    named = {j: len((found[j].key & q_terms) - common) for j in rows}
    most = max(named.values())
    if most == 0:
        return group
    return [j for j in group if not found[j].row or named[j] == most]


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
