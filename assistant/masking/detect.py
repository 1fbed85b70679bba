"""Finding personal data in a text: identifiers, personal names and street addresses, with offsets into
the text as written (see view.py)."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.masking.identifiers import IDENTIFIER_KINDS, canonical_identifier, find_identifiers
from assistant.masking.view import View, detection_view

KIND_LABELS = {
    "my_number": "個人番号",
    "corporate_number": "法人番号",
    "email": "メール",
    "phone": "電話番号",
    "postal_code": "郵便番号",
    "address": "住所",
    "name": "氏名",
}
_PRIORITY = [*IDENTIFIER_KINDS, "address", "name"]  # earlier kinds win when two detections overlap


@dataclass(frozen=True)
class Found:
    kind: str
    start: int  # offsets into the original text
    end: int
    value: str = ""  # canonical value: one value written two ways gets one placeholder


@dataclass(frozen=True)
class Detector:
    """What to look for. Names and addresses need a Japanese analyser ("sudachi" or "ginza")."""

    names: bool = True
    addresses: bool = True
    analyser: str = "sudachi"

    def find(self, text: str) -> list[Found]:
        """Non-overlapping detections in `text`, in text order."""
        view = detection_view(text)
        candidates = [(kind, s, e) for kind, s, e in find_identifiers(view)]
        if (self.names or self.addresses) and view.text.strip():
            candidates += _japanese(view, self)
        candidates.sort(key=lambda c: (_PRIORITY.index(c[0]), c[1]))
        taken: list[tuple[str, int, int]] = []
        occupied = bytearray(len(view.text))  # characters already covered by a detection
        for cand in candidates:
            kind, start, end = cand
            if occupied.find(1, start, end) == -1:
                taken.append(cand)
                occupied[start:end] = b"\x01" * (end - start)
        found = []
        for kind, start, end in sorted(taken, key=lambda t: t[1]):
            o_start, o_end = view.original_span(start, end)
            found.append(Found(kind, o_start, o_end, _canonical(kind, view, start, end)))
        return found


def _japanese(view: View, detector: Detector) -> list[tuple[str, int, int]]:
    from assistant.masking.addresses import find_addresses
    from assistant.masking.analysers import get_analyser
    from assistant.masking.people import find_names

    analysis = get_analyser(detector.analyser).analyse(view.text)
    out: list[tuple[str, int, int]] = []
    if detector.addresses:
        out += [("address", s, e) for s, e in find_addresses(view, analysis)]
    if detector.names:
        out += [("name", s, e) for s, e in find_names(view.text, analysis)]
    return out


def _canonical(kind: str, view: View, start: int, end: int) -> str:
    if kind in ("name", "address"):
        return "".join(view.text[start:end].split())
    if kind == "email":
        return canonical_identifier(kind, view.text[start:end])
    return canonical_identifier(kind, view.digits[start:end])


def find_personal_data(text: str, detector: Detector | None = None) -> list[Found]:
    """Non-overlapping detections in `text` (by default every kind, with Sudachi), in text order."""
    return (detector or Detector()).find(text)
