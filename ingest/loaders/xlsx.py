"""XLSX loader: every worksheet made machine-readable (see ingest/tables.py) and cut into Documents
of at most MAX_ROWS body rows, each repeating the header.

Cell values are read as Excel shows their kind: dates as dates (ISO in the text), percentages as
percentages (41%, not 0.41).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import CorruptFile
from core.model import Document
from ingest.tables import MergedRange, build_table, format_cell, is_percent_format

MAX_ROWS = 50
# ECMA-376 reserves the built-in number formats 27-36 and 50-58 for East Asian locales: Japanese
# Excel writes its 和暦 and 年月日 date formats (and 時分 times) under these ids without spelling the
# format out. openpyxl knows only the Western built-ins, reports them as "General" and returns the
# date serial (45383) instead of a date, so such cells are converted here.
EAST_ASIAN_DATE_FORMATS = frozenset(range(27, 37)) | frozenset(range(50, 59))


def load(path: Path, source: str) -> list[Document]:
    workbook = open_workbook(path, source)
    title = (workbook.properties.title or "").strip() or Path(source).stem
    documents: list[Document] = []
    for sheet in workbook.worksheets:
        grid, merged = sheet_cells(sheet)
        table = build_table(grid, merged)
        if table is None:
            continue
        documents.extend(
            Document(text=text, source=source, title=title, sheet=sheet.title)
            for text in table.markdown(MAX_ROWS)
        )
    if not documents:
        raise CorruptFile(f"{source} contains no values in any sheet. Check that it is the right file.")
    return documents


def open_workbook(path: Path, source: str, read_only: bool = False) -> Any:
    """Open a workbook with cached formula values; any failure becomes CorruptFile."""
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=read_only, data_only=True)
    except Exception as exc:  # zipfile/openpyxl/lxml raise many types on damaged input
        raise CorruptFile(
            f"{source} could not be read as an Excel (.xlsx) file; it may be damaged, truncated or "
            f"password-protected ({type(exc).__name__}). Open it in Excel, save it again without a "
            "password and re-ingest it."
        ) from exc


def sheet_cells(sheet: Any) -> tuple[list[list[Any]], list[MergedRange]]:
    """Cell values from A1 and the merged ranges (0-based, inclusive) of a worksheet; percentages
    come as their text ("41%"), dates in East Asian built-in formats as datetimes."""
    epoch = sheet.parent.epoch
    grid = [[cell_value(cell, epoch) for cell in row] for row in sheet.iter_rows()]
    merged = [
        (cells.min_row - 1, cells.min_col - 1, cells.max_row - 1, cells.max_col - 1)
        for cells in sheet.merged_cells.ranges
    ]
    return grid, merged


def cell_value(cell: Any, epoch: Any) -> Any:
    """The value of an openpyxl cell as it reads in Excel (see sheet_cells)."""
    from openpyxl.utils.datetime import from_excel

    value = cell.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    style = getattr(cell, "_style", None)  # the raw ids: openpyxl's public number_format hides them
    if cell.number_format == "General" and getattr(style, "numFmtId", 0) in EAST_ASIAN_DATE_FORMATS:
        return from_excel(value, epoch)
    if is_percent_format(cell.number_format):
        return format_cell(value, cell.number_format)
    return value
