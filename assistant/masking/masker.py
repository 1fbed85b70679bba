"""Placeholders for personal data in text that leaves the organisation, and restoring them in the answer.

Values are replaced by placeholders such as `［個人番号1］` or `［氏名2］`; the same value gets the same
placeholder within one `Masker`, and `Masker.unmask` / `StreamRestorer` put the originals back.
"""

from __future__ import annotations

import re

from assistant.masking.detect import KIND_LABELS, Detector

_PLACEHOLDER = re.compile(r"[［\[](" + "|".join(KIND_LABELS.values()) + r")([0-9０-９]+)[］\]]")
_MAX_PLACEHOLDER_LEN = 12
_WIDE_DIGITS = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)})


class Masker:
    """Masks one request; remembers which placeholder stands for which original value.

    Without a `detector`, what to mask (names, addresses, the analyser) comes from the settings.
    """

    def __init__(self, detector: Detector | None = None) -> None:
        self._detector = detector or detector_from_settings()
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
        for found in self._detector.find(text):
            key = (found.kind, found.value)
            placeholder = self._placeholders.get(key)
            if placeholder is None:
                self._numbers[found.kind] += 1
                placeholder = f"［{KIND_LABELS[found.kind]}{self._numbers[found.kind]}］"
                self._placeholders[key] = placeholder
                self._originals[placeholder] = text[found.start : found.end]
            out.append(text[pos : found.start])
            out.append(placeholder)
            pos = found.end
        out.append(text[pos:])
        return "".join(out)

    def unmask(self, text: str) -> str:
        """Put the original values back (also for `[電話番号1]` or full-width digits)."""

        def restore(m: re.Match[str]) -> str:
            key = f"［{m.group(1)}{m.group(2).translate(_WIDE_DIGITS)}］"
            return self._originals.get(key, m.group(0))

        return _PLACEHOLDER.sub(restore, text) if self._originals else text

    def restorer(self) -> StreamRestorer:
        return StreamRestorer(self)


def detector_from_settings() -> Detector:
    from assistant.config import get_settings

    settings = get_settings()
    return Detector(
        names=settings.mask_person_names,
        addresses=settings.mask_addresses,
        analyser=settings.masking_analyser,
    )


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
