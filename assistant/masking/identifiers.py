"""Detectors of identifiers: マイナンバー, 法人番号, e-mail addresses, phone numbers, postal codes.

Hand-written: no maintained library recognises マイナンバー and 法人番号 with their official check
digits, Japanese fixed / mobile / toll-free phone formats or 〒 postal codes — general PII tools (e.g.
Presidio) ship recognisers for other countries' identifiers and would need these same rules written as
custom recognisers.

Check digits follow the official algorithms:
- 個人番号: 総務省令（平成26年総務省令第85号）第5条 — check = 11 − (Σ Pn×Qn mod 11), 0 when the
  remainder is ≤ 1; Pn is the n-th digit from the right of the first 11 digits, Qn = n+1 (n ≤ 6),
  n−5 (n ≥ 7).
- 法人番号: 財務省令（平成26年財務省令第70号）第2条 — the first digit = 9 − (Σ Pn×Qn mod 9); Pn is
  the n-th digit from the right of the 12-digit base number, Qn = 1 (n odd), 2 (n even).

The patterns read the folded view (`View.digits`: NFKC, no zero-width characters, kanji digits and
dashes folded), so `１２３４・５６７８・９０１８`, `一二三四…` and `090​-1234-5678` (with a zero-width
space) are found like `123456789018`; e-mail addresses are also found written `name(at)domain`,
`name [at] domain` or with `＠`.
"""

from __future__ import annotations

import re

from assistant.masking.view import View

_NOT_BEFORE = r"(?<![\d+])(?<!\d-)"
_NOT_IN_GROUPS = r"(?<!\d )(?<!\d\.)"  # not the tail of a longer grouped number
_NOT_AFTER = r"(?!\d)(?!-\d)(?!\.\d)"
_SEP = r"[- .]?"

_AT = r"\s*(?:@|\((?:at|アット)\)|\[at\]|\{at\}|<at>)\s*"
_DOT = r"(?:\.|\s*\(dot\)\s*|\s*\[dot\]\s*)"

PATTERNS = {
    "my_number": re.compile(
        _NOT_BEFORE + _NOT_IN_GROUPS + rf"\d{{4}}{_SEP}\d{{4}}{_SEP}\d{{4}}" + _NOT_AFTER
    ),
    "corporate_number": re.compile(_NOT_BEFORE + _NOT_IN_GROUPS + rf"\d(?:{_SEP}\d{{4}}){{3}}" + _NOT_AFTER),
    "email": re.compile(
        rf"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+{_AT}[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*{_DOT}[A-Za-z]{{2,}}(?![A-Za-z0-9-])",
        re.IGNORECASE,
    ),
    "phone": re.compile(
        _NOT_BEFORE
        + r"(?:\+81[- ]?(?:\(0\))?[- ]?\d{1,4}[- ]?\d{1,4}[- ]?\d{3,4}"  # +81 3-1234-5678
        + r"|0\d{1,4}[- ]\d{1,4}[- ]\d{3,4}"  # 03-1234-5678, 090 1234 5678, 0120-123-456
        + r"|\(0\d{1,4}\) ?\d{1,4}[- ]\d{3,4}"  # (03)1234-5678
        + r"|0\d{1,4}\(\d{1,4}\)\d{3,4}"  # 03(1234)5678
        + r"|0\d{9,10})"  # 0312345678, 09012345678
        + _NOT_AFTER
    ),
    "postal_code": re.compile(
        r"(?<![\d-])\d{3}-\d{4}" + _NOT_AFTER + r"|(?<=〒)\d{7}(?!\d)|(?<=〒 )\d{7}(?!\d)"
    ),
}
IDENTIFIER_KINDS = list(PATTERNS)  # earlier kinds win when two matches overlap


def my_number_is_valid(digits: str) -> bool:
    """12-digit 個人番号 with a correct check digit (the last digit)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    body = digits[:11]
    total = sum(int(body[-n]) * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    remainder = total % 11
    return int(digits[11]) == (0 if remainder <= 1 else 11 - remainder)


def corporate_number_is_valid(digits: str) -> bool:
    """13-digit 法人番号 with a correct check digit (the first digit)."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    base = digits[1:]
    total = sum(int(base[-n]) * (1 if n % 2 else 2) for n in range(1, 13))
    return int(digits[0]) == 9 - total % 9


def _phone_is_valid(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if text.startswith("+81"):
        rest = digits[2:]
        digits = rest if "(0)" in text and rest.startswith("0") else "0" + rest.lstrip("0")
    if len(digits) == 10:
        return digits[1] != "0"  # fixed lines, 0120 / 0570 numbers
    if len(digits) == 11:
        return digits[:3] in {"020", "050", "060", "070", "080", "090"} or digits.startswith("0800")
    return False


def _is_valid(kind: str, text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if kind == "my_number":
        return my_number_is_valid(digits)
    if kind == "corporate_number":
        return corporate_number_is_valid(digits)
    if kind == "phone":
        return _phone_is_valid(text)
    return True


def canonical_identifier(kind: str, folded: str) -> str:
    """The value behind a detection, so that one value written two ways gets one placeholder."""
    if kind == "email":
        return re.sub(_AT, "@", re.sub(_DOT, ".", folded, flags=re.IGNORECASE), flags=re.IGNORECASE).lower()
    return re.sub(r"\D", "", folded)


def find_identifiers(view: View) -> list[tuple[str, int, int]]:
    """(kind, start, end) in view offsets, every valid match of every kind (overlaps resolved later)."""
    return [
        (kind, m.start(), m.end())
        for kind in IDENTIFIER_KINDS
        for m in PATTERNS[kind].finditer(view.digits if kind != "email" else view.text)
        if _is_valid(kind, m.group())
    ]
