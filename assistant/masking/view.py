"""A detection view of a text: what the detectors read, with every character mapped back to the original.

Text sent to a model may hide an identifier behind zero-width spaces, bidirectional controls, full-width
or compatibility forms (`０９０`, `＠`, `㈱`) or kanji digits. The detectors read a normalised copy and
report spans in it; `View.original_span` turns such a span into the span of the original text, so the
masker replaces exactly the characters the user wrote (hidden ones included).

Hand-written because `unicodedata.normalize` has no offset mapping: normalising one character at a time
keeps the mapping (NFKC composes across characters only for combining marks, e.g. half-width ﾀﾞ).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Format characters that render as nothing: soft hyphen, Mongolian vowel separator, zero-width space /
# (non-)joiner, LRM/RLM, bidi embeddings and overrides, word joiner and invisible operators, bidi isolates,
# the byte-order mark.
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

# Applied after NFKC, one character for one, for the identifier detectors only (names keep their `ー`).
_DIGIT_FOLD = str.maketrans(
    {
        **dict(zip("〇一二三四五六七八九", "0123456789", strict=True)),
        **dict.fromkeys("‐‑‒–—―−ーｰ", "-"),
        "・": ".",
    }
)


@dataclass(frozen=True)
class View:
    text: str  # NFKC, invisible characters removed
    digits: str  # `text` with dashes, kanji digits and 中黒 folded for the identifier patterns
    origin: tuple[int, ...]  # origin[i]: index in the original of view character i; one extra: len(original)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind view characters start..end (hidden characters inside included)."""
        return self.origin[start], self.origin[end - 1] + 1


@lru_cache(maxsize=1 << 16)
def _normal(char: str) -> str:
    return "" if INVISIBLE.match(char) else unicodedata.normalize("NFKC", char)


def detection_view(original: str) -> View:
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(original):
        normal = char if char.isascii() else _normal(char)
        chars.append(normal)
        if len(normal) == 1:
            origin.append(i)
        else:
            origin.extend([i] * len(normal))
    origin.append(len(original))
    text = "".join(chars)
    return View(text=text, digits=text.translate(_DIGIT_FOLD), origin=tuple(origin))
