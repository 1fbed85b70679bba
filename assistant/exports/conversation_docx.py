"""A conversation as a Word document (DOCX): its name, dates and highest 機密性, then every question with its
answer and the answer's sources (title, place, 機密性, 閲覧範囲, quote), laid out by `conversation_layout`.

Page, fonts, header and paragraph styles are those of the reply export (`reply_docx`): A4, 明朝, and the boxed
「機密性２」 label in the page header from level 2 (level 1 is not stamped, as on paper).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from io import BytesIO
from typing import Any

from assistant.exports.conversation_layout import conversation_layout
from assistant.exports.reply_docx import _header, _paragraph, _set_up_fonts, _set_up_page
from assistant.exports.reply_layout import ReplyLayout, classification_label
from assistant.exports.xml_safe import xml_safe_data


def render_conversation_docx(conversation: Mapping[str, Any], tz: tzinfo | None = None) -> bytes:
    """DOCX bytes of `conversation` (as GET /conversations/{id} shows it to the reader); times in `tz`."""
    from docx import Document

    layout = conversation_layout(xml_safe_data(dict(conversation)), tz)
    page = ReplyLayout(
        draft_mark=None,
        classification=classification_label(layout.level) if layout.level >= 2 else None,
        lines=layout.lines,
    )
    document = Document()
    _set_up_page(document)
    _set_up_fonts(document)
    _header(document, page)
    for line in page.lines:
        paragraph = _paragraph(document, line)
        if line.kind == "heading":  # 「第1問」 stands out from the body
            for run in paragraph.runs:
                run.bold = True
    document.core_properties.title = layout.title
    document.core_properties.language = "ja-JP"
    out = BytesIO()
    document.save(out)
    return out.getvalue()
