"""Tables made machine-readable and rendered as Markdown rows (one row per line).

Follows the Japanese government's 「統計表における機械判読可能なデータ作成に関する表記方法」:
merged cells are filled with the merged value, blank rows and columns are dropped, multi-row headers
are joined into one header per column ("2023年度" over "予算"/"決算" → "2023年度 予算", "2023年度 決算"),
numbers are written without float noise (1000.0 → 1000), numbers under a percent number format as
percentages (0.41 → 41%) and dates as ISO dates.

The functions are pure: they take a 2-D list of cell values (as openpyxl, python-docx, python-pptx or
an HTML parser yield them) plus merged ranges, so every loader renders tables the same way.

Header detection heuristic (`detect_header_rows`):
1. The first row is always a header row.
2. Leading rows that hold text only (no number or date cells) are header rows, as long as a row with
   numbers or dates follows them and there are at most MAX_HEADER_ROWS of them. A table of text
   alone therefore keeps a single header row.
3. A merged block that starts inside the header extends it: a cell merged downwards pulls the rows
   it covers into the header, and a cell merged across columns pulls in the row below it (it is the
   spanning heading of the sub-headings written under it).
Before that, leading rows holding a single value in a table of several columns are taken as the
table's caption (a title written in the sheet), not as headers.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MergedRange = tuple[int, int, int, int]  # first_row, first_col, last_row, last_col: 0-based, inclusive

MAX_HEADER_ROWS = 3
_NUMBER = re.compile(r"^[△▲▼+\-−]?[¥$]?\d[\d,]*(\.\d+)?[%]?$")
# Parts of a number format that are shown as written: "quoted text", \x escapes, [colour/locale].
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


@dataclass
class Table:
    """A machine-readable table: one joined header per column, then the body rows."""

    header: list[str]
    rows: list[list[str]]
    caption: list[str] = field(default_factory=list)

    def markdown(self, max_rows: int | None = None) -> list[str]:
        """Markdown text blocks of at most `max_rows` body rows each, every block repeating the header."""
        head = [*self.caption, markdown_row(self.header), markdown_row(["---"] * len(self.header))]
        if not self.rows:
            return ["\n".join(head)]
        step = max_rows or len(self.rows)
        return [
            "\n".join(head + [markdown_row(row) for row in self.rows[start : start + step]])
            for start in range(0, len(self.rows), step)
        ]


def build_table(grid: Sequence[Sequence[Any]], merged: Iterable[MergedRange] = ()) -> Table | None:
    """Turn raw cell values into a Table, or None when the grid holds no value at all."""
    cells = [[format_cell(value) for value in row] for row in grid]
    width = max((len(row) for row in cells), default=0)
    cells = [row + [""] * (width - len(row)) for row in cells]
    datalike = [[_is_data(value) for value in row] + [False] * (width - len(row)) for row in grid]
    own = [[bool(value) for value in row] for row in cells]  # cells that hold their own value
    spans = [_clip(span, len(cells), width) for span in merged]
    spans = [span for span in spans if span is not None]
    fill_merged(cells, spans)
    for r0, c0, r1, c1 in spans:
        for r in range(r0, r1 + 1):
            datalike[r][c0 : c1 + 1] = [datalike[r0][c0]] * (c1 - c0 + 1)

    grids = (cells, datalike, own)
    grids, spans = _select(grids, spans, [r for r, row in enumerate(cells) if any(row)], range(width))
    cells, datalike, own = grids
    used_cols = [c for c in range(width) if any(row[c] for row in cells)]
    if not used_cols:
        return None
    caption: list[str] = []
    while len(cells) > 1 and len(used_cols) > 1 and sum(own[0]) == 1:
        caption.append(next(value for value, mine in zip(cells[0], own[0], strict=True) if mine))
        grids, spans = _select((cells, datalike, own), spans, range(1, len(cells)), range(width))
        cells, datalike, own = grids
    used_cols = [c for c in range(width) if any(row[c] for row in cells)]
    grids, spans = _select((cells, datalike, own), spans, range(len(cells)), used_cols)
    cells, datalike, own = grids

    count = detect_header_rows([any(row) for row in datalike], spans)
    return Table(header=join_header(cells[:count]), rows=cells[count:], caption=caption)


def detect_header_rows(row_has_data: Sequence[bool], spans: Iterable[MergedRange]) -> int:
    """Number of leading header rows; `row_has_data[r]` is True when row r holds a number or date."""
    total = len(row_has_data)
    if total <= 1:
        return total
    limit = min(MAX_HEADER_ROWS, total - 1)
    text_only = next((r for r, has_data in enumerate(row_has_data) if has_data), total)
    count = min(text_only, limit) if text_only < total else 1
    count = max(count, 1)
    spans = list(spans)
    grown = True
    while grown:
        grown = False
        for r0, c0, r1, c1 in spans:
            if r0 >= count:
                continue
            needed = min(r1 + 1 + (1 if c1 > c0 else 0), limit)
            if needed > count:
                count, grown = needed, True
    return count


def join_header(rows: Sequence[Sequence[str]]) -> list[str]:
    """One name per column from stacked header rows; repeated parts (from vertical merges) appear once."""
    width = max((len(row) for row in rows), default=0)
    names: list[str] = []
    for c in range(width):
        parts: list[str] = []
        for row in rows:
            value = row[c] if c < len(row) else ""
            if value and (not parts or parts[-1] != value):
                parts.append(value)
        names.append(" ".join(parts) or f"列{c + 1}")
    return names


def fill_merged(cells: list[list[str]], spans: Iterable[MergedRange]) -> None:
    """Write each merged range's top-left value into every cell of the range (in place)."""
    for r0, c0, r1, c1 in spans:
        value = cells[r0][c0]
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                cells[r][c] = value


def format_cell(value: Any, number_format: str = "General") -> str:
    """A cell value as display text: integral floats without `.0`, no float noise, ISO dates, one line.

    `number_format` is the cell's Excel number format; under a percent format (`0%`, `0.0%`) a number
    is shown as a percentage at full precision (0.41 → 41%, 0.3875 → 38.75%).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal) and is_percent_format(number_format):
        return _format_float(float(value) * 100) + "%"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, Decimal):
        return _format_float(float(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())


def is_percent_format(number_format: str) -> bool:
    """True when an Excel number format shows its number as a percentage (a `%` outside literals)."""
    return "%" in _FORMAT_LITERALS.sub("", number_format or "")


def markdown_row(cells: Sequence[str]) -> str:
    """`| a | b |` with pipes inside cells escaped."""
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _format_float(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return ""
    rounded = round(value, 10)
    if rounded.is_integer():
        return str(int(rounded))
    text = repr(rounded)
    return format(Decimal(text), "f") if "e" in text else text


def _is_data(value: Any) -> bool:
    """True for values that belong in a table body rather than a header: numbers and dates."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float | Decimal | dt.date | dt.time):
        return True
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return bool(_NUMBER.match(text))


def _clip(span: MergedRange, rows: int, cols: int) -> MergedRange | None:
    r0, c0, r1, c1 = span
    r1, c1 = min(r1, rows - 1), min(c1, cols - 1)
    if r0 < 0 or c0 < 0 or r0 > r1 or c0 > c1:
        return None
    return r0, c0, r1, c1


def _select(
    grids: Sequence[list[list[Any]]], spans: list[MergedRange], rows: Sequence[int], cols: Sequence[int]
) -> tuple[list[list[list[Any]]], list[MergedRange]]:
    """Keep only the given rows and columns of each grid, translating the merged ranges to match."""
    rows, cols = list(rows), list(cols)
    kept = [[[grid[r][c] for c in cols] for r in rows] for grid in grids]
    remapped = [_remap(span, rows, cols) for span in spans]
    return kept, [span for span in remapped if span is not None]


def _remap(span: MergedRange, keep_rows: list[int], keep_cols: list[int]) -> MergedRange | None:
    """Translate a merged range into the coordinates left after blank rows and columns are dropped."""
    r0, c0, r1, c1 = span
    first_row, last_row = bisect.bisect_left(keep_rows, r0), bisect.bisect_right(keep_rows, r1) - 1
    first_col, last_col = bisect.bisect_left(keep_cols, c0), bisect.bisect_right(keep_cols, c1) - 1
    if first_row > last_row or first_col > last_col:
        return None
    return first_row, first_col, last_row, last_col
