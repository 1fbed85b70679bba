"""Minutes as Markdown, following the same layout as the DOCX (`minutes_layout`).

The first line carries 「【案】」 while the minutes are not approved and the 機密性 label when they are level 2 or
above; the title is a level-1 heading, the particulars (日時・場所・出席者・議題) a two-column table, sections
level-2 headings and agenda items or speakers level-3 headings. Every point keeps its source turns
(「〔発言3, 5〕」).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.exports.minutes_layout import Line, Table, minutes_layout, turn_refs

if TYPE_CHECKING:
    from assistant.tasks.minutes_models import Minutes

_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def escape(text: str) -> str:
    """Text shown as written: Markdown's markup characters escaped (a speaker's 「*」 or 「|」 stays a character)."""
    return text.translate(_MARKDOWN_SPECIAL)


def _cell(values: list[str]) -> str:
    return "<br>".join(escape(v) for v in values if v) or " "


def _table(table: Table) -> list[str]:
    rows = ["| 項目 | 内容 |", "| --- | --- |"]
    rows += [f"| {name} | {_cell(values)} |" for name, values in table.rows]
    return rows


def _line(line: Line) -> str:
    refs = turn_refs(line.refs)
    text = escape(line.text) + refs
    if line.kind == "title":
        return f"# {text}"
    if line.kind == "heading":
        return f"## {text}"
    if line.kind == "subheading":
        return f"### {text}"
    if line.lead:
        return f"**{escape(line.lead)}**　{text}"
    if line.text.startswith("・"):
        return "- " + escape(line.text[1:]) + refs
    return text


def render_minutes_markdown(minutes: Minutes, *, approved: bool = False) -> str:
    """The minutes as Markdown; 「【案】」 on the first line unless `approved`."""
    layout = minutes_layout(minutes, approved=approved)
    paragraphs: list[str] = []
    marks = [f"【{layout.draft_mark}】" if layout.draft_mark else "", layout.classification or ""]
    if any(marks):
        paragraphs.append("　".join(m for m in marks if m))
    for block in layout.blocks:
        if isinstance(block, Table):
            paragraphs.append("\n".join(_table(block)))
        elif block.kind != "blank":
            paragraphs.append(_line(block))
    out = paragraphs[:1]
    for previous, paragraph in zip(paragraphs, paragraphs[1:], strict=False):
        bullets = previous.startswith("- ") and paragraph.startswith("- ")
        out.append(("\n" if bullets else "\n\n") + paragraph)  # one list, not loose items
    return "".join(out) + "\n"
