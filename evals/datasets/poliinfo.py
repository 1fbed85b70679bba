"""Loaders for NTCIR QA Lab-PoliInfo data (Tokyo Metropolitan Assembly).

- PoliInfo-3 Question Answering (a JSON list of {ID, Meeting, Date, Headlines, SubTopic, QuestionSpeaker,
  QuestionSummary, AnswerSpeaker, AnswerSummary}): items for the `reply` task — the question summary is the
  inquiry, the answer summary the reference reply and the answering official (知事, 局長 …) the section.
  `since` / `until` keep only items whose Date year is in that range (inclusive): a date split. Item inputs are
  the fields of `ReplyInput` (subject = SubTopic, sender = QuestionSpeaker, asked_on = Date, content =
  QuestionSummary). `past_until` (a year) makes the records up to that year the dataset's corpus: past inquiries
  and their answers as inquiry records (the same fields as `ingest/loaders/records.py` reads from a ledger, 所管課 =
  AnswerSpeaker), which the reply task searches for similar inquiries and cites.
- PoliInfo-1 Summarization (a JSON list of {ID, Source, Summary, Length, …}): items for the `minutes` task —
  the verbatim speech (`Source`, lines joined by a literal backslash-n) and a length limit such as 100字以内.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from core.errors import YakubaError
from evals.datasets.files import file_sha256, read_json, require_file
from evals.types import BadRow, Dataset, Item

_LENGTH = re.compile(r"(\d+)\s*字")


def _records(path: Path, what: str) -> list[Any]:
    data = read_json(path)
    if not isinstance(data, list):
        raise YakubaError(f"{path}: {what} の形式ではありません（JSON の配列が必要です）。")
    return data


RECORD_COLUMNS = ["番号", "照会日", "照会元", "所管課", "件名", "照会内容", "回答内容"]


def past_records(records: list[Any], until: int) -> list[Any]:
    """PoliInfo-3 records dated up to `until` (inclusive) as inquiry-record Documents, one source per year."""
    from ingest.loaders.records import records_to_documents

    by_year: dict[str, list[list[str]]] = {}
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            continue
        date = str(record.get("Date") or "").strip()
        question, answer = (str(record.get(k) or "").strip() for k in ("QuestionSummary", "AnswerSummary"))
        if not re.match(r"\d{4}", date) or int(date[:4]) > until or not question or not answer:
            continue
        row = [str(record.get("ID") or n), date, str(record.get("QuestionSpeaker") or ""),
               str(record.get("AnswerSpeaker") or ""), str(record.get("SubTopic") or ""), question, answer]
        by_year.setdefault(date[:4], []).append(row)
    documents = []
    for year, rows in sorted(by_year.items()):
        documents += records_to_documents([RECORD_COLUMNS, *rows], f"poliinfo3_qa/{year}")
    return documents


def load_poliinfo3(path: Path, *, since: int | None = None, until: int | None = None,
                   past_until: int | None = None, name: str | None = None) -> Dataset:
    path = require_file(Path(path))
    items: list[Item] = []
    bad: list[BadRow] = []
    records = _records(path, "PoliInfo-3 QA")
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            bad.append(BadRow(n, "項目がオブジェクトではありません。"))
            continue
        question = str(record.get("QuestionSummary") or "").strip()
        answer = str(record.get("AnswerSummary") or "").strip()
        date = str(record.get("Date") or "").strip()
        if not question or not answer:
            bad.append(BadRow(n, "QuestionSummary または AnswerSummary が空です。"))
            continue
        year = int(date[:4]) if re.match(r"\d{4}", date) else None
        if (since is not None or until is not None) and year is None:
            bad.append(BadRow(n, f"日付（Date）「{date}」から年を読み取れないため、期間で絞り込めません。"))
            continue
        if (since is not None and year < since) or (until is not None and year > until):
            continue
        item_input: dict[str, Any] = {"content": question}
        if record.get("SubTopic"):
            item_input = {"subject": str(record["SubTopic"]).strip(), **item_input}
        if record.get("QuestionSpeaker"):
            item_input["sender"] = str(record["QuestionSpeaker"]).strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            item_input["asked_on"] = date
        expected = {"reference": answer}
        if record.get("AnswerSpeaker"):
            expected["section"] = str(record["AnswerSpeaker"]).strip()
        meta = {"date": date, "meeting": record.get("Meeting", ""), "headlines": record.get("Headlines", [])}
        items.append(Item(id=str(record.get("ID") or n), input=item_input, expected=expected, meta=meta))
    if not items:
        raise YakubaError(f"{path}: 条件に合う質問がありません（期間 {since or ''}〜{until or ''}）。")
    corpus = past_records(records, past_until) if past_until is not None else None
    return Dataset(name=name or "poliinfo3_qa", path=str(path), sha256=file_sha256(path), items=items,
                   bad_rows=bad, corpus=corpus)


def parse_length(value: Any) -> int | None:
    """"100字以内" → 100; an int stays; anything else → None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    match = _LENGTH.search(unicodedata.normalize("NFKC", str(value or "")))
    if match is None and re.fullmatch(r"\s*\d+\s*", str(value or "")):
        return int(str(value)) or None
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def load_poliinfo1(path: Path, *, name: str | None = None) -> Dataset:
    path = require_file(Path(path))
    items: list[Item] = []
    bad: list[BadRow] = []
    for n, record in enumerate(_records(path, "PoliInfo-1 要約"), start=1):
        if not isinstance(record, dict):
            bad.append(BadRow(n, "項目がオブジェクトではありません。"))
            continue
        source = str(record.get("Source") or "").replace("\\n", "\n").strip()
        summary = str(record.get("Summary") or "").strip()
        max_chars = parse_length(record.get("Length"))
        if not source or not summary:
            bad.append(BadRow(n, "Source または Summary が空です。"))
            continue
        if max_chars is None:
            bad.append(BadRow(n, f"字数（Length）「{record.get('Length')}」を読み取れません（例: 100字以内）。"))
            continue
        meta = {key: record[key] for key in ("Date", "Meeting", "Speaker", "MainTopic", "SubTopic") if key in record}
        items.append(Item(
            id=str(record.get("ID") or n),
            input={"transcript": source, "max_chars": max_chars},
            expected={"reference": summary, "max_chars": max_chars},
            meta={k.lower(): v for k, v in meta.items()},
        ))
    if not items:
        raise YakubaError(f"{path}: 読み込める要約の項目がありません（Source・Summary・Length が必要です）。")
    return Dataset(name=name or "poliinfo1_summarization", path=str(path), sha256=file_sha256(path),
                   items=items, bad_rows=bad)
