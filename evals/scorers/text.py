"""Text preparation shared by the scorers: the answer body, character normalisation, content words, sentences.

An answer's `[n]` markers and the fixed lines our tasks print around it (the extractive lead-in, its notice) are
not part of what it says, so content metrics (containment, character F1, ROUGE) score the *body*: the text with
markers and those lines removed.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.citations import MARKER
from assistant.extractive import EXTRACTIVE_NOTICE, LEAD, LEAD_WEAK
from assistant.tasks.ask import NO_ANSWER
from core.sentences import split_pieces

# Lines our tasks print verbatim that carry no claim of the answer (excluded from coverage and content scores).
FIXED_LINES = frozenset({LEAD, LEAD_WEAK, EXTRACTIVE_NOTICE})

# Phrases that mean "the sources do not answer this", looked for in the first line: the ask task's NO_ANSWER
# (「…見当たりませんでした。」), the extractive path with no sources (NO_SOURCES), and the refusal the ask
# system prompt tells an LLM to write (「提供された資料には、…記載がありません。」).
REFUSAL_PHRASES = ("見当たりません", "見つかりませんでした", "回答となる記載がありません")

_BULLET = re.compile(r"^\s*[・●○◆◇■□\-*]\s*")
_LEADING_MARKERS = re.compile(rf"(?:\s*(?:{MARKER.pattern}))+")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def strip_markers(text: str) -> str:
    return MARKER.sub("", text)


def answer_body(text: str) -> str:
    """The answer without `[n]` markers and without the fixed lead-in / notice lines."""
    lines = [line for line in text.splitlines() if line.strip() not in FIXED_LINES]
    return strip_markers("\n".join(lines)).strip()


def squeeze(text: str) -> str:
    """NFKC with every whitespace character removed (for containment)."""
    return "".join(nfkc(text).split())


def norm_chars(text: str) -> str:
    """NFKC, lower-cased, with whitespace and punctuation (Unicode categories Z*, P*, and C*) removed."""
    return "".join(ch for ch in nfkc(text).lower() if unicodedata.category(ch)[0] not in "ZPC")


def content_words(text: str) -> list[str]:
    """Sudachi content words: the project's retrieval tokenizer (mode C, normalised forms, lower-cased), which
    already drops 助詞, 助動詞, 補助記号 and 空白 — so what remains is nouns, verbs, adjectives, adverbs,
    pronouns, prefixes/suffixes, symbols and the like."""
    from assistant.retrieval.tokenizer import get_tokenizer

    return get_tokenizer().tokenize(text)


def is_refusal(text: str) -> bool:
    """True when the answer says the sources hold nothing on the question (judged on its first line)."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.startswith(NO_ANSWER):
        return True
    first = nfkc(stripped.splitlines()[0])
    return any(phrase in first for phrase in REFUSAL_PHRASES)


def marker_numbers(group: str) -> list[int]:
    return [int(n) for n in re.findall(r"[0-9]+", nfkc(group))]


def sentences(text: str) -> list[tuple[str, list[int]]]:
    """The answer's sentences with the marker numbers each carries, fixed lines left out.

    Each line is split after 。！？ (brackets respected); markers opening a piece (「…です。[1]次の文。」 splits
    into 「…です。」 and 「[1]次の文。」) belong to the sentence before it. Bullets are stripped. The sentence text is returned
    without its markers.
    """
    result: list[tuple[str, list[int]]] = []
    for line in text.splitlines():
        if not line.strip() or line.strip() in FIXED_LINES:
            continue
        merged: list[str] = []
        for piece in split_pieces(line):
            lead = _LEADING_MARKERS.match(piece)
            if merged and lead and lead.end():  # 「…です。[1]次の文」: the markers close the sentence before
                merged[-1] += piece[: lead.end()]
                piece = piece[lead.end() :]
            if piece.strip():
                merged.append(piece)
        for piece in merged:
            body = _BULLET.sub("", strip_markers(piece)).strip()
            numbers = [n for group in MARKER.findall(piece) for n in marker_numbers(group)]
            if body:
                result.append((body, numbers))
    return result
