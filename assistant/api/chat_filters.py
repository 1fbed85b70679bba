"""The filters of a chat question: checked (a 422 in Japanese saying what to change), turned into retrieval
scope, described in Japanese for the answer's caption, and kept with the turn.

The turn keeps them in the answer's `usage` record under `filters` (a free-form JSON column): the messages
table has no column of its own for them, and the conversation view reads only the usage fields it knows.
"""

from __future__ import annotations

from datetime import date
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from assistant.api.errors import InvalidInput
from assistant.document_admin import UPLOAD_ID

if TYPE_CHECKING:
    from assistant.api.schemas import ChatFiltersIn

DOC_TYPES = {"policy": "規程・通知等", "inquiry": "照会記録"}
UPLOADED = "アップロード資料"
MAX_SOURCES = 500
STORED_KEY = "filters"


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(
        f"{message}内容を確認して、もう一度お試しください。",
        [{"loc": ["body", "filters", field], "msg": message, "type": "value_error"}],
    )


def _day(value: str | None, field: str, name: str) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise _invalid(
            field, f"{name}（{value[:20]}）は日付として読み取れません。2024-04-01 の形式で指定してください。"
        ) from None


def checked(filters: ChatFiltersIn | None) -> dict[str, Any]:
    """The filters as stored and searched (empty dict: none); InvalidInput (422) when one is wrong."""
    if filters is None:
        return {}
    if filters.doc_type not in (None, "", *DOC_TYPES):
        raise _invalid(
            "doc_type",
            f"文書の種類（{filters.doc_type[:20]}）は指定できません。"
            f"「policy」（{DOC_TYPES['policy']}）または「inquiry」（{DOC_TYPES['inquiry']}）を指定してください。",
        )
    date_from = _day(filters.date_from, "date_from", "期間の開始日")
    date_to = _day(filters.date_to, "date_to", "期間の終了日")
    if date_from and date_to and date_from > date_to:
        raise _invalid("date_to", f"期間の終了日（{date_to}）が開始日（{date_from}）より前になっています。")
    sources = list(dict.fromkeys(s.strip() for s in filters.sources if s.strip()))
    if len(sources) > MAX_SOURCES:
        raise _invalid("sources", f"検索対象の資料・フォルダは{MAX_SOURCES}件までしか指定できません。")
    if any(len(s) > 1000 for s in sources):
        raise _invalid("sources", "検索対象の資料・フォルダの名前が長すぎます（1,000文字まで）。")
    found = {
        "doc_type": filters.doc_type or None,
        "date_from": date_from,
        "date_to": date_to,
        "sources": sources,
    }
    return {key: value for key, value in found.items() if value}


def _japanese_day(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def _source_name(source: str) -> str:
    """A file or folder as people call it: never an upload's internal folder name."""
    parts = [p for p in source.split("/") if p]
    if parts and UPLOAD_ID.match(parts[0]):
        return UPLOADED if source.endswith("/") or len(parts) == 1 else parts[-1]
    if source.endswith("/"):
        return f"{PurePosixPath(source).name or source}フォルダ"
    return PurePosixPath(source).name


def label(filters: dict[str, Any]) -> str | None:
    """The filters in Japanese, e.g. 「照会記録・2024年4月1日〜」 (None: no filters)."""
    if not filters:
        return None
    parts = []
    if filters.get("doc_type"):
        parts.append(DOC_TYPES.get(filters["doc_type"], filters["doc_type"]))
    if filters.get("date_from") or filters.get("date_to"):
        start = _japanese_day(filters["date_from"]) if filters.get("date_from") else ""
        end = _japanese_day(filters["date_to"]) if filters.get("date_to") else ""
        parts.append(f"{start}〜{end}")
    names = list(dict.fromkeys(_source_name(s) for s in filters.get("sources", [])))
    if names:
        shown = "、".join(names[:3]) + (f" ほか{len(names) - 3}件" if len(names) > 3 else "")
        parts.append(shown)
    return "・".join(parts)


def nothing_found(filters: dict[str, Any], anything: bool) -> str:
    """The honest note of an answer that found nothing under filters (`anything`: some document matched)."""
    where = label(filters)
    if not anything:
        return (
            f"絞り込み条件（{where}）に当てはまる資料が見当たりません。"
            "条件を外すか広げてから、もう一度お試しください。"
        )
    return (
        f"絞り込み条件（{where}）に当てはまる資料の中には、回答となる記載が見当たりません。"
        "条件を外すか広げると、見つかる場合があります。"
    )
