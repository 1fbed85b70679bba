"""Writers for the Office formats (DOCX, XLSX, PPTX) with fixed metadata and fixed zip timestamps."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

from ingest.sample.blocks import Block, Meta, Sheet, Slide

_EAST_ASIAN_FONT = "ＭＳ 明朝"
_JST = timedelta(hours=9)  # Meta.when is Japan time; OOXML core properties are stored in UTC


def _pinned_zip(data: bytes, when: datetime) -> bytes:
    """Rewrite an OOXML package with every member stamped `when`.

    python-docx, python-pptx and openpyxl stamp zip members with the current time and have no option to
    fix it; re-zipping with the standard library is the smallest way to get the same bytes on every run.
    """
    out = io.BytesIO()
    stamp = when.timetuple()[:6]
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def _set_core_properties(props, meta: Meta) -> None:
    props.title = meta.title
    props.author = meta.author
    props.last_modified_by = meta.author
    props.subject = meta.subject
    props.created = props.modified = meta.when - _JST
    props.revision = 1


def write_docx(path: Path, meta: Meta, blocks: list[Block]) -> Path:
    """Write blocks as a Word document: headings use the built-in "Heading 1/2" styles, tables "Table Grid"."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    doc = Document()
    normal = doc.styles["Normal"]
    # python-docx has no API for the East Asian font; set it on the style's run properties directly.
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _EAST_ASIAN_FONT)
    for kind, payload in blocks:
        if kind == "table":
            rows = payload
            table = doc.add_table(rows=len(rows), cols=len(rows[0]), style="Table Grid")
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
                    if r == 0:
                        for run in table.cell(r, c).paragraphs[0].runs:
                            run.bold = True
        elif kind == "title":
            doc.add_paragraph(payload, style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "h1":
            doc.add_heading(payload, level=1)
        elif kind == "h2":
            doc.add_heading(payload, level=2)
        elif kind == "right":
            doc.add_paragraph(payload).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif kind in ("p", "left"):
            doc.add_paragraph(payload)
    _set_core_properties(doc.core_properties, meta)
    buffer = io.BytesIO()
    doc.save(buffer)
    path.write_bytes(_pinned_zip(buffer.getvalue(), meta.when))
    return path


def write_xlsx(path: Path, meta: Meta, sheets: list[Sheet]) -> Path:
    """Write worksheets with merged cells and bold header rows; ints show as `#,##0`, floats as percentages
    (`0.0%`), dates as `yyyy/m/d`."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    wb.remove(wb.active)
    for spec in sheets:
        ws = wb.create_sheet(spec.name)
        for row in spec.rows:
            ws.append(row)
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "0.0%"
                elif isinstance(cell.value, int):
                    cell.number_format = "#,##0"
                elif isinstance(cell.value, (date, datetime)):
                    cell.number_format = "yyyy/m/d"
                cell.alignment = Alignment(vertical="top", wrap_text=isinstance(cell.value, str))
        for index in spec.header_rows:
            for cell in ws[index]:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(horizontal="center", vertical="center")
        for cell_range in spec.merges:
            ws.merge_cells(cell_range)
        for letter, width in spec.widths.items():
            ws.column_dimensions[letter].width = width
    props = wb.properties
    props.title, props.creator, props.lastModifiedBy = meta.title, meta.author, meta.author
    props.created = props.modified = meta.when - _JST
    buffer = io.BytesIO()
    # ExcelWriter directly, because openpyxl's save() overwrites `modified` with the current time.
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    path.write_bytes(_pinned_zip(buffer.getvalue(), meta.when))
    return path


def write_pptx(path: Path, meta: Meta, slides: list[Slide]) -> Path:
    """Write a deck: the first slide uses the title layout, the others "Title and Content" (or "Title Only"
    with a table); every slide's `notes` become its speaker notes."""
    from pptx import Presentation
    from pptx.util import Emu, Pt

    prs = Presentation()
    title_layout, content_layout, title_only_layout = (prs.slide_layouts[i] for i in (0, 1, 5))
    for index, spec in enumerate(slides):
        if index == 0:
            slide = prs.slides.add_slide(title_layout)
            slide.placeholders[1].text = spec.subtitle
        elif spec.table:
            slide = prs.slides.add_slide(title_only_layout)
            rows, cols = len(spec.table), len(spec.table[0])
            left, top = Emu(prs.slide_width // 20), Emu(prs.slide_height // 4)
            width, height = Emu(prs.slide_width * 9 // 10), Emu(prs.slide_height // 2)
            table = slide.shapes.add_table(rows, cols, left, top, width, height).table
            for r, row in enumerate(spec.table):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
                    for paragraph in table.cell(r, c).text_frame.paragraphs:
                        for run in paragraph.runs:
                            run.font.size = Pt(14)
        else:
            slide = prs.slides.add_slide(content_layout)
            frame = slide.placeholders[1].text_frame
            for n, line in enumerate(spec.bullets):
                paragraph = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
                paragraph.level = 1 if line.startswith("- ") else 0
                paragraph.text = line.removeprefix("- ")
                paragraph.font.size = Pt(16 if paragraph.level else 20)
        slide.shapes.title.text = spec.title
        if spec.notes:
            slide.notes_slide.notes_text_frame.text = spec.notes
    _set_core_properties(prs.core_properties, meta)
    buffer = io.BytesIO()
    prs.save(buffer)
    path.write_bytes(_pinned_zip(buffer.getvalue(), meta.when))
    return path
