"""Markdown table rows as quotable units: each data row read as 「見出し：値、見出し：値」 with the header's unit kept
(「金額（円）」 and 「300」 read 「金額：300円」), alongside the row as written and its table's header lines (so a
citation can show the rows as a table)."""

from __future__ import annotations

import re

TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
# a header's unit in brackets: 「金額（円）」「割合(%)」「人数（単位：人）」
_UNIT = re.compile(
    r"^(.+?)\s*[（(](?:単位[：:]\s*)?"
    r"((?:千|万|百万|億)?円|件|[%％]|人|名|世帯|戸|回|日|か月|ヶ月|年|時間|分|歳|台|校|箇所|か所|枚|冊|部|点|倍|"
    r"km|m|㎡|m2|kg|t|ha)[)）]$"
)


def cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def with_unit(header: str, value: str) -> str:
    """`見出し：値`, the header's unit kept: 「金額（円）」 and 「300」 read 「金額：300円」 (the cell value verbatim)."""
    unit = _UNIT.match(header)
    if unit and value[-1:].isdigit():
        return f"{unit.group(1).strip()}：{value}{unit.group(2)}"
    return f"{header}：{value}" if header else value


def table_units(rows: list[str]) -> list[str]:
    """Table rows as units; with a header row, each data row reads `見出し：値、見出し：値` (units kept)."""
    return [unit for unit, _, _ in table_rows(rows)]


def table_rows(rows: list[str]) -> list[tuple[str, str, str]]:
    """(unit, the row as written, the header and separator lines) for each data row of a Markdown table."""
    if len(rows) >= 2 and TABLE_SEP.match(rows[1]):
        header = cells(rows[0])
        out = []
        for row in rows[2:]:
            pairs = [with_unit(h, v) for h, v in zip(header, cells(row), strict=False) if v and v != h]
            if pairs:
                out.append(("、".join(pairs), row, f"{rows[0]}\n{rows[1]}"))
        return out
    return [("、".join(c for c in cells(r) if c), r, "") for r in rows if not TABLE_SEP.match(r)]
