"""A conversation as Markdown, from the same layout as the DOCX (`conversation_layout`).

The 機密性 label of the conversation is the first line (every level, so a pasted copy keeps it); the name is a
level-1 heading, each turn a level-2 heading, 【質問】【回答】【出典】 bold, each source a list item with its
機密性 and 閲覧範囲 nested under it and its quote as a block quote. Text is escaped, so a 「*」 or 「#」 in a
question stays a character.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from assistant.exports.conversation_layout import conversation_layout
from assistant.exports.minutes_markdown import escape
from assistant.exports.reply_layout import Line, classification_label


def _block(line: Line) -> tuple[str, bool]:
    """One line as Markdown, and whether it continues the block above (a source's nested lines)."""
    text = escape(line.text)
    if line.kind == "title":
        return f"# {text}", False
    if line.kind == "heading":
        return f"## {text}", False
    if line.kind == "source" and line.indent == 1:
        return f"- {text}", False
    if line.kind == "source" and line.indent >= 2:
        return f"  - {text}", True
    if line.kind == "quote":
        return f"    > {text}", True
    if line.text.startswith("【") and line.text.endswith("】"):
        return f"**{text}**", False
    return text, False


def render_conversation_markdown(conversation: Mapping[str, Any], tz: tzinfo | None = None) -> str:
    """`conversation` (as GET /conversations/{id} shows it to the reader) as Markdown; times in `tz`."""
    layout = conversation_layout(conversation, tz)
    blocks: list[str] = [f"【{classification_label(layout.level)}】"]
    for line in layout.lines:
        if not line.text:
            continue
        text, continues = _block(line)
        if continues and blocks:
            blocks[-1] += "\n" + text
        elif text.startswith("- ") and blocks and blocks[-1].startswith("- "):
            blocks[-1] += "\n" + text  # one list of sources
        else:
            blocks.append(text)
    return "\n\n".join(blocks) + "\n"
