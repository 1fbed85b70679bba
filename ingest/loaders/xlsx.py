"""XLSX loader: every worksheet made machine-readable (see ingest/tables.py) and cut into Documents
of at most MAX_ROWS body rows, each repeating the header.

Cell values are read as Excel shows their kind: dates as dates (ISO in the text), percentages as
percentages (41%, not 0.41).

Workbooks are read in openpyxl's read-only (streaming) mode: its full mode creates an object for every cell of
a merged range, so one range `A1:XFD1048576` in a 237 KB file took 10 GB. Merged ranges are read from the sheet
XML here and filled only over the cells the sheet really uses (build_table clips them), and a sheet's used
cells are counted against the `max_cells` limit while its rows stream in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import CorruptFile
from core.model import Document
from ingest.limits import FileLimitExceeded, check_cells
from ingest.tables import MergedRange, build_table, format_cell, is_percent_format

MAX_ROWS = 50
# ECMA-376 reserves the built-in number formats 27-36 and 50-58 for East Asian locales: Japanese
# Excel writes its 和暦 and 年月日 date formats (and 時分 times) under these ids without spelling the
# format out. openpyxl knows only the Western built-ins, reports them as "General" and returns the
# date serial (45383) instead of a date, so such cells are converted here.
EAST_ASIAN_DATE_FORMATS = frozenset(range(27, 37)) | frozenset(range(50, 59))
_MERGE_CELL = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}mergeCell"


def load(path: Path, source: str) -> list[Document]:
    workbook = open_workbook(path, source, read_only=True)
    try:
        title = (workbook.properties.title or "").strip() or Path(source).stem
        documents: list[Document] = []
        for sheet in workbook.worksheets:
            grid, merged = sheet_cells(sheet, source)
            table = build_table(grid, merged)
            if table is None:
                continue
            documents.extend(
                Document(text=text, source=source, title=title, sheet=sheet.title)
                for text in table.markdown(MAX_ROWS)
            )
    finally:
        workbook.close()
    if not documents:
        raise CorruptFile(f"{source} contains no values in any sheet. Check that it is the right file.")
    return documents


def open_workbook(path: Path, source: str, read_only: bool = False) -> Any:
    """Open a workbook with cached formula values; any failure becomes CorruptFile."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=read_only, data_only=True)
    except Exception as exc:  # zipfile/openpyxl/lxml raise many types on damaged input
        raise CorruptFile(
            f"{source} could not be read as an Excel (.xlsx) file; it may be damaged, truncated or "
            f"password-protected ({type(exc).__name__}). Open it in Excel, save it again without a "
            "password and re-ingest it."
        ) from exc
    if read_only:
        for sheet in workbook.worksheets:
            # The declared <dimension> may claim the whole sheet (A1:XFD1048576), and read-only rows are padded
            # to it: read the rows and cells that exist instead.
            sheet.reset_dimensions()
    return workbook


def sheet_cells(sheet: Any, source: str) -> tuple[list[list[Any]], list[MergedRange]]:
    """Cell values from A1 of a worksheet opened by `open_workbook(..., read_only=True)` (trailing empty cells
    and rows dropped) and its merged ranges (0-based, inclusive); percentages come as their text ("41%"), dates
    in East Asian built-in formats as datetimes. Raises FileLimitExceeded past the `max_cells` limit."""
    epoch = sheet.parent.epoch
    grid: list[list[Any]] = []
    cells = 0
    try:
        for row in sheet.iter_rows():
            values = [cell_value(cell, epoch) for cell in row]
            while values and values[-1] in (None, ""):
                values.pop()
            grid.append(values)
            cells += max(len(values), 1)
            check_cells(cells, sheet.title)
        merged = merged_ranges(sheet)
    except FileLimitExceeded:
        raise
    except Exception as exc:  # read-only mode parses lazily: damage surfaces while iterating
        raise CorruptFile(
            f"{source} could not be read as an Excel (.xlsx) file; it may be damaged or truncated "
            f"({type(exc).__name__}). Open it in Excel, save it again and re-ingest it."
        ) from exc
    while grid and not grid[-1]:
        grid.pop()
    return grid, merged


def merged_ranges(sheet: Any) -> list[MergedRange]:
    """The merged ranges of a read-only worksheet, streamed from its XML (openpyxl's read-only mode does not
    read them); elements are dropped as they are passed, so memory stays flat on a large sheet."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import range_boundaries

    found: list[MergedRange] = []
    path: list[Any] = []  # the open elements; each one leaves its parent when it ends
    with sheet._get_source() as xml:  # the sheet's part in the archive (openpyxl's own read-only accessor)
        for event, element in iterparse(xml, events=("start", "end")):
            if event == "start":
                path.append(element)
                continue
            path.pop()
            if element.tag == _MERGE_CELL:
                min_col, min_row, max_col, max_row = range_boundaries(element.get("ref", ""))
                found.append((min_row - 1, min_col - 1, max_row - 1, max_col - 1))
            if path:
                path[-1].remove(element)
    return found


def cell_value(cell: Any, epoch: Any) -> Any:
    """The value of an openpyxl cell as it reads in Excel (see sheet_cells)."""
    from openpyxl.utils.datetime import from_excel

    value = cell.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    style = cell.style_array  # the raw ids: openpyxl's public number_format hides them
    if cell.number_format == "General" and style.numFmtId in EAST_ASIAN_DATE_FORMATS:
        return from_excel(value, epoch)
    if is_percent_format(cell.number_format):
        return format_cell(value, cell.number_format)
    return value
