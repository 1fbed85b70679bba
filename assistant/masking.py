"""Personal-data masking for text that leaves the organisation, and restoring it in the answer.

The detectors are hand-written: no maintained library recognises マイナンバー and 法人番号 with
their official check digits, Japanese fixed / mobile / toll-free phone formats (including
full-width digits) or 〒 postal codes — general PII tools (e.g. Presidio) ship recognisers for
other countries' identifiers and would need these same rules written as custom recognisers.

Check digits follow the official algorithms:
- 個人番号: 総務省令（平成26年総務省令第85号）第5条 — check = 11 − (Σ Pn×Qn mod 11), 0 when the
  remainder is ≤ 1; Pn is the n-th digit from the right of the first 11 digits, Qn = n+1 (n ≤ 6),
  n−5 (n ≥ 7).
- 法人番号: 財務省令（平成26年財務省令第70号）第2条 — the first digit = 9 − (Σ Pn×Qn mod 9); Pn is
  the n-th digit from the right of the 12-digit base number, Qn = 1 (n odd), 2 (n even).

Values are replaced by placeholders such as `［個人番号1］`; the same value gets the same
placeholder within one `Masker`, and `Masker.unmask` / `StreamRestorer` put the originals back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KIND_LABELS = {
    "my_number": "個人番号",
    "corporate_number": "法人番号",
    "email": "メール",
    "phone": "電話番号",
    "postal_code": "郵便番号",
}
_PRIORITY = list(KIND_LABELS)  # earlier kinds win when two matches overlap

# A 1:1 character folding (full-width digits, letters, hyphens, brackets → ASCII) so that a span
# found in the folded copy is the same span in the original text.
_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
        **dict.fromkeys("－‐‑–—−ーｰ", "-"),
        "（": "(",
        "）": ")",
        "＋": "+",
        "　": " ",
        "＠": "@",
        "．": ".",
        "＿": "_",
        "％": "%",
    }
)

_NOT_BEFORE = r"(?<![\d+])(?<!\d-)"
_NOT_IN_GROUPS = r"(?<!\d )"  # not the tail of a longer space-grouped number
_NOT_AFTER = r"(?!\d)(?!-\d)"

_PATTERNS = {
    "my_number": re.compile(_NOT_BEFORE + _NOT_IN_GROUPS + r"\d{4}[- ]?\d{4}[- ]?\d{4}" + _NOT_AFTER),
    "corporate_number": re.compile(_NOT_BEFORE + _NOT_IN_GROUPS + r"\d(?:[- ]?\d{4}){3}" + _NOT_AFTER),
    "email": re.compile(
        r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
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

_PLACEHOLDER = re.compile(r"[［\[](" + "|".join(KIND_LABELS.values()) + r")([0-9０-９]+)[］\]]")
_MAX_PLACEHOLDER_LEN = 12


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


def _canonical(kind: str, text: str) -> str:
    return text.lower() if kind == "email" else re.sub(r"\D", "", text)


@dataclass(frozen=True)
class Found:
    kind: str
    start: int
    end: int


def find_personal_data(text: str) -> list[Found]:
    """Non-overlapping detections in `text`, in text order."""
    folded = text.translate(_FOLD)
    candidates = [
        Found(kind, m.start(), m.end())
        for kind in _PRIORITY
        for m in _PATTERNS[kind].finditer(folded)
        if _is_valid(kind, m.group())
    ]
    taken: list[Found] = []
    for cand in candidates:  # already in priority order
        if all(cand.end <= t.start or cand.start >= t.end for t in taken):
            taken.append(cand)
    return sorted(taken, key=lambda f: f.start)


class Masker:
    """Masks one request; remembers which placeholder stands for which original value."""

    def __init__(self) -> None:
        self._placeholders: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}
        self._numbers: dict[str, int] = dict.fromkeys(KIND_LABELS, 0)

    @property
    def counts(self) -> dict[str, int]:
        """Distinct values masked so far, by kind (only kinds that occurred)."""
        return {kind: n for kind, n in self._numbers.items() if n}

    def mask(self, text: str) -> str:
        out: list[str] = []
        pos = 0
        folded = text.translate(_FOLD)
        for found in find_personal_data(text):
            value = text[found.start : found.end]
            key = (found.kind, _canonical(found.kind, folded[found.start : found.end]))
            placeholder = self._placeholders.get(key)
            if placeholder is None:
                self._numbers[found.kind] += 1
                placeholder = f"［{KIND_LABELS[found.kind]}{self._numbers[found.kind]}］"
                self._placeholders[key] = placeholder
                self._originals[placeholder] = value
            out.append(text[pos : found.start])
            out.append(placeholder)
            pos = found.end
        out.append(text[pos:])
        return "".join(out)

    def unmask(self, text: str) -> str:
        """Put the original values back (also for `[電話番号1]` or full-width digits)."""

        def restore(m: re.Match[str]) -> str:
            key = f"［{m.group(1)}{m.group(2).translate(_FOLD)}］"
            return self._originals.get(key, m.group(0))

        return _PLACEHOLDER.sub(restore, text) if self._originals else text

    def restorer(self) -> StreamRestorer:
        return StreamRestorer(self)


class StreamRestorer:
    """Unmasks streamed text, holding back a possible placeholder split across tokens."""

    def __init__(self, masker: Masker):
        self._masker = masker
        self._pending = ""

    def feed(self, text: str) -> str:
        buffer = self._pending + text
        cut = max(buffer.rfind("［"), buffer.rfind("["))
        if cut >= 0 and _could_be_placeholder(buffer[cut:]):
            self._pending = buffer[cut:]
            buffer = buffer[:cut]
        else:
            self._pending = ""
        return self._masker.unmask(buffer)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return self._masker.unmask(rest)


def _could_be_placeholder(tail: str) -> bool:
    """True if `tail` (starting with a bracket) may still grow into a placeholder."""
    if len(tail) > _MAX_PLACEHOLDER_LEN or "］" in tail or "]" in tail:
        return False
    body = tail[1:]
    for label in KIND_LABELS.values():
        if label.startswith(body):
            return True
        if body.startswith(label) and all(c.isdigit() for c in body[len(label) :]):
            return True
    return False
