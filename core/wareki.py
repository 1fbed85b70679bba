"""Japanese dates (和暦 and Western) → ISO `YYYY-MM-DD`.

Hand-written on purpose: `japanera` (the maintained option on PyPI) parses one string against one
strptime-style format at a time, builds on CPython's private `_strptime` module, rejects
surrounding text and cannot scan free text; `jeraconv` converts era years only and is unmaintained
since 2019. Offices write dates as 令和7年12月24日, 令和七年十二月二十四日, R7.12.24, 令7・12・24,
令和7/12/24, 2024/5/10 …; one regular expression over NFKC-normalised text covers them all and
also finds them inside documents.

Era boundaries follow the 改元 days (平成31年4月30日 is the last day of 平成, 令和元年5月1日
the first of 令和). 明治 dates before 明治6年 were written in the lunisolar calendar; they are
converted as if Gregorian, which is off by about a month — such dates do not occur in the
documents this project handles.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# era name → (first day, last day)
_ERAS: dict[str, tuple[date, date | None]] = {
    "明治": (date(1868, 1, 1), date(1912, 7, 29)),
    "大正": (date(1912, 7, 30), date(1926, 12, 24)),
    "昭和": (date(1926, 12, 25), date(1989, 1, 7)),
    "平成": (date(1989, 1, 8), date(2019, 4, 30)),
    "令和": (date(2019, 5, 1), None),
}
_ABBREVIATIONS = {
    "M": "明治",
    "T": "大正",
    "S": "昭和",
    "H": "平成",
    "R": "令和",
    "明": "明治",
    "大": "大正",
    "昭": "昭和",
    "平": "平成",
    "令": "令和",
}
# Western years outside this range are more likely numbers of another kind than dates.
_WESTERN_YEARS = range(1800, 2200)

_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}

_SP = r"[ \t]*"
_KNUM = "[〇零一二三四五六七八九十]"
_NUM = rf"(?:\d{{1,2}}|{_KNUM}{{1,3}})"


def _era(group: str) -> str:
    return (
        rf"(?P<{group}>令和|平成|昭和|大正|明治"
        r"|(?<![A-Za-z0-9])[RHSTM]\.?"  # R7.12.24, R.7.12.24
        r"|(?<![\u3400-\u9fff々〆])[令平昭大明])"  # 令7・12・24, but not the 明 of 説明1.2.3
    )


_PATTERN = re.compile(
    # 令和7年12月24日, 令和元年5月1日, 平成十三年三月五日
    rf"{_era('era')}{_SP}(?P<ey>元|{_NUM}){_SP}年{_SP}(?P<em>{_NUM}){_SP}月{_SP}(?P<ed>{_NUM}){_SP}日"
    # R7.12.24, 令7・12・24, 令和7/12/24
    rf"|{_era('era2')}{_SP}(?P<sy>元|\d{{1,2}})(?P<sep>[./・-])(?P<sm>\d{{1,2}})(?P=sep)(?P<sd>\d{{1,2}})(?![./・-]?\d)"
    # 2024年5月10日, 二〇二四年五月十日
    rf"|(?<![\d〇零一二三四五六七八九十百千])(?P<wy>\d{{4}}|[〇零一二三四五六七八九十百千]{{2,7}}){_SP}年{_SP}(?P<wm>{_NUM}){_SP}月{_SP}(?P<wd>{_NUM}){_SP}日"
    # 2024-05-10, 2024/5/10, 2024.5.10
    r"|(?<![\d.])(?P<ny>\d{4})(?P<nsep>[./-])(?P<nm>\d{1,2})(?P=nsep)(?P<nd>\d{1,2})(?![./-]?\d)"
)


def _number(token: str) -> int:
    """ASCII digits, 元 (the first year of an era) or kanji numerals: 十二, 二十四, 二〇二四, 二千二十四."""
    if token.isascii():
        return int(token)
    if token == "元":
        return 1
    total = current = 0
    for ch in token:
        if ch in _KANJI_UNITS:
            total += (current or 1) * _KANJI_UNITS[ch]
            current = 0
        else:
            current = current * 10 + _KANJI_DIGITS[ch]
    return total + current


def _calendar_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _era_date(era: str, year: int, month: int, day: int) -> date | None:
    first, last = _ERAS[_ABBREVIATIONS.get(era.rstrip("."), era.rstrip("."))]
    if year < 1:
        return None
    result = _calendar_date(first.year + year - 1, month, day)
    if result is None or result < first or (last is not None and result > last):
        return None
    return result


def _match_to_date(m: re.Match[str]) -> date | None:
    g = m.groupdict()
    if g["era"]:
        return _era_date(g["era"], _number(g["ey"]), _number(g["em"]), _number(g["ed"]))
    if g["era2"]:
        return _era_date(g["era2"], _number(g["sy"]), int(g["sm"]), int(g["sd"]))
    if g["wy"]:
        year = _number(g["wy"])
        month, day = _number(g["wm"]), _number(g["wd"])
    else:
        year, month, day = int(g["ny"]), int(g["nm"]), int(g["nd"])
    if year not in _WESTERN_YEARS:
        return None
    return _calendar_date(year, month, day)


def parse_date(text: str) -> str | None:
    """Parse a string that is one date (surrounding spaces allowed) → `YYYY-MM-DD`, or None.

    None also for dates that do not exist (2023-02-29) or lie outside their era (平成31年5月1日).
    """
    m = _PATTERN.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if m is None:
        return None
    found = _match_to_date(m)
    return found.isoformat() if found else None


def find_dates(text: str) -> list[str]:
    """Every full date (year, month and day) in free text, as ISO strings, de-duplicated, in order."""
    seen: dict[str, None] = {}
    for m in _PATTERN.finditer(unicodedata.normalize("NFKC", text)):
        found = _match_to_date(m)
        if found:
            seen.setdefault(found.isoformat())
    return list(seen)


def to_wareki(iso: str) -> str:
    """`2024-05-10` → `令和6年5月10日` (元年 for the first year); other text is returned unchanged."""
    try:
        day = date.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    for era, (start, end) in sorted(_ERAS.items(), key=lambda item: item[1][0], reverse=True):
        if day >= start and (end is None or day <= end):
            year = day.year - start.year + 1
            return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"
