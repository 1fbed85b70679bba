"""A reply draft as a Word document (DOCX) in the official layout of a 回答文書, with python-docx.

A4 portrait, 明朝 11 pt. The page header carries 「案」 (large, on the left) while the draft is not approved and
the 機密性 label (on the right) when the draft is level 2 or above, so both show on every page. The body
follows `reply_layout`: 文書番号 and 日付 right, 宛先, 発信者 right, 件名 centred, 本文, 「記」 centred, numbered
answers, 根拠, 要確認事項, 以上, 担当 bottom right.
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING

from assistant.exports.reply_layout import Line, ReplyLayout, reply_layout
from assistant.exports.xml_safe import xml_safe

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph

    from assistant.tasks.reply_models import ReplyDraft

FONT = "ＭＳ 明朝"  # Word on the clerks' PCs; LibreOffice substitutes a Japanese serif font (digits too)
BODY_PT = 11.0
SIZES = {"title": 12.0, "source": 10.0, "quote": 9.0}
MARK_PT = 20.0  # 「案」
LABEL_PT = 12.0  # 「機密性２」
MARGINS_MM = {"top": 30, "bottom": 25, "left": 25, "right": 25}
TITLE_DRAFT_PREFIX = "（案）"
_AFTER_AUTOSPACE = (
    "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def render_reply_docx(draft: ReplyDraft, *, approved: bool) -> bytes:
    """The draft as DOCX bytes; 「案」 on every page unless `approved`."""
    from docx import Document

    layout = reply_layout(xml_safe(draft), approved=approved)
    document = Document()
    _set_up_page(document)
    _set_up_fonts(document)
    _header(document, layout)
    for line in layout.lines:
        _paragraph(document, line)
    document.core_properties.title = (TITLE_DRAFT_PREFIX if layout.draft_mark else "") + draft.subject
    document.core_properties.language = "ja-JP"
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _set_up_page(document: DocxDocument) -> None:
    from docx.shared import Mm

    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.header_distance = Mm(12)


def _set_up_fonts(document: DocxDocument) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    r_pr = normal.element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:eastAsia"), "ja-JP")
    r_pr.append(lang)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.15
    # No automatic space between Japanese and Latin letters or digits: 「令和7年」, not 「令和 7 年」.
    p_pr = normal.element.get_or_add_pPr()
    for name in ("w:autoSpaceDE", "w:autoSpaceDN"):
        element = OxmlElement(name)
        element.set(qn("w:val"), "0")
        # Schema order (Word refuses elements out of place): before bidi … spacing, ind, jc.
        p_pr.insert_element_before(element, *_AFTER_AUTOSPACE)


def _header(document: DocxDocument, layout: ReplyLayout) -> None:
    """「案」 on the left and the 機密性 label on the right of one header line (a right tab stop)."""
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Pt

    section = document.sections[0]
    header_style = document.styles["Header"]
    header_style.paragraph_format.tab_stops.clear_all()  # the template's stops are set for US Letter
    paragraph = section.header.paragraphs[0]
    width = section.page_width - section.left_margin - section.right_margin
    paragraph.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
    if layout.draft_mark:
        mark = paragraph.add_run(layout.draft_mark)
        mark.bold = True
        mark.font.size = Pt(MARK_PT)
        _boxed(mark)
    if layout.classification:
        paragraph.add_run("\t")
        label = paragraph.add_run(layout.classification)
        label.bold = True
        label.font.size = Pt(LABEL_PT)
        _boxed(label)


def _boxed(run: object) -> None:
    """A single-line border around the run (how 「案」 and 機密性 labels are stamped on paper)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    border = OxmlElement("w:bdr")
    for name, value in (("w:val", "single"), ("w:sz", "8"), ("w:space", "1"), ("w:color", "auto")):
        border.set(qn(name), value)
    run._r.get_or_add_rPr().append(border)  # type: ignore[attr-defined]


def _paragraph(document: DocxDocument, line: Line) -> Paragraph:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }
    paragraph = document.add_paragraph()
    paragraph.alignment = alignment[line.align]
    size = SIZES.get(line.kind, BODY_PT)
    if line.kind == "item":  # 「1　…」: wrapped lines hang under the text, after the number
        paragraph.paragraph_format.left_indent = Pt(BODY_PT * (line.indent + 1))
        paragraph.paragraph_format.first_line_indent = Pt(-BODY_PT)
    elif line.indent:
        paragraph.paragraph_format.left_indent = Pt(BODY_PT * line.indent)
    if line.text:
        run = paragraph.add_run(line.text)
        if size != BODY_PT:
            run.font.size = Pt(size)
        if line.kind == "title":
            run.bold = True
    return paragraph
