"""ROUGE-1, ROUGE-2 and ROUGE-L (recall, precision, F1) of the answer body against expected["reference"].

Units. `rouge` (the default) counts Sudachi content words — the project's retrieval tokenizer, which already
drops 助詞, 助動詞, 補助記号 and 空白 and folds 表記ゆれ to normalised forms — because that is how NTCIR
PoliInfo scored its Japanese summaries (content-word ROUGE): particles and auxiliaries are a large, frequent,
meaning-poor share of Japanese text, so counting them lets any fluent output overlap any reference, and
unsegmented characters reward sharing kana and common kanji more than sharing the content. `rouge_char`
counts characters (NFKC, punctuation and whitespace removed): independent of any dictionary, and comparable
with papers that report character ROUGE; keep it as a cross-check.

Hand-written on purpose: `rouge-score` (Google, pure Python, accepts a tokenizer object) would fit, but it is
not installed, it pulls in nltk and absl-py, its last release is from 2022, and it cannot take our token lists
without wrapping the tokenizer anyway; n-gram overlap and one LCS are a few lines. ROUGE-L here is the
whole-text LCS (rouge-score's `rougeL`, not the sentence-union `rougeLsum`), computed with Hyyrö's bit-parallel
LCS so that character ROUGE over long texts stays fast. F is F1 (β = 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from evals.scorers.answers import answerable
from evals.scorers.text import answer_body, content_words, norm_chars
from evals.types import Item, Outcome


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (Hyyrö 2004 bit-vector algorithm, O(len(b)) big-int steps)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def _prf(overlap: int, candidate: int, reference: int) -> tuple[float, float, float]:
    recall = overlap / reference if reference else 0.0
    precision = overlap / candidate if candidate else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return recall, precision, f


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def rouge_scores(candidate: Sequence[str], reference: Sequence[str], prefix: str = "rouge") -> dict[str, float]:
    """{prefix}1_r/_p/_f, {prefix}2_r/_p/_f, {prefix}L_r/_p/_f for two token sequences."""
    scores: dict[str, float] = {}
    for n in (1, 2):
        cand, ref = _ngrams(candidate, n), _ngrams(reference, n)
        overlap = sum((cand & ref).values())
        r, p, f = _prf(overlap, sum(cand.values()), sum(ref.values()))
        scores |= {f"{prefix}{n}_r": r, f"{prefix}{n}_p": p, f"{prefix}{n}_f": f}
    r, p, f = _prf(lcs_length(reference, candidate), len(candidate), len(reference))
    return scores | {f"{prefix}L_r": r, f"{prefix}L_p": p, f"{prefix}L_f": f}


class Rouge:
    """ROUGE against expected["reference"]; None for items without one (or unanswerable ones)."""

    def __init__(self, name: str = "rouge", units: Callable[[str], list[str]] = content_words):
        self.name = name
        self._units = units

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        reference = item.expected.get("reference")
        if not isinstance(reference, str) or not reference.strip() or not answerable(item):
            return dict.fromkeys(rouge_scores([], [], self.name))
        return dict(rouge_scores(self._units(answer_body(outcome.text)), self._units(reference), self.name))


def rouge() -> Rouge:
    return Rouge("rouge", content_words)


def rouge_char() -> Rouge:
    return Rouge("rouge_char", lambda text: list(norm_chars(text)))
