"""Citation markers in answers: `[n]` / `［n］` (also `[1, 2]`) → the chunks they point to.

Numbering is the order in which sources were shown to the model (1-based) and is kept as is; only
the sources actually cited are listed. Markers pointing to no source are removed and logged.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ingest.normalize import strip_invisible

if TYPE_CHECKING:
    from core.model import Chunk

log = logging.getLogger(__name__)

# One bracket group holding one or more numbers, ASCII or full-width, separated by , ， 、 or spaces.
MARKER = re.compile(r"[\[［]\s*([0-9０-９]+(?:\s*[,，、]?\s*[0-9０-９]+)*)\s*[\]］]")
_NUMBER = re.compile(r"[0-9０-９]+")
_BULLET = re.compile(r"^\s*[・\-*]\s*")
# the extractive answer labels a quoted inquiry-record part (（回答） …); the label is not part of the quote
_RECORD_LABEL = re.compile(r"^（(?:回答|照会|件名)）")


class Citation(BaseModel):
    """One cited source."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(description="Marker number used in the answer (1-based position among the sources).")
    chunk_id: str = Field(description="Id of the cited chunk.")
    title: str = Field(description="Title of the source document.")
    source: str = Field(description="Path of the source file.")
    location: str = Field(description="Place in the document in Japanese (page, article, section …).")
    quote: str = Field(
        description="The cited text: the chunk, or in extractive mode the exact sentences quoted from it."
    )


def _numbers(group: str) -> list[int]:
    return [int(unicodedata.normalize("NFKC", m)) for m in _NUMBER.findall(group)]


def resolve(
    answer: str,
    chunks: Sequence[Chunk],
    *,
    extractive: bool = False,
    quotes: Mapping[int, str] | None = None,
) -> tuple[str, list[Citation]]:
    """Normalise the markers in `answer` and list the cited chunks.

    Returns the answer with every valid marker written as `[n]` (a group `[1, 2]` becomes `[1][2]`)
    and invalid numbers removed, and the citations ordered by n. With `extractive=True` the quote
    is the answer's own sentences for that source when they are verbatim from the chunk; `quotes` (source
    number → text, from `Extraction.quotes()`) gives the quoted text directly, table rows as written.
    """
    bad: list[int] = []
    cited: list[int] = []

    def replace(match: re.Match[str]) -> str:
        kept = []
        for n in _numbers(match.group(1)):
            if 1 <= n <= len(chunks):
                kept.append(n)
                if n not in cited:
                    cited.append(n)
            else:
                bad.append(n)
        return "".join(f"[{n}]" for n in dict.fromkeys(kept))

    text = MARKER.sub(replace, answer)
    if bad:
        log.warning("removed citation markers pointing to no source: %s (sources: %d)", bad, len(chunks))
    taken = _quoted_sentences(text) if extractive and quotes is None else {}
    citations = []
    for n in sorted(cited):
        chunk = chunks[n - 1]
        # the extractive answer leaves the source's own markers and invisible format characters out
        plain = strip_invisible(MARKER.sub("", chunk.text))
        verbatim = [quotes[n]] if quotes and quotes.get(n) else [q for q in taken.get(n, []) if q in plain]
        citations.append(
            Citation(
                n=n,
                chunk_id=chunk.chunk_id,
                title=chunk.title,
                source=chunk.source,
                location=chunk.location,
                quote="\n".join(verbatim) if verbatim else strip_invisible(chunk.text),
            )
        )
    return text, citations


def _quoted_sentences(text: str) -> dict[int, list[str]]:
    """For each source number, the bullet lines of an extractive answer that end with its marker."""
    quotes: dict[int, list[str]] = {}
    for line in text.splitlines():
        parts = MARKER.split(line)
        # split() alternates text and captured number groups: text, group, text, group, …
        for body, group in zip(parts[0::2], parts[1::2], strict=False):
            sentence = _RECORD_LABEL.sub("", _BULLET.sub("", body).strip())
            if sentence:
                for n in _numbers(group):
                    quotes.setdefault(n, []).append(sentence)
    return quotes
