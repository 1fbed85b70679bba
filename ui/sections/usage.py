"""Usage: requests, tokens and cost per model, from GET /usage (the user's own; everyone's for an
administrator)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import session, texts
from ui.client import YakubaClient
from ui.sections.answer import model_name


def backend_label(address: str | None) -> str:
    if not address:
        return texts.USAGE_NO_BACKEND
    return texts.EXTRACTIVE_LABEL if address.startswith("offline/") else model_name(address)


def table_rows(rows: list[dict[str, Any]], with_user: bool) -> list[dict[str, Any]]:
    columns = texts.USAGE_COLUMNS
    table = []
    for row in rows:
        entry = {columns["user"]: row["user"]} if with_user else {}
        entry |= {
            columns["backend"]: backend_label(row["backend"]),
            columns["requests"]: row["requests"],
            columns["input_tokens"]: row["input_tokens"],
            columns["output_tokens"]: row["output_tokens"],
            columns["cost"]: round(row["cost"], 4),
        }
        table.append(entry)
    return table


def render(client: YakubaClient) -> None:
    st.header(texts.USAGE_HEADER)
    with session.api_errors():
        usage = client.usage()
        rows = usage["rows"]
        if not rows:
            st.info(texts.USAGE_NONE)
            return
        tokens = sum(r["input_tokens"] + r["output_tokens"] for r in rows)
        cols = st.columns(3)
        cols[0].metric(texts.USAGE_REQUESTS, f"{usage['requests']:,}")
        cols[1].metric(texts.USAGE_TOKENS, f"{tokens:,}")
        cols[2].metric(texts.USAGE_COST, f"${usage['cost']:.4f}")
        with_user = len({r["user"] for r in rows}) > 1
        st.table(table_rows(rows, with_user))
