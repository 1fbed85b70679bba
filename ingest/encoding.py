"""Character-encoding detection for text files (UTF-8, UTF-8/UTF-16 with BOM, cp932 …).

Japanese offices still produce Shift_JIS (in practice cp932, Microsoft's superset with ①, ㈱, 髙 …)
files, so after the BOM and strict UTF-8 checks a legacy guess from charset-normalizer is accepted
when it is a Japanese encoding; any other legacy guess loses to cp932 when the bytes decode as cp932.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from core.errors import UnsupportedFile

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Python names of Japanese legacy encodings as charset-normalizer reports them.
_JAPANESE = {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "iso2022_jp"}
# Shift_JIS is decoded as its superset cp932 (the bytes Windows actually writes).
_SUPERSET = {"shift_jis": "cp932"}
# C0/C1 control characters other than tab, line and page breaks and the old DOS end-of-file mark.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f]")
_MAX_CONTROL_RATIO = 0.01
_EUC_BYTES = re.compile(rb"(?:[\x00-\x7f]|[\xa1-\xfe]{2}|\x8e[\xa1-\xdf]|\x8f[\xa1-\xfe]{2})*")


def read_text(path: Path) -> str:
    """Read a text file whatever its encoding; a binary or undecodable file raises UnsupportedFile."""
    return decode_bytes(Path(path).read_bytes(), name=Path(path).name)


def decode_bytes(data: bytes, name: str = "file", declared: str | None = None) -> str:
    """Decode bytes of a text file. `declared` is an encoding the file names itself (HTML meta charset)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):  # the BOM settles the encoding; a stray bad byte becomes U+FFFD
            return _checked(data.decode(encoding, errors="replace"), name)
    if b"\x00" in data:
        raise UnsupportedFile(
            f"{name} is a binary file (it contains NUL bytes), not text. "
            "Save it in its proper format (PDF, DOCX, XLSX …) or as plain text and ingest it again."
        )
    if declared:
        encoding = _python_codec(declared)
        if encoding:
            try:
                return _checked(data.decode(encoding), name)
            except (UnicodeDecodeError, LookupError):  # a wrong declaration, or not a text codec
                pass
    if b"\x1b$B" in data or b"\x1b$@" in data:  # ISO-2022-JP (JIS) escapes are pure ASCII bytes
        try:
            return _checked(data.decode("iso2022_jp"), name)
        except UnicodeDecodeError:
            pass
    try:
        return _checked(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        pass
    return _checked(_decode_legacy(data, name), name)


def _decode_legacy(data: bytes, name: str) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    guess = _python_codec(best.encoding) if best is not None else None
    if guess in _JAPANESE:
        try:
            return data.decode(guess)
        except UnicodeDecodeError:
            pass
    if _EUC_BYTES.fullmatch(data):
        try:  # every high byte in EUC-JP's range: real cp932 kanji text nearly always has lower trail bytes
            return data.decode("euc_jp")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        pass
    if best is not None and guess:
        return str(best)
    raise UnsupportedFile(
        f"The character encoding of {name} could not be recognised (tried UTF-8, Shift_JIS/cp932 and "
        "automatic detection); it may be a binary file. Save it as UTF-8 text and ingest it again."
    )


def _python_codec(label: str) -> str | None:
    """Python's canonical codec name for an encoding label, or None when Python has no such codec."""
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    return _SUPERSET.get(name, name)


def _checked(text: str, name: str) -> str:
    """Reject decoded text that is full of control characters (a binary file that happened to decode)."""
    if text and len(_CONTROL.findall(text)) / len(text) > _MAX_CONTROL_RATIO:
        raise UnsupportedFile(
            f"{name} looks like a binary file (it is full of control characters), not text. "
            "Save it in its proper format or as plain text and ingest it again."
        )
    return text
