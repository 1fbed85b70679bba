"""The units that flow through ingestion: loaded documents and the chunks cut from them.

Conventions every loader follows (the chunker relies on them):
- A table is rendered as Markdown rows, one row per line (`| 列1 | 列2 |`); a row is never split.
- `atomic_lines=True` marks text whose every line must stay whole (statute items 号, records).
- `section` is the heading path from the document root to this text, outermost first.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

DocType = Literal["policy", "inquiry"]


@dataclass
class Document:
    """One loaded unit of a source file: a page, a slide, a sheet, a section, an article or a record."""

    text: str
    source: str  # path of the file, relative to the ingest root where possible
    title: str
    doc_type: DocType = "policy"
    page: int | None = None  # PDF page, 1-based
    slide: int | None = None  # PPTX slide, 1-based
    sheet: str | None = None  # XLSX sheet name
    section: list[str] = field(default_factory=list)  # heading path
    article: str | None = None  # statute location, e.g. "第十条第二項"
    date: str | None = None  # ISO date most relevant to this unit (record answer date, notice date)
    dates: list[str] = field(default_factory=list)  # every ISO date found in the text
    fields: dict[str, str] = field(default_factory=dict)  # inquiry-record fields (照会元, 所管課 …)
    classification: int = 1  # 機密性 1, 2 or 3
    groups: list[str] = field(default_factory=list)  # access groups; empty = everyone
    atomic_lines: bool = False


@dataclass
class Chunk:
    """A retrievable piece of a document. `text` is shown to users; `search_text` is indexed."""

    chunk_id: str
    text: str
    search_text: str
    source: str
    title: str
    doc_type: DocType = "policy"
    page: int | None = None
    slide: int | None = None
    sheet: str | None = None
    section: list[str] = field(default_factory=list)
    article: str | None = None
    date: str | None = None
    dates: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    classification: int = 1
    groups: list[str] = field(default_factory=list)
    ordinal: int = 0  # position of the chunk within its source file

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(**data)

    @property
    def location(self) -> str:
        return format_location(self)


def make_chunk_id(source: str, ordinal: int, text: str) -> str:
    """Stable id: the same text at the same place in the same file keeps its id across runs."""
    digest = hashlib.sha256(f"{source}\x00{ordinal}\x00{text}".encode()).hexdigest()
    return digest[:20]


def format_location(c: Chunk | Document) -> str:
    """Human-readable location in Japanese, e.g. `p.3`, `スライド4`, `第十条`, `回答 令和6年5月10日 総務課`."""
    parts: list[str] = []
    if c.doc_type == "inquiry":
        from core.wareki import parse_date, to_wareki

        raw = c.fields.get("回答日") or ""
        iso = parse_date(raw) if raw else c.date
        answered = to_wareki(iso) if iso else raw
        dept = c.fields.get("所管課") or c.fields.get("回答者") or ""
        sender = c.fields.get("照会元") or ""
        if answered:
            parts.append(f"回答 {answered}")
        if dept:
            parts.append(dept)
        if sender:
            parts.append(f"照会元 {sender}")
        return " ".join(parts)
    if c.page is not None:
        parts.append(f"p.{c.page}")
    if c.slide is not None:
        parts.append(f"スライド{c.slide}")
    if c.sheet:
        parts.append(f"シート「{c.sheet}」")
    if c.article:
        parts.append(c.article)
    elif c.section:
        parts.append(" > ".join(c.section))
    return " ".join(parts)
