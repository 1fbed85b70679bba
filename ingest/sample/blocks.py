"""The small content model shared by the sample documents and their writers.

A document body is a list of blocks, each a `(kind, payload)` pair, so that the same content can be rendered to
DOCX or PDF without the content modules knowing either library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# Block kinds: "title" (centred document title), "right" (right-aligned line: number, date, sender),
# "left" (addressee line), "h1" / "h2" (headings), "p" (body paragraph), "table" (rows of cells, first row
# is the header), "break" (page break; PDF only, ignored by DOCX).
Block = tuple[str, str | list[list[str]]]


@dataclass(frozen=True)
class Meta:
    """Document metadata written into the file properties (fixed, so that output is deterministic)."""

    title: str
    author: str
    when: datetime  # Japan time (JST), naive
    subject: str = ""


@dataclass
class Sheet:
    """One worksheet: `rows` are written from A1 down (None is an empty cell), `merges` are ranges like
    "A4:A5", `header_rows` (1-based) are set in bold, `widths` maps column letters to widths."""

    name: str
    rows: list[list[str | int | float | date | None]]
    merges: list[str] = field(default_factory=list)
    header_rows: list[int] = field(default_factory=list)
    widths: dict[str, float] = field(default_factory=dict)


@dataclass
class Slide:
    """One slide: a title, bullet lines (a leading "- " indents one level), an optional table and notes."""

    title: str
    bullets: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)
    notes: str = ""
    subtitle: str = ""  # only for the first (title) slide
