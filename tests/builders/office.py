"""Writers for Office and PDF fixtures: DOCX, XLSX, PPTX (python-docx, openpyxl, python-pptx) and PDF
(reportlab, with the built-in Japanese CID font so pypdf can extract the text back)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A DOCX block: a paragraph (str) or a table (rows of cell values).
Block = str | Sequence[Sequence[Any]]


@dataclass
class DocxSection:
    heading: str
    blocks: Sequence[Block] = ()
    level: int = 1


def write_docx(
    path: Path,
    title: str,
    sections: Sequence[DocxSection],
    heading_style: str = "Heading {level}",
    intro: Sequence[str] = (),
) -> Path:
    """A .docx with a Title paragraph, optional intro paragraphs, then headed sections.

    `heading_style` names the heading styles; "見出し {level}" creates Japanese-named styles.
    Table cells written as None are merged into the cell to their left.
    """
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    document.core_properties.title = ""
    document.add_paragraph(title, style="Title")
    for text in intro:
        document.add_paragraph(text)
    for section in sections:
        style = heading_style.format(level=section.level)
        if style not in [s.name for s in document.styles]:
            document.styles.add_style(style, WD_STYLE_TYPE.PARAGRAPH)
        document.add_paragraph(section.heading, style=style)
        for block in section.blocks:
            if isinstance(block, str):
                document.add_paragraph(block)
            else:
                _docx_table(document, block)
    document.save(str(path))
    return path


def _docx_table(document: Any, rows: Sequence[Sequence[Any]]) -> None:
    table = document.add_table(rows=len(rows), cols=max(len(row) for row in rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None and c > 0:
                table.cell(r, c - 1).merge(table.cell(r, c))
            else:
                table.cell(r, c).text = "" if value is None else str(value)


def write_xlsx(
    path: Path,
    sheets: Mapping[str, Sequence[Sequence[Any]]],
    merged: Mapping[str, Sequence[str]] | None = None,
    title: str | None = None,
) -> Path:
    """A workbook with one sheet per entry; `merged` lists ranges like "B1:C1" per sheet name."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=r, column=c, value=value)
        for cells in (merged or {}).get(name, ()):
            sheet.merge_cells(cells)
    if title:
        workbook.properties.title = title
    workbook.save(path)
    return path


@dataclass
class Slide:
    title: str = ""
    bullets: Sequence[str] = ()
    table: Sequence[Sequence[Any]] = ()
    notes: str = ""
    merge: Sequence[tuple[int, int, int, int]] = field(default_factory=tuple)  # table cells to merge


def write_pptx(path: Path, slides: Sequence[Slide]) -> Path:
    """A presentation with a title, a bullet text box, an optional table and notes per slide."""
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    layout = presentation.slide_layouts[5]  # "Title Only"
    for spec in slides:
        slide = presentation.slides.add_slide(layout)
        if spec.title:
            slide.shapes.title.text = spec.title
        else:
            slide.shapes.title._element.getparent().remove(slide.shapes.title._element)
        if spec.bullets:
            box = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(8), Inches(2))
            box.text_frame.text = spec.bullets[0]
            for bullet in spec.bullets[1:]:
                box.text_frame.add_paragraph().text = bullet
        if spec.table:
            rows, cols = len(spec.table), max(len(row) for row in spec.table)
            shape = slide.shapes.add_table(rows, cols, Inches(1), Inches(4.5), Inches(8), Inches(2))
            for r, row in enumerate(spec.table):
                for c, value in enumerate(row):
                    if value is not None:
                        shape.table.cell(r, c).text = str(value)
            for r0, c0, r1, c1 in spec.merge:
                shape.table.cell(r0, c0).merge(shape.table.cell(r1, c1))
        if spec.notes:
            slide.notes_slide.notes_text_frame.text = spec.notes
    presentation.save(str(path))
    return path


def write_pdf(
    path: Path,
    pages: Sequence[str],
    title: str | None = None,
    user_password: str | None = None,
    owner_password: str = "owner",
) -> Path:
    """A PDF with one page per string (lines split on newlines; "" gives a page without text).

    With `user_password` the file is encrypted (RC4-128); "" encrypts it with an empty user password,
    which readers open without asking.
    """
    from reportlab.lib import pdfencrypt
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "HeiseiMin-W3"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    encrypt = None
    if user_password is not None:
        encrypt = pdfencrypt.StandardEncryption(user_password, ownerPassword=owner_password, strength=128)
    pdf = canvas.Canvas(str(path), encrypt=encrypt)
    if title:
        pdf.setTitle(title)
    for text in pages:
        if text:
            pdf.setFont(font, 11)
            for number, line in enumerate(text.splitlines()):
                pdf.drawString(60, 780 - 16 * number, line)
        else:
            pdf.rect(100, 600, 200, 100)  # a drawing, no text: what a scan without OCR looks like
        pdf.showPage()
    pdf.save()
    return path


def encrypt_pdf(
    path: Path, user_password: str, owner_password: str = "owner", algorithm: str = "AES-256"
) -> Path:
    """Re-write a PDF encrypted with pypdf (AES needs the `cryptography` package)."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(path))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm=algorithm)
    writer.write(str(path))
    return path


def truncate(path: Path, fraction: float = 0.5) -> Path:
    """Cut a file to the given fraction of its bytes, as an interrupted copy or download leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path
