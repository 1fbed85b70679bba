"""A reply draft as plain text, following the same layout as the DOCX (`reply_layout`).

The first line carries 「【案】」 while the draft is not approved and the 機密性 label (right) when it is level 2 or
above. Right-aligned and centred lines are padded with full-width spaces to a line of `WIDTH` full-width
characters (East Asian width), so the text looks like the document in a fixed-width editor.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from assistant.exports.reply_layout import Line, reply_layout

if TYPE_CHECKING:
    from assistant.tasks.reply_models import ReplyDraft

WIDTH = 40  # full-width characters per line (an A4 page of 40 字 × 30 行)


def display_width(text: str) -> int:
    """Width in half-width cells: full-width and wide characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, cells: int) -> str:
    """Full-width spaces (2 cells each) and, for an odd remainder, one ASCII space."""
    cells = max(cells, 0)
    return "　" * (cells // 2) + " " * (cells % 2)


def _aligned(line: Line) -> str:
    free = WIDTH * 2 - display_width(line.text)
    if line.align == "right":
        return _pad(line.text, free) + line.text
    if line.align == "center":
        return _pad(line.text, free // 2) + line.text
    return "　" * line.indent + line.text


def render_reply_text(draft: ReplyDraft, *, approved: bool) -> str:
    """The draft as text; 「【案】」 on the first line unless `approved`."""
    layout = reply_layout(draft, approved=approved)
    head: list[str] = []
    mark = f"【{layout.draft_mark}】" if layout.draft_mark else ""
    if mark or layout.classification:
        label = layout.classification or ""
        gap = WIDTH * 2 - display_width(mark) - display_width(label)
        head.append(mark + (_pad(label, gap) + label if label else ""))
        head.append("")
    return "\n".join(head + [_aligned(line) for line in layout.lines]).rstrip() + "\n"
