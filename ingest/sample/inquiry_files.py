"""Write the sample inquiry records the way offices keep them: a cp932 CSV export (first half of 令和6年度), an XLSX
ledger (second half) and a JSON Lines export from a newer system (令和7年度)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

from ingest.sample.blocks import Meta, Sheet
from ingest.sample.inquiries_office import OFFICE_INQUIRIES
from ingest.sample.inquiries_residents import RESIDENT_INQUIRIES
from ingest.sample.inquiry_model import COLUMNS, DATE_STYLES, Inquiry, fiscal_year_label, format_date
from ingest.sample.office import write_xlsx
from ingest.sample.plain import write_csv, write_jsonl

CSV_NAME = "照会回答記録_令和6年度上期.csv"
XLSX_NAME = "照会回答記録_令和6年度下期.xlsx"
JSONL_NAME = "照会回答記録_令和7年度.jsonl"
CSV_COUNT, XLSX_COUNT = 25, 15  # the rest go to the JSONL file

XLSX_META = Meta(
    title="照会回答記録（令和6年度下期）", author="みなと市総務部総務課", when=datetime(2025, 4, 7, 9, 0, 0)
)


def numbered_records() -> list[tuple[str, Inquiry]]:
    """All records in the order they were received, numbered per fiscal year (`R6-001` …)."""
    records = sorted(RESIDENT_INQUIRIES + OFFICE_INQUIRIES, key=lambda r: (r.asked, r.subject))
    per_year: Counter[str] = Counter()
    numbered = []
    for record in records:
        year = fiscal_year_label(record.asked)
        per_year[year] += 1
        numbered.append((f"{year}-{per_year[year]:03d}", record))
    return numbered


def _date_value(d: date, style: str, date_cells: bool) -> str | date:
    return d if date_cells and style == "slash" else format_date(d, style)


def _row(index: int, number: str, r: Inquiry, date_cells: bool = False) -> list[str | date]:
    """One record as a row in COLUMNS order; the date style varies from row to row as in a real ledger."""
    asked = _date_value(r.asked, DATE_STYLES[index % len(DATE_STYLES)], date_cells)
    answered = _date_value(r.answered, DATE_STYLES[(index + 3) % len(DATE_STYLES)], date_cells)
    return [number, asked, r.sender, r.dept, r.subject, r.question, r.answer, answered, r.category]


def write_inquiry_files(folder: Path) -> list[Path]:
    records = numbered_records()
    rows = [(i, number, r) for i, (number, r) in enumerate(records)]
    first, second, third = (
        rows[:CSV_COUNT],
        rows[CSV_COUNT : CSV_COUNT + XLSX_COUNT],
        rows[CSV_COUNT + XLSX_COUNT :],
    )
    csv_path = write_csv(folder / CSV_NAME, COLUMNS, [_row(*row) for row in first], encoding="cp932")
    sheet = Sheet(
        name="照会回答記録",
        rows=[list(COLUMNS)] + [_row(*row, date_cells=True) for row in second],
        header_rows=[1],
        widths={"A": 9, "B": 14, "C": 20, "D": 12, "E": 36, "F": 60, "G": 80, "H": 14, "I": 16},
    )
    xlsx_path = write_xlsx(folder / XLSX_NAME, XLSX_META, [sheet])
    jsonl_path = write_jsonl(
        folder / JSONL_NAME, [dict(zip(COLUMNS, _row(*row), strict=True)) for row in third]
    )
    return [csv_path, xlsx_path, jsonl_path]
