"""PDF writer for the sample corpus (reportlab with its built-in Japanese CID fonts, so no font file is needed)."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from ingest.sample.blocks import Block, Meta

BODY_FONT = "HeiseiMin-W3"  # built-in Mincho CID font
HEADING_FONT = "HeiseiKakuGo-W5"  # built-in Gothic CID font


def _styles() -> dict:
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle(
        "body",
        fontName=BODY_FONT,
        fontSize=10.5,
        leading=18,
        wordWrap="CJK",
        firstLineIndent=10.5,
        spaceAfter=4,
    )
    return {
        "p": body,
        "left": ParagraphStyle("left", parent=body, firstLineIndent=0),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT, firstLineIndent=0),
        "title": ParagraphStyle(
            "title",
            fontName=HEADING_FONT,
            fontSize=17,
            leading=28,
            alignment=TA_CENTER,
            spaceBefore=60,
            spaceAfter=24,
            wordWrap="CJK",
        ),
        "h1": ParagraphStyle(
            "h1",
            fontName=HEADING_FONT,
            fontSize=14,
            leading=22,
            spaceBefore=14,
            spaceAfter=8,
            wordWrap="CJK",
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            fontName=HEADING_FONT,
            fontSize=11.5,
            leading=19,
            spaceBefore=8,
            spaceAfter=4,
            wordWrap="CJK",
            keepWithNext=1,
        ),
        "cell": ParagraphStyle("cell", fontName=BODY_FONT, fontSize=9.5, leading=14, wordWrap="CJK"),
    }


def _page_decorator(meta: Meta):
    """Draw the page number, and stamp the document's own date (in JST) instead of invariant's 2000-01-01."""
    stamp = meta.when.strftime("D:%Y%m%d%H%M%S+09'00'")

    def decorate(canvas, doc) -> None:
        canvas.setDateFormatter(lambda *_: stamp)
        canvas.saveState()
        canvas.setFont(BODY_FONT, 9)
        canvas.drawCentredString(doc.pagesize[0] / 2, 28, f"- {doc.page} -")
        canvas.restoreState()

    return decorate


def write_pdf(path: Path, meta: Meta, blocks: list[Block]) -> Path:
    """Write blocks as an A4 PDF with page numbers; `invariant` fixes the dates and ids inside the file."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    for name in (BODY_FONT, HEADING_FONT):
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    styles = _styles()
    story = []
    for kind, payload in blocks:
        if kind == "break":
            story.append(PageBreak())
        elif kind == "table":
            rows = [[Paragraph(escape(cell), styles["cell"]) for cell in row] for row in payload]
            table = Table(rows, repeatRows=1, hAlign="CENTER", spaceBefore=4, spaceAfter=10)
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(table)
        else:
            markup = "<br/>".join(escape(line) for line in payload.split("\n"))
            story.append(Paragraph(markup, styles[kind]))
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=25 * mm,
        title=meta.title,
        author=meta.author,
        subject=meta.subject,
        creator=meta.author,
        invariant=1,
    )
    decorate = _page_decorator(meta)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return path
