"""XLSX loader: every worksheet made machine-readable (see ingest/tables.py) and cut into Documents
of at most MAX_ROWS body rows, each repeating the header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import CorruptFile
from ingest.model import Document
from ingest.tables import MergedRange, build_table

MAX_ROWS = 50


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
    """Cell values from A1 and the merged ranges (0-based, inclusive) of a worksheet."""
    grid = [list(row) for row in sheet.iter_rows(values_only=True)]
    merged = [
        (cells.min_row - 1, cells.min_col - 1, cells.max_row - 1, cells.max_col - 1)
        for cells in sheet.merged_cells.ranges
    ]
    return grid, merged
