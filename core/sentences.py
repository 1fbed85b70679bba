"""The one Japanese sentence splitter, used by chunking and by the extractive answers.

Hand-written: the maintained segmenters either need a model or know nothing of our bracket conventions, and
this is a single pass over the characters.
"""

from __future__ import annotations

TERMINATORS = "。！？!?"
OPENERS = "「『（(【〔［[〈《"
CLOSERS = "」』）)】〕］]〉》"


def split_pieces(text: str, *, respect_brackets: bool = True) -> list[str]:
    """Split after 。！？!? (a run of them, and closing brackets right after them, stay with the sentence),
    except inside brackets when `respect_brackets`. The pieces concatenate back to `text` exactly."""
    pieces: list[str] = []
    start = depth = i = 0
    while i < len(text):
        ch = text[i]
        i += 1
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS:
            depth = max(depth - 1, 0)
        elif ch in TERMINATORS and (depth == 0 or not respect_brackets):
            while i < len(text) and (text[i] in TERMINATORS or text[i] in CLOSERS):
                i += 1
            pieces.append(text[start:i])
            start = i
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, stripped, empty ones left out."""
    return [s.strip() for s in split_pieces(text) if s.strip()]
