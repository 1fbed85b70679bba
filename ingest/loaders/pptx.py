"""PPTX loader: one Document per slide; the title placeholder is the section, then text frames and
tables in reading order (top to bottom, left to right), then the speaker notes (「ノート:」). Shapes hidden or
placed off the slide and runs the slide does not show (white on white, 1 pt) are not read (`pptx_hidden`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import CorruptFile
from core.model import Document
from ingest.loaders.pptx_hidden import SlideColors, off_slide, shape_hidden
from ingest.tables import MergedRange, build_table

NOTES_PREFIX = "ノート: "
# Core-properties titles that the stock templates carry; they name no real presentation.
_PLACEHOLDER_TITLES = {"", "powerpoint presentation", "powerpoint プレゼンテーション", "プレゼンテーション"}


def load(path: Path, source: str) -> list[Document]:
    from pptx import Presentation

    try:
        presentation = Presentation(str(path))
        size = (presentation.slide_width, presentation.slide_height)
        slides = [_slide_content(slide, size) for slide in presentation.slides]
        core_title = " ".join((presentation.core_properties.title or "").split())
    except Exception as exc:  # python-pptx/zipfile/lxml raise many types on damaged input
        raise CorruptFile(
            f"{source} could not be read as a PowerPoint (.pptx) file; it may be damaged, truncated or "
            f"password-protected ({type(exc).__name__}). Open it in PowerPoint, save it again without a "
            "password and re-ingest it."
        ) from exc

    if core_title.lower() in _PLACEHOLDER_TITLES:
        core_title = ""
    first_slide_title = next((slide_title for slide_title, _ in slides if slide_title), "")
    title = core_title or first_slide_title or Path(source).stem
    documents = [
        Document(
            text="\n".join(lines),
            source=source,
            title=title,
            slide=number,
            section=[slide_title] if slide_title else [],
        )
        for number, (slide_title, lines) in enumerate(slides, start=1)
        if lines
    ]
    if not documents:
        raise CorruptFile(f"{source} contains no text on any slide. Check that it is the right file.")
    return documents


def _slide_content(slide: Any, size: tuple[int | None, int | None]) -> tuple[str, list[str]]:
    colors = SlideColors(slide)
    shown = [shape for shape in slide.shapes if not shape_hidden(shape) and not off_slide(shape, *size)]
    title_shape = slide.shapes.title
    if title_shape is not None and all(shape.shape_id != title_shape.shape_id for shape in shown):
        title_shape = None
    title = " ".join(_paragraph_lines(title_shape.text_frame, colors, title_shape)) if title_shape else ""
    lines: list[str] = []
    for shape in _reading_order(shown):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        if getattr(shape, "has_table", False) and shape.has_table:
            table = build_table(*_table_cells(shape.table))
            if table is not None:
                lines.append(table.markdown()[0])
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            lines.extend(_paragraph_lines(shape.text_frame, colors, shape))
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
        notes = _paragraph_lines(slide.notes_slide.notes_text_frame)
        if notes:
            lines.append(NOTES_PREFIX + notes[0])
            lines.extend(notes[1:])
    return title, lines


def _reading_order(shapes: Any) -> list[Any]:
    """Shapes sorted top-to-bottom then left-to-right, with group shapes opened."""
    flat: list[Any] = []
    for shape in shapes:
        if shape_hidden(shape):
            continue
        if hasattr(shape, "shapes"):  # a group shape
            flat.extend(_reading_order(shape.shapes))
        else:
            flat.append(shape)
    return sorted(flat, key=lambda shape: (shape.top or 0, shape.left or 0))


def _paragraph_lines(text_frame: Any, colors: SlideColors | None = None, shape: Any = None) -> list[str]:
    """Non-empty paragraph lines; with `colors`, runs the slide does not show against `shape` are left out."""
    behind = colors.behind(shape) if colors is not None and shape is not None else None
    lines = []
    for paragraph in text_frame.paragraphs:
        text = paragraph.text
        if colors is not None and any(colors.invisible_run(run, behind) for run in paragraph.runs):
            text = "".join(run.text for run in paragraph.runs if not colors.invisible_run(run, behind))
        lines.append(" ".join(text.split()))
    return [line for line in lines if line]


def _table_cells(table: Any) -> tuple[list[list[str]], list[MergedRange]]:
    grid: list[list[str]] = []
    merged: list[MergedRange] = []
    for r, row in enumerate(table.rows):
        grid.append([])
        for c, cell in enumerate(row.cells):
            grid[-1].append("" if cell.is_spanned else cell.text)
            if cell.is_merge_origin:
                merged.append((r, c, r + cell.span_height - 1, c + cell.span_width - 1))
    return grid, merged
