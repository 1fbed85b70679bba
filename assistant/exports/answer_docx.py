"""One chat answer as a Word document (DOCX): the question, the answer, its sources with their place,
機密性 and 閲覧範囲, and which model produced it.

It uses the page, fonts, header and paragraph styles of the reply export (`reply_docx`): A4, 明朝, and the
boxed 「機密性２」 label in the page header from level 2 (level 1 is not stamped, as on paper).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

from assistant.exports.reply_docx import _header, _paragraph, _set_up_fonts, _set_up_page
from assistant.exports.reply_layout import Line, ReplyLayout, classification_label
from assistant.exports.xml_safe import xml_safe_data, xml_text

TITLE = "質問と回答"
QUESTION = "【質問】"
ANSWER = "【回答】"
SOURCES = "【出典】"
SOURCE_LINE = "［{n}］{title}　{location}"
SOURCE_LABELS = "{label}　閲覧範囲：{groups}"
EVERYONE = "全職員"
MODEL = "回答の作成：{model}"
EXTRACTIVE = "抽出モード（資料の該当箇所をそのまま抜き出したもの。生成AIによる文章ではありません。）"


def answer_lines(question: str, answer: Mapping[str, Any]) -> list[Line]:
    lines = [Line(TITLE, align="center", kind="title"), Line(""), Line(QUESTION)]
    lines += [Line(text, indent=1) for text in question.splitlines() if text.strip()]
    lines += [Line(""), Line(ANSWER)]
    lines += [Line(text, indent=1) for text in str(answer.get("text") or "").splitlines() if text.strip()]
    citations: Sequence[Mapping[str, Any]] = answer.get("citations") or []
    if citations:
        lines += [Line(""), Line(SOURCES)]
    for citation in citations:
        lines.append(Line(SOURCE_LINE.format(**citation), kind="source", indent=1))
        groups = "、".join(citation.get("groups") or []) or EVERYONE
        label = classification_label(int(citation.get("classification") or 1))
        lines.append(Line(SOURCE_LABELS.format(label=label, groups=groups), kind="source", indent=2))
        lines += [
            Line(text, kind="quote", indent=2)
            for text in str(citation.get("quote") or "").splitlines()
            if text
        ]
    produced = (
        EXTRACTIVE if answer.get("mode") == "extractive" else MODEL.format(model=answer.get("backend") or "")
    )
    lines += [Line(""), Line(produced, kind="source")]
    if answer.get("substitution"):
        lines.append(Line(str(answer["substitution"]), kind="source"))
    return lines


def render_answer_docx(question: str, answer: Mapping[str, Any], level: int | None) -> bytes:
    """DOCX bytes of `answer` (a chat answer as the API returns it: text, citations, backend, mode) to
    `question`; `level` is the answer's 機密性 (the highest among its citations)."""
    from docx import Document

    question, answer = xml_text(question), xml_safe_data(answer)
    layout = ReplyLayout(
        draft_mark=None,
        classification=classification_label(level) if level and level >= 2 else None,
        lines=answer_lines(question, answer),
    )
    document = Document()
    _set_up_page(document)
    _set_up_fonts(document)
    _header(document, layout)
    for line in layout.lines:
        _paragraph(document, line)
    document.core_properties.title = TITLE
    document.core_properties.language = "ja-JP"
    out = BytesIO()
    document.save(out)
    return out.getvalue()
