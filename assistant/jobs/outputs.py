"""Outputs of a batch job: an XLSX and a CSV with one row per inquiry (Japanese header row), and a zip holding both
plus one DOCX per reply draft in the official layout (rendered by `assistant.exports.reply_docx`).

Rows of the reply task: the input fields, 所管課案, 回答案 (本文 and 記), 根拠, 要確認事項, 機密性, the backend that
produced the draft and the row's state (with the reason of a failure). Rows of another task: 照会内容, 回答, 根拠.
Cells that a spreadsheet would read as a formula are written as text.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

STATE_LABELS = {
    "pending": "未処理",
    "running": "処理中",
    "done": "完了",
    "failed": "失敗",
    "cancelled": "取消",
}
REPLY_COLUMNS = (
    "行", "状態", "件名", "照会元", "照会元の課", "照会日", "照会番号", "照会内容", "回答期限", "所管課",
    "所管課案", "回答案", "根拠", "要確認事項", "機密性", "作成方法", "エラー",
)  # fmt: skip
GENERIC_COLUMNS = ("行", "状態", "照会内容", "回答", "根拠", "作成方法", "エラー")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')


@dataclass
class OutputRow:
    """One item as the outputs show it (its result already filtered for the reader)."""

    row: int
    state: str
    input: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None = None
    withheld: str | None = None  # the message shown instead of a result the reader may not see


def _sources_text(sources: list[dict[str, Any]]) -> str:
    lines = []
    for s in sources:
        detail = "、".join(
            str(part)
            for part in (s.get("location"), s.get("date"), s.get("sender"), s.get("section"))
            if part
        )
        lines.append(f"[{s.get('n', '')}] {s.get('title', '')}" + (f"（{detail}）" if detail else ""))
    return "\n".join(lines)


def _answer_text(result: dict[str, Any]) -> str:
    """本文 and 記 of a reply draft."""
    lines = [result.get("opening", ""), "", "記", ""]
    for item in result.get("items") or []:
        answer = item.get("answer") or f"（要確認）{item.get('note', '')}".rstrip()
        lines.append(f"{item.get('number', '')}　{answer}")
    return "\n".join(lines).strip()


def _open_points(result: dict[str, Any]) -> str:
    points = list(result.get("open_points") or [])
    return "\n".join(f"・{p}" for p in points)


def _sections(result: dict[str, Any]) -> str:
    return "、".join(
        f"{s['section']}（{round(float(s.get('confidence', 0)) * 100)}%）"
        for s in result.get("section_suggestions") or []
        if s.get("section")
    )


def _made_by(result: dict[str, Any]) -> str:
    mode = "抽出モード" if result.get("mode") == "extractive" else "生成"
    return f"{result.get('backend', '')}（{mode}）" if result.get("backend") else ""


def reply_row(item: OutputRow) -> list[Any]:
    inp, result = item.input, item.result or {}
    cells: list[Any] = [
        item.row, STATE_LABELS.get(item.state, item.state), inp.get("subject", ""), inp.get("sender", ""),
        inp.get("sender_section", ""), inp.get("asked_on") or "", inp.get("reference", ""), inp.get("content", ""),
        inp.get("due_on") or "", inp.get("section", ""),
    ]  # fmt: skip
    if item.withheld:
        return [*cells, "", item.withheld, "", "", "", "", item.error or ""]
    if not result:
        return [*cells, "", "", "", "", "", "", item.error or ""]
    return [
        *cells, _sections(result), _answer_text(result), _sources_text(result.get("sources") or []),
        _open_points(result), result.get("classification", ""), _made_by(result), item.error or "",
    ]  # fmt: skip


def generic_row(item: OutputRow) -> list[Any]:
    inp, result = item.input, item.result or {}
    question = next((inp[k] for k in ("content", "question", "text") if inp.get(k)), "")
    answer = item.withheld or result.get("answer") or result.get("text") or ""
    sources = [] if item.withheld else result.get("citations") or result.get("sources") or []
    made_by = "" if item.withheld else _made_by(result)
    return [
        item.row, STATE_LABELS.get(item.state, item.state), question, answer, _sources_text(sources), made_by,
        item.error or "",
    ]  # fmt: skip


def table(task: str, items: Iterable[OutputRow]) -> tuple[tuple[str, ...], list[list[Any]]]:
    if task == "reply":
        return REPLY_COLUMNS, [reply_row(i) for i in items]
    return GENERIC_COLUMNS, [generic_row(i) for i in items]


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(columns: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark (Excel on Windows opens it as UTF-8)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([_safe(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(columns: tuple[str, ...], rows: list[list[Any]], title: str = "一括作成結果") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for values in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.alignment = wrap
    widths = {"照会内容": 50, "回答案": 70, "回答": 70, "根拠": 50, "要確認事項": 40, "エラー": 30}
    for index, name in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = widths.get(name, 14)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def docx_name(item: OutputRow) -> str:
    subject = _UNSAFE_NAME.sub("_", str(item.input.get("subject") or "回答案"))[:40].strip("_") or "回答案"
    return f"回答案/{item.row:05d}_{subject}.docx"


def to_zip(task: str, items: list[OutputRow], stem: str = "一括作成結果") -> bytes:
    """XLSX, CSV and (for reply drafts) one DOCX per done row, marked 「案」 (not approved)."""
    columns, rows = table(task, items)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.xlsx", to_xlsx(columns, rows))
        archive.writestr(f"{stem}.csv", to_csv(columns, rows))
        if task == "reply":
            for name, data in reply_docx_files(items):
                archive.writestr(name, data)
    return out.getvalue()


def reply_docx_files(items: list[OutputRow]) -> Iterable[tuple[str, bytes]]:
    try:
        from assistant.exports.reply_docx import render_reply_docx
    except ImportError:
        log.warning("assistant.exports.reply_docx is not available: the zip holds no DOCX files")
        return
    from assistant.tasks.reply_models import ReplyDraft

    for item in items:
        if item.state == "done" and item.result and not item.withheld:
            yield docx_name(item), render_reply_docx(ReplyDraft.model_validate(item.result), approved=False)
