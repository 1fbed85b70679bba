"""Minutes as a Word document (DOCX) in the official layout of a 議事録, with python-docx.

A4 portrait, 明朝 10.5 pt, the page setting and header of the reply documents (`reply_docx`): 「案」 (large, on
the left) while the minutes are not approved and the 機密性 label (on the right) from level 2, on every page; the
page number centred in the footer. The body follows `minutes_layout`: the title centred, the particulars
(日時・場所・出席者・議題) as a ruled table, numbered sections, points with hanging indents, each followed by its
source turns in a smaller size (「〔発言3, 5〕」), and 以上 at the end.
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING

from assistant.exports.minutes_layout import Line, Table, minutes_layout, turn_refs
from assistant.exports.reply_docx import _header, _set_up_fonts, _set_up_page
from assistant.exports.reply_layout import ReplyLayout
from assistant.exports.xml_safe import xml_safe

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

    from assistant.tasks.minutes_models import Minutes

BODY_PT = 10.5
TITLE_PT = 14.0
REF_PT = 8.0
LABEL_COLUMN_MM = 25
TITLE_DRAFT_PREFIX = "（案）"


def render_minutes_docx(minutes: Minutes, *, approved: bool) -> bytes:
    """The minutes as DOCX bytes; 「案」 on every page unless `approved`."""
    from docx import Document
    from docx.shared import Pt

    layout = minutes_layout(xml_safe(minutes), approved=approved)
    document = Document()
    _set_up_page(document)
    _set_up_fonts(document)
    document.styles["Normal"].font.size = Pt(BODY_PT)
    _header(
        document, ReplyLayout(draft_mark=layout.draft_mark, classification=layout.classification, lines=[])
    )
    _page_number(document)
    for block in layout.blocks:
        if isinstance(block, Table):
            _table(document, block)
        else:
            _paragraph(document, block)
    document.core_properties.title = (TITLE_DRAFT_PREFIX if layout.draft_mark else "") + layout.title
    document.core_properties.language = "ja-JP"
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _page_number(document: DocxDocument) -> None:
    """「- 1 -」 centred in the footer (a PAGE field, so Word and LibreOffice number every page)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("- ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph._p.append(paragraph.add_run(" -")._r)  # after the field


def _table(document: DocxDocument, table: Table) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    section = document.sections[0]
    width = section.page_width - section.left_margin - section.right_margin
    grid = document.add_table(rows=len(table.rows), cols=2)
    grid.style = document.styles["Table Grid"]
    grid.autofit = False
    widths = (Mm(LABEL_COLUMN_MM), width - Mm(LABEL_COLUMN_MM))
    for column, column_width in zip(grid.columns, widths, strict=True):
        column.width = column_width  # the grid LibreOffice lays out by; cells carry it for Word
    for row, (name, values) in zip(grid.rows, table.rows, strict=True):
        label, value = row.cells
        for cell, cell_width in zip(row.cells, widths, strict=True):
            cell.width = cell_width
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        label.paragraphs[0].text = name
        label.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.DISTRIBUTE
        lines = [v for v in values if v] or [""]
        value.paragraphs[0].text = lines[0]
        for extra in lines[1:]:
            value.add_paragraph(extra)


def _paragraph(document: DocxDocument, line: Line) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }
    paragraph = document.add_paragraph()
    paragraph.alignment = alignment[line.align]
    form = paragraph.paragraph_format
    if line.kind in ("point", "speech", "qa") and line.indent:
        # 「・…」「○山田委員　…」「問（…）　…」: wrapped lines hang one character in.
        form.left_indent = Pt(BODY_PT * (line.indent + 1))
        form.first_line_indent = Pt(-BODY_PT)
    elif line.indent:
        form.left_indent = Pt(BODY_PT * line.indent)
    if line.kind == "heading":
        form.space_before = Pt(4)
        form.keep_with_next = True
    elif line.kind == "subheading":
        form.keep_with_next = True
    elif line.kind == "title":
        form.space_after = Pt(8)
    if line.lead:
        lead = paragraph.add_run(line.lead)
        lead.bold = True
        paragraph.add_run("　")
    if line.text:
        run = paragraph.add_run(line.text)
        if line.kind == "title":
            run.bold = True
            run.font.size = Pt(TITLE_PT)
        elif line.kind == "heading":
            run.bold = True
    refs = turn_refs(line.refs)
    if refs:
        paragraph.add_run(refs).font.size = Pt(REF_PT)
