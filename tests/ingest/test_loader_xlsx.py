"""XLSX loader: every sheet, machine-readable tables, large sheets split with the header repeated."""

from __future__ import annotations

import pytest

from core.errors import CorruptFile
from ingest.loaders import load_file
from ingest.loaders.xlsx import MAX_ROWS
from tests.builders.office import truncate, write_xlsx


def test_merged_two_row_header_blank_rows_and_columns(tmp_path):
    grid = [
        ["令和5年度 歳出予算"],
        [],
        ["款", "2023年度", None, None, "2024年度"],
        [None, "予算", "決算", None, "予算", "決算"],
        [],
        ["総務費", 1000.0, 987.5, None, 1100, 1050],
        ["民生費", 2000, 1990.0, None, 2100, 2080],
    ]
    path = write_xlsx(
        tmp_path / "予算.xlsx",
        {"歳出": grid, "メモ": [["備考"], ["特になし"]], "空白": []},
        merged={"歳出": ["A1:F1", "B3:C3", "E3:F3", "A3:A4"]},
        title="予算資料",
    )
    docs = load_file(path, root=tmp_path)
    assert [doc.sheet for doc in docs] == ["歳出", "メモ"]
    assert {doc.title for doc in docs} == {"予算資料"}
    assert docs[0].text.splitlines() == [
        "令和5年度 歳出予算",
        "| 款 | 2023年度 予算 | 2023年度 決算 | 2024年度 予算 | 2024年度 決算 |",
        "| --- | --- | --- | --- | --- |",
        "| 総務費 | 1000 | 987.5 | 1100 | 1050 |",
        "| 民生費 | 2000 | 1990 | 2100 | 2080 |",
    ]


def test_large_sheet_is_split_and_each_part_repeats_the_header(tmp_path):
    rows = [["番号", "施設名", "定員"]] + [[i, f"施設{i}", i * 10] for i in range(1, 2 * MAX_ROWS + 11)]
    docs = load_file(write_xlsx(tmp_path / "施設.xlsx", {"一覧": rows}))
    assert len(docs) == 3
    for doc in docs:
        assert doc.text.splitlines()[0] == "| 番号 | 施設名 | 定員 |"
        assert len(doc.text.splitlines()) <= MAX_ROWS + 2
    assert (
        docs[-1].text.splitlines()[-1]
        == f"| {2 * MAX_ROWS + 10} | 施設{2 * MAX_ROWS + 10} | {(2 * MAX_ROWS + 10) * 10} |"
    )


def test_truncated_and_non_xlsx_files_are_corrupt(tmp_path):
    truncated = truncate(write_xlsx(tmp_path / "cut.xlsx", {"a": [["x", 1]] * 50}), 0.6)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)  # an OLE (encrypted) container
    for path in (truncated, fake):
        with pytest.raises(CorruptFile, match="Excel"):
            load_file(path)


def test_workbook_without_values_is_corrupt(tmp_path):
    with pytest.raises(CorruptFile, match="no values"):
        load_file(write_xlsx(tmp_path / "empty.xlsx", {"Sheet1": []}))


def _rewrite_styles(path, old: str, new: str) -> None:
    """Edit xl/styles.xml inside a saved workbook (to write what only another Excel would write)."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(old.encode(), new.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_percentages_dates_and_whole_numbers_read_as_excel_shows_them(tmp_path):
    import datetime as dt

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["手続", "件数", "オンライン率", "集計日", "更新日時"])
    sheet.append(["住民票", 36450.0, 0.41, dt.date(2024, 4, 1), dt.datetime(2024, 4, 1, 9, 30)])
    sheet.append(["戸籍", 16800, 0.147, dt.datetime(2025, 3, 31), dt.datetime(2025, 3, 31, 17, 0)])
    for row in (2, 3):
        sheet.cell(row, 2).number_format = "#,##0"
        sheet.cell(row, 3).number_format = "0.0%"
    path = tmp_path / "件数.xlsx"
    workbook.save(path)
    [doc] = load_file(path)
    assert doc.text.splitlines()[2:] == [
        "| 住民票 | 36450 | 41% | 2024-04-01 | 2024-04-01 09:30:00 |",
        "| 戸籍 | 16800 | 14.7% | 2025-03-31 | 2025-03-31 17:00:00 |",
    ]


def test_japanese_builtin_date_format_is_read_as_a_date(tmp_path):
    import datetime as dt

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["受付日", "件数"])
    workbook.active.append([dt.date(2024, 5, 1), 12])
    workbook.active["A2"].number_format = "mm-dd-yy"  # built-in 14, rewritten below to 57
    path = tmp_path / "受付.xlsx"
    workbook.save(path)
    # Japanese Excel stores 和暦 dates under the East Asian built-in id 57 with no format code.
    _rewrite_styles(path, 'numFmtId="14"', 'numFmtId="57"')
    assert openpyxl.load_workbook(path).active["A2"].value == 45413  # what openpyxl alone returns
    [doc] = load_file(path)
    assert doc.text.splitlines()[2] == "| 2024-05-01 | 12 |"
