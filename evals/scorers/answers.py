"""Scorers of the answer text against the item's expectations: containment, character F1, the chosen letter,
length, format and refusals.

An outcome that ended in an error has empty text and scores as a wrong answer (0.0) wherever the metric applies:
leaving errors out of the means would reward a variant for failing on hard items.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from evals.scorers.text import answer_body, is_refusal, nfkc, norm_chars, squeeze, strip_markers
from evals.types import Item, Outcome


def answerable(item: Item) -> bool:
    return bool(item.expected.get("answerable", True))


def expected_answers(item: Item) -> list[str]:
    """The expected answer spans; an evaluator's short `reference` (正解) counts as one when there are none."""
    answers = item.expected.get("answers") or item.expected.get("reference") or []
    if isinstance(answers, str):
        answers = [answers]
    return [a for a in answers if isinstance(a, str) and a.strip()]


class Containment:
    """1.0 when any expected answer (or the reference) occurs in the answer (both NFKC, whitespace removed;
    markers removed from the answer). Applies to answerable items that list answers or a reference."""

    name = "containment"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        answers = expected_answers(item)
        if not answerable(item) or not answers:
            return {"containment": None}
        text = squeeze(answer_body(outcome.text))
        return {"containment": 1.0 if any(squeeze(a) in text for a in answers) else 0.0}


def char_f1(prediction: str, reference: str) -> float:
    """SQuAD-style F1 over characters (multisets), after `norm_chars` (NFKC, punctuation and spaces removed)."""
    pred, ref = Counter(norm_chars(prediction)), Counter(norm_chars(reference))
    common = sum((pred & ref).values())
    if not common:
        return 0.0
    precision, recall = common / sum(pred.values()), common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


class CharF1:
    """Character-level F1 of the answer body against the best-matching expected answer or reference."""

    name = "char_f1"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        targets = expected_answers(item)
        reference = item.expected.get("reference")
        if isinstance(reference, str) and reference.strip():
            targets.append(reference)
        if not answerable(item) or not targets:
            return {"char_f1": None}
        body = answer_body(outcome.text)
        return {"char_f1": max(char_f1(body, t) for t in targets)}


_LETTER = re.compile(r"^\s*[(（\[]?\s*([A-Za-z])(?![A-Za-z])")


def chosen_letter(outcome: Outcome) -> str | None:
    """outcome.output["choice"] (None = undecided), else — when the output has no such field — a lone letter
    opening the text (「B」, 「(b) …」); upper-cased."""
    output = outcome.output or {}
    value: Any = output.get("choice")
    if "choice" not in output:
        match = _LETTER.match(nfkc(outcome.text or ""))
        value = match.group(1) if match else None
    return nfkc(value).strip().strip("()（）[]").upper() if isinstance(value, str) and value.strip() else None


class ExactChoice:
    """1.0 when the chosen letter equals expected["choice"] (NFKC, case-insensitive)."""

    name = "exact_choice"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        expected = item.expected.get("choice")
        if not isinstance(expected, str) or not expected.strip():
            return {"exact_choice": None}
        return {"exact_choice": 1.0 if chosen_letter(outcome) == nfkc(expected).strip().upper() else 0.0}


def char_length(text: str) -> int:
    """Characters of the text with `[n]` markers and all whitespace (line breaks included) removed."""
    return len("".join(strip_markers(nfkc(text)).split()))


class Length:
    """`length_chars` (see `char_length`) and, when expected["max_chars"] is set, `within_max_chars` (1/0)."""

    name = "length"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        length = char_length(outcome.text)
        limit = item.expected.get("max_chars")
        within = None if limit is None else (1.0 if length <= int(limit) else 0.0)
        return {"length_chars": float(length), "within_max_chars": within}


class Format:
    """`format_ok`: the output exists and its text is non-empty; when a choice is expected, a letter was chosen."""

    name = "format"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        ok = outcome.output is not None and outcome.error is None and bool(outcome.text.strip())
        if ok and item.expected.get("choice"):
            ok = chosen_letter(outcome) is not None
        return {"format_ok": 1.0 if ok else 0.0}


class Refusal:
    """Whether the answer says "not found" (see `text.is_refusal`: the ask task's NO_ANSWER, or 「見当たりません」,
    「見つかりませんでした」, 「回答となる記載がありません」 in its first line).

    `refusal`: on unanswerable items (expected answerable False), 1.0 when it refused (the right behaviour).
    `false_refusal`: on answerable items, 1.0 when it refused (the wrong one). An errored outcome did not refuse.
    """

    name = "refusal"

    def score(self, item: Item, outcome: Outcome) -> dict[str, float | None]:
        refused = 1.0 if outcome.error is None and is_refusal(outcome.text) else 0.0
        if answerable(item):
            return {"refusal": None, "false_refusal": refused}
        return {"refusal": refused, "false_refusal": None}
