"""Evaluators' own datasets: one item per row of a CSV, XLSX or JSONL file, with Japanese or English headers.

Column mapping per task (headers are compared after NFKC, trimming and lower-casing; * = required):

- any task: id / 番号 → the item id (else the row number)
- ask:     question / 質問 *            → input.question
           reference / 正解             → expected.reference
           sources / 出典               → expected.sources (`;` or `；` separated titles or file names)
           answerable / 回答可能        → expected.answerable (true/false, はい/いいえ, 1/0, ○/×; default true)
- reply:   subject / 件名               → input.subject
           requester / sender / 照会元  → input.sender
           inquiry / 照会内容 *         → input.content
           asked_on / 照会日            → input.asked_on (和暦 or ISO, read as an ISO date)
           reference_no / 照会番号      → input.reference
           reference / 正解回答         → expected.reference
           section / 正解所管課         → expected.section
- minutes: transcript / 発言 *          → input.transcript (the text, or a transcript file path relative to the
                                          dataset file: .txt .md .vtt .srt .json, or .docx read into
                                          「話者：発言」 lines)
           max_chars / 字数             → input.max_chars and expected.max_chars (an integer; "200字" is read)
           reference / 正解要約         → expected.reference

Row numbers in BadRow are 1-based lines of the file (the header is row 1 for CSV and XLSX; for JSONL the
line number). CSV encodings (UTF-8, UTF-8 with BOM, cp932) are detected by ingest/encoding.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import UnsupportedFile, YakubaError
from evals.datasets.files import file_sha256, require_file
from evals.types import BadRow, Dataset, Item
from ingest.encoding import decode_bytes, read_text


class RowError(ValueError):
    """A cell that cannot be used; the message (Japanese) becomes the BadRow reason."""


@dataclass(frozen=True)
class Column:
    key: str  # where the value goes: "input.question", "expected.reference", …
    names: tuple[str, ...]  # accepted headers, English and Japanese
    required: bool = False
    convert: str = "text"  # text | sources | bool | int | transcript | date


ID_COLUMN = Column("id", ("id", "番号"))

MAPPINGS: dict[str, tuple[Column, ...]] = {
    "ask": (
        Column("input.question", ("question", "質問"), required=True),
        Column("expected.reference", ("reference", "正解")),
        Column("expected.sources", ("sources", "出典"), convert="sources"),
        Column("expected.answerable", ("answerable", "回答可能"), convert="bool"),
    ),
    "reply": (
        Column("input.subject", ("subject", "件名")),
        Column("input.sender", ("requester", "sender", "照会元")),
        Column("input.content", ("inquiry", "照会内容"), required=True),
        Column("input.asked_on", ("asked_on", "照会日"), convert="date"),
        Column("input.reference", ("reference_no", "照会番号")),
        Column("expected.reference", ("reference", "正解回答")),
        Column("expected.section", ("section", "正解所管課")),
    ),
    "minutes": (
        Column("input.transcript", ("transcript", "発言"), required=True, convert="transcript"),
        Column("input.max_chars", ("max_chars", "字数"), convert="int"),
        Column("expected.reference", ("reference", "正解要約")),
    ),
}

_TRUE = {"true", "yes", "y", "1", "はい", "○", "〇", "◯", "可", "t"}
_FALSE = {"false", "no", "n", "0", "いいえ", "×", "✕", "x", "不可", "f"}
_TRANSCRIPT_SUFFIXES = (".txt", ".md", ".text", ".vtt", ".srt", ".json", ".docx")


def _norm(header: Any) -> str:
    return unicodedata.normalize("NFKC", str(header or "")).strip().lower()


def load_table(path: Path, task: str = "ask", *, name: str | None = None) -> Dataset:
    """Items for `task` from a CSV/XLSX/JSONL file; bad rows are reported, the others load."""
    path = require_file(Path(path))
    if task not in MAPPINGS:
        raise YakubaError(f"表形式データセットのタスク「{task}」には対応していません（対応: {', '.join(MAPPINGS)}）。")
    headers, rows = _read_rows(path)
    columns = (ID_COLUMN, *MAPPINGS[task])
    found = {_norm(h): h for h in headers if _norm(h)}
    where = {c.key: next((found[n] for n in c.names if n in found), None) for c in columns}
    missing = [c for c in columns if c.required and where[c.key] is None]
    if missing:
        raise YakubaError(
            f"{path.name}: 必須の列がありません（{'、'.join('/'.join(c.names) for c in missing)}）。"
            f" 見つかった列: {'、'.join(map(str, headers)) or 'なし'}。"
            f" タスク「{task}」で使える列: {_expected_columns(columns)}。"
        )
    items: list[Item] = []
    bad: list[BadRow] = []
    ids: set[str] = set()
    for number, row in rows:
        if isinstance(row, BadRow):
            bad.append(row)
            continue
        if all(_blank(v) for v in row.values()):
            continue
        try:
            item = _item(number, row, columns, where, path.parent)
        except RowError as exc:
            bad.append(BadRow(number, str(exc)))
            continue
        if item.id in ids:
            bad.append(BadRow(number, f"番号「{item.id}」が重複しています。"))
            continue
        ids.add(item.id)
        items.append(item)
    if not items:
        reasons = "；".join(f"{b.row}行目: {b.reason}" for b in bad[:3])
        raise YakubaError(
            f"{path.name}: 使える行がありません。{reasons + '。' if reasons else ''}"
            f" 見つかった列: {'、'.join(map(str, headers)) or 'なし'}。"
            f" タスク「{task}」で使える列: {_expected_columns(columns)}。"
        )
    return Dataset(name=name or path.stem, path=str(path), sha256=file_sha256(path), items=items, bad_rows=bad)


def _expected_columns(columns: tuple[Column, ...]) -> str:
    return "、".join("/".join(c.names) + ("（必須）" if c.required else "") for c in columns)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _item(number: int, row: dict[str, Any], columns: tuple[Column, ...], where: dict[str, str | None],
          base: Path) -> Item:
    item = Item(id=str(number), input={}, expected={})
    cells = {_norm(key): (key, value) for key, value in row.items() if not _blank(value)}
    for column in columns:
        # JSONL records may each use their own (English or Japanese) keys, so look the column up per row.
        header, value = next((cells[n] for n in column.names if n in cells), (where[column.key], None))
        if _blank(value):
            if column.required:
                raise RowError(f"必須の列「{header}」が空です。")
            continue
        converted = _CONVERTERS[column.convert](value, header or "", base)
        if column.key == "id":
            item.id = converted
            continue
        part, field = column.key.split(".", 1)
        getattr(item, part)[field] = converted
        if field == "max_chars":
            item.expected["max_chars"] = converted
    return item


def _text(value: Any, header: str, base: Path) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _sources(value: Any, header: str, base: Path) -> list[str]:
    if isinstance(value, list):  # JSONL may give a list
        return [str(part).strip() for part in value if str(part).strip()]
    return [part.strip() for part in re.split(r"[;；]", str(value)) if part.strip()]


def _bool(value: Any, header: str, base: Path) -> bool:
    if isinstance(value, bool):
        return value
    text = _norm(_text(value, header, base))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RowError(f"「{header}」の値「{value}」を判定できません（true/false、はい/いいえ、1/0、○/× のいずれか）。")


def _date(value: Any, header: str, base: Path) -> str:
    from datetime import date, datetime

    from core.wareki import parse_date

    if isinstance(value, datetime | date):  # an XLSX date cell
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    iso = parse_date(str(value))
    if iso is None:
        raise RowError(f"「{header}」の値「{value}」を日付として読み取れません（例: 令和7年4月1日、2025-04-01）。")
    return iso


def _int(value: Any, header: str, base: Path) -> int:
    if isinstance(value, bool):
        raise RowError(f"「{header}」の値「{value}」は字数ではありません。")
    if isinstance(value, int | float) and float(value).is_integer() and value > 0:
        return int(value)
    match = re.fullmatch(r"\s*(\d+)\s*(?:字(?:以内)?)?\s*", unicodedata.normalize("NFKC", str(value)))
    if not match or int(match.group(1)) <= 0:
        raise RowError(f"「{header}」の値「{value}」は正の整数（字数）ではありません。")
    return int(match.group(1))


def _transcript(value: Any, header: str, base: Path) -> str:
    text = str(value).strip()
    if "\n" not in text and len(text) < 260:
        candidate = base / text
        if candidate.is_file():
            try:
                docx = candidate.suffix.lower() == ".docx"
                return _docx_transcript(candidate) if docx else read_text(candidate)
            except YakubaError as exc:
                raise RowError(f"発言ファイル「{text}」を読み込めません（{exc.message}）。") from exc
        if text.lower().endswith(_TRANSCRIPT_SUFFIXES):
            raise RowError(f"発言ファイル「{text}」が見つかりません（データセットのファイルと同じフォルダーからの相対パス）。")
    return text


def _docx_transcript(path: Path) -> str:
    """A DOCX transcript (e.g. Teams' export) as 「話者：発言」 lines, the text form the minutes task reads."""
    from assistant.minutes.transcripts import read_transcript_file

    return "\n".join(f"{t.speaker}：{t.text}" for t in read_transcript_file(path).turns)


_CONVERTERS: dict[str, Callable[[Any, str, Path], Any]] = {
    "text": _text, "sources": _sources, "bool": _bool, "int": _int, "transcript": _transcript, "date": _date,
}


def _read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any] | BadRow]]]:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _csv_rows(path)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_rows(path)
    raise UnsupportedFile(f"{path.name}: 対応していない形式です（CSV、XLSX、JSONL のいずれかにしてください）。")


def _csv_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    try:
        text = decode_bytes(path.read_bytes(), name=path.name)
    except UnsupportedFile as exc:
        raise YakubaError(f"{path.name}: 文字コードを判別できません（{exc.message}）。") from exc
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    lines = list(csv.reader(io.StringIO(text, newline=""), dialect=dialect))
    if not lines:
        return [], iter(())
    headers = [h.strip() for h in lines[0]]
    return headers, ((n, dict(zip(headers, cells, strict=False))) for n, cells in enumerate(lines[1:], start=2))


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise YakubaError(f"{path.name}: Excel ファイルとして読み込めません（{exc}）。") from exc
    try:
        values = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    if not values:
        return [], iter(())
    headers = ["" if h is None else str(h).strip() for h in values[0]]
    return headers, ((n, dict(zip(headers, cells, strict=False))) for n, cells in enumerate(values[1:], start=2))


def _jsonl_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any] | BadRow]]]:
    rows: list[tuple[int, dict[str, Any] | BadRow]] = []
    headers: list[str] = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            rows.append((number, BadRow(number, "JSON として読み込めない行です。")))
            continue
        if not isinstance(record, dict):
            rows.append((number, BadRow(number, "行が JSON オブジェクトではありません。")))
            continue
        headers.extend(k for k in record if k not in headers)
        rows.append((number, record))
    return headers, iter(rows)
