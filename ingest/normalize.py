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


def _is_stripped_control(ch: str) -> bool:
    # Cc: C0/C1 controls (tab and newline are handled before this check);
    # Cf: invisible format characters (zero-width space, BOM, soft hyphen, bidi marks).
    return unicodedata.category(ch) in ("Cc", "Cf")


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
