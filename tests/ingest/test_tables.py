"""Machine-readable tables: merged cells filled, blank rows/columns dropped, headers joined, numbers clean."""

from __future__ import annotations

import datetime as dt

from ingest.tables import (
    build_table,
    detect_header_rows,
    format_cell,
    is_percent_format,
    join_header,
    markdown_row,
)


def test_two_header_rows_with_merged_year_are_joined():
    grid = [
        ["区分", "2023年度", None, "2024年度", None],
        [None, "予算", "決算", "予算", "決算"],
        ["総務費", 1000.0, 980.5, 1100, 1050],
        ["民生費", 2000, 1990, 2100, 2080],
    ]
    merged = [(0, 1, 0, 2), (0, 3, 0, 4), (0, 0, 1, 0)]
    table = build_table(grid, merged)
    assert table.header == ["区分", "2023年度 予算", "2023年度 決算", "2024年度 予算", "2024年度 決算"]
    assert table.rows == [
        ["総務費", "1000", "980.5", "1100", "1050"],
        ["民生費", "2000", "1990", "2100", "2080"],
    ]


def test_blank_rows_and_columns_are_dropped_and_title_row_becomes_caption():
    grid = [
        ["令和6年度 職員数", None, None, None],
        [None, None, None, None],
        ["課名", None, "職員数", None],
        ["総務課", None, 12, None],
        [None, None, None, None],
        ["財政課", None, 8, None],
    ]
    table = build_table(grid, [(0, 0, 0, 3)])
    assert table.caption == ["令和6年度 職員数"]
    assert table.header == ["課名", "職員数"]
    assert table.rows == [["総務課", "12"], ["財政課", "8"]]


def test_vertically_merged_body_cells_are_filled():
    grid = [["地区", "施設", "定員"], ["東", "第一保育園", 60], [None, "第二保育園", 45]]
    table = build_table(grid, [(1, 0, 2, 0)])
    assert table.rows == [["東", "第一保育園", "60"], ["東", "第二保育園", "45"]]


def test_text_only_table_keeps_a_single_header_row():
    table = build_table([["氏名", "所属"], ["山田", "総務課"], ["佐藤", "財政課"]])
    assert table.header == ["氏名", "所属"]
    assert len(table.rows) == 2


def test_header_heuristic():
    # leading text-only rows before the first row with numbers are headers
    assert detect_header_rows([False, False, True, True], []) == 2
    # all text: one header row
    assert detect_header_rows([False, False, False], []) == 1
    # a cell merged across columns pulls the row below into the header, even if it holds numbers (years)
    assert detect_header_rows([False, True, True], [(0, 1, 0, 3)]) == 2
    # never more than three header rows, and never every row
    assert detect_header_rows([False] * 6 + [True], []) == 3
    assert detect_header_rows([False, False], [(0, 0, 0, 1)]) == 1


def test_empty_grid_gives_none():
    assert build_table([[None, ""], [None, None]]) is None
    assert build_table([]) is None


def test_markdown_blocks_repeat_the_header():
    grid = [["番号", "金額"]] + [[i, i * 100] for i in range(1, 6)]
    blocks = build_table(grid).markdown(max_rows=2)
    assert len(blocks) == 3
    assert all(block.splitlines()[:2] == ["| 番号 | 金額 |", "| --- | --- |"] for block in blocks)
    assert blocks[-1].splitlines()[-1] == "| 5 | 500 |"


def test_format_cell_removes_float_noise_and_formats_dates():
    assert format_cell(1000.0) == "1000"
    assert format_cell(0.1 + 0.2) == "0.3"
    assert format_cell(1e20) == "100000000000000000000"
    assert format_cell(-2.50) == "-2.5"
    assert format_cell(True) == "TRUE"
    assert format_cell(dt.datetime(2024, 5, 10)) == "2024-05-10"
    assert format_cell(dt.datetime(2024, 5, 10, 9, 30)) == "2024-05-10 09:30:00"
    assert format_cell("  複数行の\nセル  ") == "複数行の セル"
    assert format_cell(None) == ""


def test_join_header_names_empty_columns_and_markdown_escapes_pipes():
    assert join_header([["区分", ""], ["区分", ""]]) == ["区分", "列2"]
    assert markdown_row(["a|b", "c"]) == "| a\\|b | c |"


def test_percent_formats_show_percentages_and_literal_percent_signs_do_not():
    assert format_cell(0.41, "0%") == "41%"
    assert format_cell(0.388, "0.0%") == "38.8%"
    assert format_cell(0.147, "0.0%;[Red]-0.0%") == "14.7%"  # no float noise from the * 100
    assert format_cell(1, "0%") == "100%"
    assert format_cell(0.41, "General") == "0.41"
    assert format_cell("対象外", "0%") == "対象外"
    assert not is_percent_format('0"%"') and not is_percent_format("0\\%")
    assert format_cell(dt.date(2024, 4, 1), "0%") == "2024-04-01"


def test_percent_cells_stay_data_for_header_detection():
    table = build_table([["手続", "オンライン率"], ["住民票", format_cell(0.41, "0%")]])
    assert table.header == ["手続", "オンライン率"] and table.rows == [["住民票", "41%"]]
