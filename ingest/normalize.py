"""Text normalisation: one form for the search index, a lightly cleaned form for display.

The display text keeps what the author wrote (full-width digits, ①, ㈱); the search form folds
those variants together with NFKC so that a query typed either way finds the text.
"""

from __future__ import annotations

import re
import unicodedata

_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_SPACE_RUNS = re.compile(r"[^\S\n]+")  # any whitespace except the newline
_BLANK_LINE_RUNS = re.compile(r"\n{3,}")
# Every Unicode format character (category Cf, Unicode 15) as one class: a regex is ~50× faster than testing each
# character's category, and chunk texts pass through it at every tokenisation. tests/ingest/test_hidden_text.py
# checks it against `unicodedata`.
_FORMAT_CHARACTERS = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def _is_stripped_control(ch: str) -> bool:
    # Cc: C0/C1 controls (tab and newline are handled before this check);
    # Cf: invisible format characters (zero-width space, BOM, soft hyphen, bidi marks).
    return unicodedata.category(ch) in ("Cc", "Cf")


def strip_invisible(text: str) -> str:
    """`text` without invisible format characters (Unicode category Cf): zero-width spaces and joiners
    (U+200B–U+200D, U+2060), the BOM (U+FEFF), bidirectional marks, embeddings, overrides and isolates
    (U+200E/F, U+202A–U+202E, U+2066–U+2069), soft hyphens and tag characters (U+E0001–U+E007F, which can carry
    hidden ASCII). They can split a word so that masking or search misses it, reorder what a reader sees, or
    hide an instruction; search text and prompt text go without them, the stored original keeps them."""
    return text if text.isascii() else _FORMAT_CHARACTERS.sub("", text)


def normalize_for_search(text: str) -> str:
    """Index form: NFKC, control characters removed, whitespace unified.

    NFKC folds full-width ASCII to half-width (`２０２４`→`2024`), half-width katakana to full-width,
    circled and parenthesised forms to plain ones (`①`→`1`, `㈱`→`(株)`) and the ideographic space
    to a normal space. Tabs and runs of spaces become one space; lines are stripped and blank lines
    dropped, so each remaining newline separates two non-empty lines.
    """
    text = unicodedata.normalize("NFKC", _LINE_BREAKS.sub("\n", text))
    text = "".join(" " if ch == "\t" else ch for ch in text if ch in "\n\t" or not _is_stripped_control(ch))
    lines = (_SPACE_RUNS.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def clean_display(text: str) -> str:
    """Display form: trailing whitespace trimmed per line, runs of blank lines collapsed to one.

    Leading indentation (the full-width space that opens a Japanese paragraph) is kept. Blank lines
    at the start and end of the text are removed.
    """
    lines = [line.rstrip() for line in _LINE_BREAKS.sub("\n", text).split("\n")]
    return _BLANK_LINE_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")
