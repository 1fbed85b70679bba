"""Batch files (CSV in UTF-8 or cp932, XLSX, JSONL): one task input per row, bad rows listed with their reason.

Headers are mapped as for inquiry records (`ingest/loaders/records.py`: the same normalisation and aliases, so
件名, 照会元, 照会日, 所管課, 照会内容 and their variants and English keys are recognised), plus the fields only an
inquiry to answer has: 照会番号, 回答期限 and 照会元の課. The header row is the first of the leading non-empty rows
(at most HEADER_SEARCH_ROWS, so a title row above the table is allowed) that has a 照会内容 column; JSONL records
may each use their own keys. Row numbers are those a spreadsheet shows (the header row of a CSV or XLSX is row 1
when it is the first line; for JSONL the line number).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from core.errors import ColumnMappingError, CorruptFile, InvalidRecord, UnsupportedFile
from core.wareki import parse_date
from ingest.encoding import decode_bytes
from ingest.loaders.records import ALIASES, HEADER_SEARCH_ROWS, normalize_header
from ingest.tables import format_cell

CONTENT, SUBJECT, SENDER, ASKED, SECTION = "照会内容", "件名", "照会元", "照会日", "所管課"
REFERENCE, DUE, SENDER_SECTION, NUMBER = "照会番号", "回答期限", "照会元の課", "番号"
# Fields of an inquiry to answer that past records do not have, and a few more English keys.
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    REFERENCE: ("照会番号", "照会文書番号", "文書番号", "reference", "ref", "documentnumber", "docno"),
    DUE: ("回答期限", "回答期日", "提出期限", "回答締切", "締切", "期限", "due", "duedate", "deadline"),
    SENDER_SECTION: ("照会元の課", "照会元課", "照会課", "照会元担当課", "sendersection"),
    CONTENT: ("inquiry", "content", "text", "照会文"),
    SENDER: ("requester", "from"),
}
FIELDS = (NUMBER, SUBJECT, SENDER, SENDER_SECTION, ASKED, REFERENCE, CONTENT, DUE, SECTION)
_LOOKUP = {
    normalize_header(alias): canonical
    for table in (ALIASES, EXTRA_ALIASES)
    for canonical, aliases in table.items()
    for alias in aliases
}
SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".jsonl", ".ndjson")


@dataclass
class BatchRows:
    """What a batch file gave: (row number, task input) per good row, and the bad rows."""

    inputs: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    bad_rows: list[dict[str, Any]] = field(default_factory=list)  # [{"row": n, "reason": Japanese}]
    headers: list[str] = field(default_factory=list)


class RowError(ValueError):
    """A row that cannot be used; the message (Japanese) is its reason."""


def canonical(header: str) -> str | None:
    return _LOOKUP.get(normalize_header(str(header or "")))


def read_batch(data: bytes, name: str, to_input: Callable[[dict[str, str]], BaseModel]) -> BatchRows:
    """Rows of a batch file → task inputs (`to_input` maps the canonical fields of a row to the task's input)."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in (".csv", ".tsv"):
        headers, rows = _table_rows(_csv_cells(data, name, suffix))
    elif suffix in (".xlsx", ".xlsm"):
        headers, rows = _table_rows(_xlsx_cells(data, name))
    elif suffix in (".jsonl", ".ndjson"):
        headers, rows = _jsonl_rows(data, name)
    else:
        raise UnsupportedFile(
            f"{name}: 対応していない形式です。CSV、XLSX、JSONL のいずれかのファイルを指定してください。"
        )
    result = BatchRows(headers=headers)
    for number, fields in rows:
        if isinstance(fields, RowError):
            result.bad_rows.append({"row": number, "reason": str(fields)})
            continue
        if not any(fields.values()):
            continue
        try:
            result.inputs.append((number, _to_input(fields, to_input)))
        except RowError as exc:
            result.bad_rows.append({"row": number, "reason": str(exc)})
    if not result.inputs:
        reasons = "；".join(f"{b['row']}行目: {b['reason']}" for b in result.bad_rows[:3])
        raise InvalidRecord(f"{name}: 処理できる行がありません。{reasons + '。' if reasons else ''}")
    return result


def _to_input(fields: dict[str, str], to_input: Callable[[dict[str, str]], BaseModel]) -> dict[str, Any]:
    if not fields.get(CONTENT):
        raise RowError("照会内容が空です。")
    for key in (ASKED, DUE):
        if fields.get(key) and parse_date(fields[key]) is None:
            raise RowError(
                f"{key}「{fields[key]}」を日付として読み取れません（例: 2025-04-01、令和7年4月1日）。"
            )
    try:
        return to_input(fields).model_dump(mode="json", exclude_defaults=True)
    except ValidationError as exc:
        raise RowError(_validation_reason(exc)) from exc


def _validation_reason(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(map(str, error["loc"])) or "入力"
    limit = (error.get("ctx") or {}).get("max_length")
    if error["type"] == "string_too_long" and limit:
        return f"{where} が長すぎます（上限 {limit} 文字）。"
    return f"{where} の値が不正です（{error['msg']}）。"


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if isinstance(value, dt.datetime | dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_cell(value)
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value).strip()


def _csv_cells(data: bytes, name: str, suffix: str) -> list[list[str]]:
    try:
        text = decode_bytes(data, name=name)
    except UnsupportedFile as exc:
        raise UnsupportedFile(
            f"{name}: 文字コードを判別できません。UTF-8 または Shift_JIS で保存してください。"
        ) from exc
    dialect = "excel-tab" if suffix == ".tsv" else "excel"
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect=dialect))
    except csv.Error as exc:
        raise CorruptFile(f"{name}: CSV として読み込めません（{exc}）。") from exc


def _xlsx_cells(data: bytes, name: str) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise CorruptFile(
            f"{name}: Excel ファイルとして読み込めません。Excel で開いて保存し直してください。"
        ) from exc
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    except Exception as exc:
        raise CorruptFile(f"{name}: Excel ファイルが破損しているため読み込めません。") from exc
    finally:
        book.close()


def _table_rows(cells: Sequence[Sequence[Any]]) -> tuple[list[str], Iterable[tuple[int, dict[str, str]]]]:
    lines = [[_cell(value) for value in row] for row in cells]
    candidates = [i for i, row in enumerate(lines) if any(row)][:HEADER_SEARCH_ROWS]
    at = next((i for i in candidates if CONTENT in map(canonical, lines[i])), None)
    if at is None:
        first = lines[candidates[0]] if candidates else []
        raise _no_content_column([h for h in first if h])
    headers = lines[at]
    names = [canonical(h) for h in headers]
    rows = []
    for index in range(at + 1, len(lines)):
        fields = dict.fromkeys(FIELDS, "")
        for name, value in zip(names, lines[index], strict=False):
            if name in fields and value and not fields[name]:
                fields[name] = value
        rows.append((index + 1, fields))
    return headers, rows


def _jsonl_rows(data: bytes, name: str) -> tuple[list[str], list[tuple[int, dict[str, str] | RowError]]]:
    text = decode_bytes(data, name=name)
    headers: list[str] = []
    rows: list[tuple[int, dict[str, str] | RowError]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            rows.append((number, RowError("JSON として読み込めない行です。")))
            continue
        if not isinstance(record, dict):
            rows.append((number, RowError("行が JSON オブジェクトではありません。")))
            continue
        headers.extend(str(k) for k in record if str(k) not in headers)
        fields = dict.fromkeys(FIELDS, "")
        for key, value in record.items():
            target = canonical(str(key))
            if target in fields and not fields[target]:
                fields[target] = _cell(value)
        rows.append((number, fields))
    if rows and not any(canonical(h) == CONTENT for h in headers):
        raise _no_content_column(headers)
    return headers, rows


def _no_content_column(found: list[str]) -> ColumnMappingError:
    return ColumnMappingError(
        f"照会内容の列が見つかりません。見つかった列: {'、'.join(found) or 'なし'}。"
        f"照会内容（または {'、'.join(ALIASES[CONTENT][1:] + EXTRA_ALIASES[CONTENT])}）の列が必要です。"
        f"任意の列: {'、'.join(f for f in FIELDS if f != CONTENT)}。"
    )


# --- task inputs ------------------------------------------------------------------------------------------
def reply_input(fields: dict[str, str]) -> BaseModel:
    from assistant.tasks.reply_models import ReplyInput

    return ReplyInput(
        subject=fields.get(SUBJECT, ""),
        sender=fields.get(SENDER, ""),
        sender_section=fields.get(SENDER_SECTION, ""),
        asked_on=parse_date(fields[ASKED]) if fields.get(ASKED) else None,
        reference=fields.get(REFERENCE, ""),
        content=fields[CONTENT],
        due_on=parse_date(fields[DUE]) if fields.get(DUE) else None,
        section=fields.get(SECTION, ""),
    )


def input_builder(task_name: str, input_model: type[BaseModel]) -> Callable[[dict[str, str]], BaseModel]:
    """How a row becomes the input of `task_name`: the reply task takes every field; another task takes
    照会内容 as its question / content / text."""
    if task_name == "reply":
        return reply_input
    target = next((f for f in ("content", "question", "text") if f in input_model.model_fields), None)
    if target is None:
        raise InvalidRecord(f"業務「{task_name}」は一括作成に対応していません。")
    return lambda fields: input_model.model_validate({target: fields[CONTENT]})
