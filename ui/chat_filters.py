"""The chat's filters: document type, period, and the documents or folders to search in.

The choices come from GET /documents (what the reader may see), shown by title and by folder names people
use: every upload's internal folder is 「アップロード資料」. The filters go with the next question; the API
checks them, keeps them with the turn and returns their label, shown under the question.
"""

from __future__ import annotations

from datetime import date
from pathlib import PurePosixPath
from typing import Any

import streamlit as st

from ui import chatscope_texts as t
from ui import texts
from ui.client import YakubaClient

TYPE_KEY = "yakuba_filter_type"
FROM_KEY = "yakuba_filter_from"
TO_KEY = "yakuba_filter_to"
SOURCES_KEY = "yakuba_filter_sources"


def choices(documents: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Label → the sources it stands for: folders first (uploads as one), then each document by title."""
    folders: dict[str, list[str]] = {}
    files: dict[str, list[str]] = {}
    for doc in documents:
        source = doc["source"]
        if doc.get("uploaded"):
            folders.setdefault(t.UPLOADED, []).append(source)
        elif "/" in source:
            parent = str(PurePosixPath(source).parent)
            folders.setdefault(t.FOLDER.format(name=parent), []).append(f"{parent}/")
        title = doc.get("title") or doc.get("file_name") or PurePosixPath(source).name
        if title in files or title in folders:
            title = f"{title}（{doc.get('file_name') or PurePosixPath(source).name}）"
        files[title] = [source]
    return {label: list(dict.fromkeys(sources)) for label, sources in {**folders, **files}.items()}


def _clear() -> None:
    st.session_state[TYPE_KEY] = ""
    st.session_state[FROM_KEY] = None
    st.session_state[TO_KEY] = None
    st.session_state[SOURCES_KEY] = []


def panel(client: YakubaClient) -> dict[str, Any]:
    """The filter controls (in an expander) and the filters they set (empty: none)."""
    with st.expander(t.FILTERS_HEADER, icon=":material/filter_alt:"):
        types = {"": t.FILTER_TYPE_ALL, **texts.DOC_TYPES}
        doc_type = st.selectbox(t.FILTER_TYPE, list(types), format_func=types.__getitem__, key=TYPE_KEY)
        left, right = st.columns(2)
        start = left.date_input(
            t.FILTER_FROM, value=None, min_value=date(1900, 1, 1), format="YYYY/MM/DD", help=t.FILTER_DATE_HELP,
            key=FROM_KEY,
        )  # fmt: skip
        end = right.date_input(
            t.FILTER_TO, value=None, min_value=date(1900, 1, 1), format="YYYY/MM/DD", key=TO_KEY
        )
        options = choices(client.documents()["documents"])
        chosen = st.multiselect(
            t.FILTER_SOURCES, list(options), placeholder=t.FILTER_SOURCES_PLACEHOLDER, help=t.FILTER_SOURCES_HELP,
            key=SOURCES_KEY,
        )  # fmt: skip
        if start and end and start > end:
            st.warning(t.FILTER_BAD_RANGE, icon=":material/warning:")
        st.button(t.FILTER_CLEAR, on_click=_clear, icon=":material/close:")
    sources = [s for label in chosen if label in options for s in options[label]]
    found = {
        "doc_type": doc_type or None,
        "date_from": start.isoformat() if start else None,
        "date_to": end.isoformat() if end else None,
        "sources": list(dict.fromkeys(sources)),
    }
    filters = {key: value for key, value in found.items() if value}
    if filters:
        st.caption(t.FILTER_ACTIVE.format(label=label(doc_type, start, end, chosen)), help=None)
    return filters


def label(doc_type: str | None, start: date | None, end: date | None, chosen: list[str]) -> str:
    """The filters as the caption says them (the API's label says the same for the stored turn)."""
    parts = []
    if doc_type:
        parts.append(texts.DOC_TYPES.get(doc_type, doc_type))
    if start or end:
        parts.append(f"{_day(start)}〜{_day(end)}")
    if chosen:
        parts.append("、".join(chosen[:3]) + (f" ほか{len(chosen) - 3}件" if len(chosen) > 3 else ""))
    return "・".join(parts)


def _day(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""
