"""DOCX loader: headings build the section path; one Document per section, tables as Markdown rows. Hidden,
white-on-white and vanishingly small runs are not read (`docx_hidden`)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from core.errors import CorruptFile
from core.model import Document
from ingest.loaders.docx_hidden import DocxVisibility, cell_background
from ingest.loaders.sections import SectionCollector
from ingest.tables import build_table

# Word's built-in heading styles ("Heading 1"), and the names Japanese templates give them ("見出し 1").
_HEADING = re.compile(r"^(?:heading|見出し)\s*(\d+)$")
_TITLE_STYLES = {"title", "表題"}


def load(path: Path, source: str) -> list[Document]:
    import docx

    try:
        documents = _read(docx.Document(str(path)), source)
    except Exception as exc:  # python-docx/zipfile/lxml raise many types on damaged input
        raise CorruptFile(
            f"{source} could not be read as a Word (.docx) file; it may be damaged, truncated or "
            f"password-protected ({type(exc).__name__}). Open it in Word, save it again without a "
            "password and re-ingest it."
        ) from exc
    if not documents:
        raise CorruptFile(f"{source} contains no text. Check that it is the right file and ingest it again.")
    return documents


def _read(document: Any, source: str) -> list[Document]:
    from docx.table import Table as DocxTable

    visible = DocxVisibility(document)
    sections = SectionCollector(source)
    style_title = ""
    style_names: dict[str | None, str] = {}
    for block in document.iter_inner_content():
        if isinstance(block, DocxTable):
            table = build_table([[_cell_text(cell, visible) for cell in row.cells] for row in block.rows])
            if table is not None:
                sections.add(table.markdown()[0])
            continue
        text = " ".join(visible.paragraph_text(block).split())
        if not text:
            continue
        style_id = block._p.style  # python-docx looks a style up anew for each paragraph: slow on many of them
        if style_id not in style_names:
            style_names[style_id] = unicodedata.normalize(
                "NFKC", block.style.name if block.style is not None else ""
            ).lower()
        style = style_names[style_id]
        heading = _HEADING.match(style)
        if heading:
            sections.heading(int(heading.group(1)), text)
        elif style in _TITLE_STYLES and not style_title:
            style_title = text
        else:
            sections.add(text)
    core_title = " ".join((document.core_properties.title or "").split())
    return sections.documents(core_title or style_title or sections.first_heading or Path(source).stem)


def _cell_text(cell: Any, visible: DocxVisibility) -> str:
    """The cell's text (as python-docx's `_Cell.text`) without invisible runs."""
    shading = cell_background(cell)
    return "\n".join(visible.paragraph_text(paragraph, shading) for paragraph in cell.paragraphs)
