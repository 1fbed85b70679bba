"""The sample inquiry record and how its dates are written in the exported files (mixed 和暦 and Western styles,
as they appear in real office ledgers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

COLUMNS = ["番号", "照会日", "照会元", "所管課", "件名", "照会内容", "回答内容", "回答日", "区分"]

# Styles a clerk might use; "slash" dates become real date cells in the XLSX.
DATE_STYLES = ["kanji", "r_dot", "kanji_fullwidth", "short", "slash", "kanji", "iso"]
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class Inquiry:
    """One inquiry from another body (照会元) and the city's answer by the department in charge (所管課)."""

    asked: date
    sender: str
    dept: str
    subject: str
    question: str
    answer: str
    answered: date
    category: str


def fiscal_year_label(d: date) -> str:
    """`R6` for 令和6年度 (April to March)."""
    return f"R{(d.year if d.month >= 4 else d.year - 1) - 2018}"


def format_date(d: date, style: str) -> str:
    """Write a date of the Reiwa era (2020 onwards) in one of DATE_STYLES, e.g. 令和6年5月10日, R6.5.10,
    令６年５月１０日, 令6・5・10, 2024/5/10 or 2024-05-10."""
    era_year = d.year - 2018
    if style == "kanji":
        return f"令和{era_year}年{d.month}月{d.day}日"
    if style == "kanji_fullwidth":
        return f"令和{era_year}年{d.month}月{d.day}日".translate(_FULLWIDTH)
    if style == "r_dot":
        return f"R{era_year}.{d.month}.{d.day}"
    if style == "short":
        return f"令{era_year}・{d.month}・{d.day}"
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "iso":
        return d.isoformat()
    raise ValueError(f"unknown date style {style!r}")
