"""The layout of an official reply (回答文書) as lines, shared by the DOCX and the plain-text export, so both follow
the same rules:

    [案]                                                    [機密性２]   ← header (every page)
                                                           文書番号
                                                           日付
    宛先
                                                           発信者
                              件名（回答）
    (1字下げ) 本文
                                   記
    1　照会事項
      （回答）…[1]
    【根拠】 [1] 標題　箇所（日付・照会元・所管課）「引用」
    【要確認事項】 ・…
                                                           以上
                                                           担当

「案」 marks every draft that is not approved; the 機密性 label is printed when the draft is level 2 or above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.tasks.reply_models import AnswerItem, ReplyDraft, ReplySource

Align = Literal["left", "center", "right"]
Kind = Literal["body", "title", "heading", "item", "answer", "source", "quote", "note", "blank"]

DRAFT_MARK = "案"
CLASSIFICATION_LABEL = "機密性{level}"
KI = "記"
END = "以上"
SOURCES_HEADING = "【根拠】"
OPEN_POINTS_HEADING = "【要確認事項】"
ANSWER_PREFIX = "（回答）"
CHECK_PREFIX = "（要確認）"
CHECK_DEFAULT = "根拠となる資料が見当たらないため、所管課において確認のうえ回答する。"
NO_SOURCES = "引用した資料はない。"
PAST_ANSWER = "過去の回答"
QUOTE_CHARS = 160  # longer quotes are cut with 「…」 (the full text stays in the draft record)

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Contact lines are printed one field a line: split before 電話, FAX, メール … written after a full-width space.
_CONTACT_FIELD = re.compile(
    r"[　\n]+(?=(?:電話|TEL|ＴＥＬ|内線|FAX|ＦＡＸ|ファクス|メール|E-?mail|Ｅメール))", re.I
)


@dataclass(frozen=True)
class Line:
    """One paragraph: its text, alignment, kind (sets the style) and left indent in characters."""

    text: str
    align: Align = "left"
    kind: Kind = "body"
    indent: int = 0


@dataclass(frozen=True)
class ReplyLayout:
    draft_mark: str | None  # 「案」 unless approved
    classification: str | None  # 「機密性２」 when the draft's level is 2 or above
    lines: list[Line]


def classification_label(level: int) -> str:
    """2 → 「機密性２」 (full-width digit, as government documents write it)."""
    return CLASSIFICATION_LABEL.format(level=str(level).translate(_FULL_WIDTH))


def item_label(number: str) -> str:
    """「1」「1.」「１．」 → 「1」; other labels (「(1)」「①」「問1」) as written."""
    cleaned = number.strip().rstrip(".．、")
    return cleaned if cleaned else "1"


def _source_detail(source: ReplySource) -> str:
    parts: list[str] = []
    if source.kind == "past_answer":
        parts.append(PAST_ANSWER)
    if source.date:
        parts.append(_wareki(source.date))
    if source.sender:
        parts.append(f"照会元：{source.sender}")
    if source.section:
        parts.append(f"所管課：{source.section}")
    if source.classification >= 2:
        parts.append(classification_label(source.classification))
    return f"（{'、'.join(parts)}）" if parts else ""


def _location_adds(source: ReplySource) -> bool:
    """A past answer's location that only repeats its 照会元 or section (already in the detail) is left out."""
    location = source.location.strip()
    if not location:
        return False
    return source.kind != "past_answer" or not any(
        v and v in location for v in (source.sender, source.section)
    )


def _wareki(value: str) -> str:
    from core.wareki import to_wareki

    return to_wareki(value)


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return f"「{flat[:QUOTE_CHARS]}…」" if len(flat) > QUOTE_CHARS else f"「{flat}」"


def _item_lines(item: AnswerItem) -> list[Line]:
    lines = [Line(f"{item_label(item.number)}　{item.question.strip()}", kind="item")]
    if item.status == "回答" and item.answer.strip():
        paragraphs = [p.strip() for p in item.answer.strip().split("\n") if p.strip()]
        lines.append(Line(ANSWER_PREFIX + paragraphs[0], kind="answer", indent=1))
        lines += [Line(p, kind="answer", indent=1) for p in paragraphs[1:]]
        if item.note.strip():
            lines.append(Line(CHECK_PREFIX + item.note.strip(), kind="note", indent=1))
    else:
        lines.append(Line(CHECK_PREFIX + (item.note.strip() or CHECK_DEFAULT), kind="note", indent=1))
    return lines


def contact_lines(contact: str) -> list[str]:
    return [part.strip() for part in _CONTACT_FIELD.split(contact.strip()) if part.strip()]


def reply_layout(draft: ReplyDraft, *, approved: bool) -> ReplyLayout:
    """The reply's lines in order, with the marks the header carries."""
    lines: list[Line] = [
        Line(draft.document_number, align="right"),
        Line(draft.date, align="right"),
        Line("", kind="blank"),
        Line(draft.addressee),
        Line("", kind="blank"),
    ]
    lines += [Line(part, align="right") for part in draft.sender.splitlines() if part.strip()]
    lines += [
        Line("", kind="blank"),
        Line(draft.subject, align="center", kind="title"),
        Line("", kind="blank"),
    ]
    lines += [Line("　" + p.strip()) for p in draft.opening.splitlines() if p.strip()]  # 1字下げ
    lines += [Line("", kind="blank"), Line(KI, align="center", kind="heading"), Line("", kind="blank")]
    for item in draft.items:
        lines += _item_lines(item)
    lines += [Line("", kind="blank"), Line(SOURCES_HEADING, kind="heading")]
    if not draft.sources:
        lines.append(Line(NO_SOURCES, kind="source", indent=1))
    for source in sorted(draft.sources, key=lambda s: s.n):
        where = f"　{source.location}" if _location_adds(source) else ""
        lines.append(
            Line(f"[{source.n}] {source.title}{where}{_source_detail(source)}", kind="source", indent=1)
        )
        if source.quote.strip():
            lines.append(Line(_quote(source.quote), kind="quote", indent=2))
    if draft.open_points:
        lines += [Line("", kind="blank"), Line(OPEN_POINTS_HEADING, kind="heading")]
        lines += [Line(f"・{point.strip()}", kind="note", indent=1) for point in draft.open_points]
    lines += [Line("", kind="blank"), Line(END, align="right"), Line("", kind="blank")]
    lines += [Line(part, align="right") for part in contact_lines(draft.contact)]
    return ReplyLayout(
        draft_mark=None if approved else DRAFT_MARK,
        classification=classification_label(draft.classification) if draft.classification >= 2 else None,
        lines=lines,
    )
