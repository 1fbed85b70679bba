"""Writers for the plain formats: text in a chosen encoding, CSV, JSON Lines and access-label sidecars."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ingest.labels import SIDECAR_NAME


def write_text(path: Path, text: str, encoding: str = "utf-8", line_end: str = "\n") -> Path:
    """Write text in `encoding` (cp932 raises if a character has no Shift_JIS code) with the given line ends."""
    path.write_bytes(text.replace("\n", line_end).encode(encoding))
    return path


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> Path:
    """Write a CSV the way spreadsheet software exports it (CRLF, quoting only where needed)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    return write_text(path, "\n".join(lines) + "\n")


def write_sidecar(folder: Path, classification: int, groups: list[str]) -> Path:
    """Write the folder's access labels, e.g. `{"classification": 2, "groups": ["財政課"]}`."""
    data = {"classification": classification, "groups": groups}
    return write_text(folder / SIDECAR_NAME, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
