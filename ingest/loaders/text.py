"""Markdown and plain-text loaders (encoding detected by ingest/encoding.py).

Markdown: ATX headings (`#` … `######`) build the section path; tables stay as their Markdown rows.
Markdown laid out as law (### 第5条) and plain text laid out as a statute go to statute.py.
Plain text: the whole file is one Document, titled by its first line (or the file name).
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.encoding import read_text
from ingest.loaders import statute
from ingest.loaders.sections import SectionCollector
from ingest.model import Document

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)(?:\s+#+)?\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_MAX_TITLE = 80


def load_markdown(path: Path, source: str) -> list[Document]:
    text = read_text(path)
    stem = Path(source).stem
    if statute.looks_like_markdown_law(text):
        return statute.parse_markdown_law(text, source, stem)
    return parse_markdown(text, source)


def load_plain(path: Path, source: str) -> list[Document]:
    text = read_text(path)
    stem = Path(source).stem
    if statute.looks_like_statute(text):
        return statute.parse_statute(text, source, stem)
    body = "\n".join(line.rstrip() for line in text.splitlines()).strip()
    if not body:
        return []
    first = body.splitlines()[0].strip()
    title = first if len(first) <= _MAX_TITLE else stem
    return [Document(text=body, source=source, title=title)]


def parse_markdown(text: str, source: str) -> list[Document]:
    sections = SectionCollector(source)
    title = ""
    fenced = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            level, name = len(heading.group(1)), heading.group(2).strip()
            if level == 1 and not title:
                title = name
            sections.heading(level, name)
        elif line.strip():
            sections.add(line)
        else:
            sections.paragraph_break()
    return sections.documents(title or sections.first_heading or Path(source).stem)
