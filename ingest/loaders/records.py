"""Inquiry-record loader (照会・回答の記録) from CSV, XLSX (first sheet) or JSONL: one Document per record.

Column mapping: header cells are normalised (NFKC, lower case, spaces, brackets and punctuation
removed) and looked up in ALIASES, which maps the usual Japanese headers and their variants, and
English keys, to the canonical field names (the keys of `Document.fields`). Columns that map to
nothing, or to a field already taken by an earlier column, are kept under their own header.
照会内容 and 回答内容 are required. The header row is the first of the leading non-empty rows
(at most HEADER_SEARCH_ROWS, so a title row above the table is allowed) whose cells map to both.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from core.errors import ColumnMappingError, CorruptFile
from core.model import Document
from ingest.encoding import read_text
from ingest.tables import format_cell

log = logging.getLogger(__name__)

QUESTION, ANSWER, SUBJECT, ASKED, ANSWERED = "照会内容", "回答内容", "件名", "照会日", "回答日"
ALIASES: dict[str, tuple[str, ...]] = {
    "番号": ("番号", "no", "整理番号", "通し番号", "id"),
    ASKED: ("照会日", "照会年月日", "受付日", "受付年月日", "date"),
    "照会元": ("照会元", "照会者", "照会団体", "団体名", "自治体名", "sender"),
    "所管課": ("所管課", "担当課", "回答課", "所管部署", "担当部署", "section", "department"),
    SUBJECT: ("件名", "表題", "タイトル", "題名", "subject", "title"),
    QUESTION: ("照会内容", "質問", "照会事項", "質問内容", "問", "問い", "question"),
    ANSWER: ("回答内容", "回答", "答", "答え", "answer"),
    ANSWERED: ("回答日", "回答年月日", "answerdate"),
    "区分": ("区分", "分類", "カテゴリ", "カテゴリー", "category"),
}
HEADER_SEARCH_ROWS = 10
_LOOKUP = {alias: canonical for canonical, aliases in ALIASES.items() for alias in aliases}
_STRIP = re.compile(r"[\s\[\]()（）【】「」『』〈〉《》<>＜＞:：.．・_\-*※]")
_TITLE_CHARS = 40


def load_csv(path: Path, source: str) -> list[Document]:
    rows = list(csv.reader(io.StringIO(read_text(path), newline="")))
    return records_to_documents(rows, source)


def load_jsonl(path: Path, source: str) -> list[Document]:
    objects: list[dict] = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorruptFile(
                f"{source}: line {number} is not valid JSON ({exc.msg}). Fix or remove that line and "
                "ingest the file again."
            ) from exc
        if not isinstance(value, dict):
            raise CorruptFile(
                f"{source}: line {number} is not a JSON object; each line must hold one record."
            )
        objects.append(value)
    keys = list(dict.fromkeys(key for obj in objects for key in obj))
    rows = [keys] + [[_json_text(obj.get(key)) for key in keys] for obj in objects]
    return records_to_documents(rows, source)


def load_xlsx(path: Path, source: str) -> list[Document]:
    return records_to_documents(_first_sheet_rows(path, source), source)


def looks_like_records(path: Path) -> bool:
    """True when the first sheet of a workbook has a header row that maps to inquiry-record fields."""
    try:
        rows = _first_sheet_rows(path, path.name, limit=HEADER_SEARCH_ROWS * 5)
    except CorruptFile:
        return False
    return _find_header(rows) is not None


def normalize_header(cell: str) -> str:
    """Header cell as looked up in ALIASES: NFKC, lower case, no spaces, brackets or punctuation."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", cell).lower())


def map_columns(headers: Sequence[str]) -> list[str]:
    """The field name of each column: the canonical name where the header maps, else the header itself
    (made unique with the column number when it repeats a name already taken)."""
    names: list[str] = []
    for number, header in enumerate(headers, start=1):
        canonical = _LOOKUP.get(normalize_header(header))
        name = canonical if canonical and canonical not in names else header.strip() or f"列{number}"
        while name in names:  # a second 回答内容 column must not overwrite the first
            name += f"（{number}）"
        names.append(name)
    return names


def records_to_documents(rows: Sequence[Sequence[str]], source: str) -> list[Document]:
    """One Document per record of a table whose first rows hold the header."""
    found = _find_header(rows)
    if found is None:
        raise _mapping_error(rows, source)
    at, names = found
    documents: list[Document] = []
    for number, row in enumerate(rows[at + 1 :], start=at + 2):
        cells = (_one_newline(value) for value in row)
        fields = {name: value for name, value in zip(names, cells, strict=False) if value}
        if not fields:
            continue
        if not fields.get(QUESTION) and not fields.get(ANSWER):
            log.warning("%s: row %d has neither 照会内容 nor 回答内容; skipped", source, number)
            continue
        documents.append(_record_document(fields, source))
    return documents


def _record_document(fields: dict[str, str], source: str) -> Document:
    from core.wareki import parse_date

    subject, question = fields.get(SUBJECT, ""), fields.get(QUESTION, "")
    lines = [f"件名：{subject}"] if subject else []
    lines += [f"照会内容：{question}", f"回答内容：{fields.get(ANSWER, '')}"]
    parsed = {key: parse_date(fields[key]) for key in (ASKED, ANSWERED) if fields.get(key)}
    first_line = question.splitlines()[0] if question else ""
    title = subject or (first_line[:_TITLE_CHARS] + ("…" if len(first_line) > _TITLE_CHARS else ""))
    return Document(
        text="\n".join(lines),
        source=source,
        title=title,
        doc_type="inquiry",
        date=parsed.get(ANSWERED) or parsed.get(ASKED),
        dates=list(dict.fromkeys(date for date in parsed.values() if date)),
        fields=fields,
        atomic_lines=True,
    )


def _find_header(rows: Sequence[Sequence[str]]) -> tuple[int, list[str]] | None:
    """Index of the header row and the field names of its columns, or None when no row maps."""
    candidates = [i for i, row in enumerate(rows) if any(cell.strip() for cell in row)][:HEADER_SEARCH_ROWS]
    for index in candidates:
        names = map_columns(rows[index])
        if QUESTION in names and ANSWER in names:
            return index, names
    return None


def _mapping_error(rows: Sequence[Sequence[str]], source: str) -> ColumnMappingError:
    first = next((row for row in rows if any(cell.strip() for cell in row)), [])
    found = "、".join(cell.strip() for cell in first if cell.strip()) or "(none)"
    return ColumnMappingError(
        f"The columns of {source} could not be mapped to inquiry-record fields. Headers found: {found}. "
        f"Required: {QUESTION} (or {'/'.join(ALIASES[QUESTION][1:])}) and {ANSWER} (or "
        f"{'/'.join(ALIASES[ANSWER][1:])}); optional: "
        + "、".join(name for name in ALIASES if name not in (QUESTION, ANSWER))
        + ". Rename the header cells and ingest the file again."
    )


def _first_sheet_rows(path: Path, source: str, limit: int | None = None) -> list[list[str]]:
    from ingest.loaders.xlsx import open_workbook

    workbook = open_workbook(path, source, read_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows: Iterable = sheet.iter_rows(values_only=True, max_row=limit)
        return [[_cell_text(value) for value in row] for row in rows]
    except Exception as exc:  # read-only mode parses lazily: damage surfaces while iterating
        raise CorruptFile(
            f"{source} could not be read as an Excel (.xlsx) file; it may be damaged or truncated "
            f"({type(exc).__name__}). Open it in Excel, save it again and re-ingest it."
        ) from exc
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A worksheet cell as record text: line breaks inside answers are kept (unlike table cells)."""
    return value if isinstance(value, str) else format_cell(value)


def _one_newline(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _json_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_cell(value)
    return json.dumps(value, ensure_ascii=False)
