"""Usage: requests, tokens and cost (dollars, and yen at the configured rate) for a period — this month, last
month or chosen dates — with a chart of use per day and the breakdown per model, from GET /usage (the user's
own; everyone's, or one section's, for an administrator)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from ui import docsusage_texts as t
from ui import session, texts, usage_client
from ui.client import YakubaClient
from ui.sections.answer import model_name

DEFAULT_ZONE = "Asia/Tokyo"  # the browser's time zone when it is unknown


def backend_label(address: str | None) -> str:
    if not address:
        return texts.USAGE_NO_BACKEND
    return texts.EXTRACTIVE_LABEL if address.startswith("offline/") else model_name(address)


def table_rows(rows: list[dict[str, Any]], with_user: bool, rate: float) -> list[dict[str, Any]]:
    columns = texts.USAGE_COLUMNS
    table = []
    for row in rows:
        entry = {columns["user"]: row["user"]} if with_user else {}
        entry |= {
            columns["backend"]: backend_label(row["backend"]),
            columns["requests"]: row["requests"],
            columns["input_tokens"]: row["input_tokens"],
            columns["output_tokens"]: row["output_tokens"],
            columns["cost"]: f"{row['cost']:.4f}",
            t.COST_JPY_COLUMN: f"{row['cost'] * rate:,.1f}",
        }
        table.append(entry)
    return table


def month_start(day: date) -> date:
    return day.replace(day=1)


def period(choice: str, today: date, chosen: tuple[date, date] | None = None) -> tuple[date, date]:
    """First and last day (inclusive) of 今月, 先月 or the chosen dates."""
    if choice == t.PERIODS[0]:
        return month_start(today), today
    if choice == t.PERIODS[1]:
        last = month_start(today) - timedelta(days=1)
        return month_start(last), last
    return chosen or (today, today)


def _filters(today: date, account: dict[str, Any]) -> tuple[date, date, str | None] | None:
    """The period and (administrators) the section chosen above the figures; None while the dates are wrong."""
    cols = st.columns([3, 2, 2] if account["is_admin"] else [3, 4])
    choice = cols[0].radio(t.PERIOD, t.PERIODS, horizontal=True, key="usage-period")
    chosen = None
    if choice == t.PERIODS[2]:
        picked = cols[1].date_input(
            t.PERIOD_FROM + "〜" + t.PERIOD_TO,
            value=(month_start(today), today),
            max_value=today,
            format="YYYY/MM/DD",
            key="usage-dates",
        )
        if len(picked) != 2:
            st.info(t.PERIOD_BAD)
            return None
        chosen = (picked[0], picked[1])
    group = None
    if account["is_admin"]:
        group = cols[-1].selectbox(
            t.SECTION,
            sorted(account["groups"]),
            index=None,
            placeholder=t.SECTION_ALL,
            accept_new_options=True,
            help=t.SECTION_HELP,
            key="usage-group",
        )
    start, end = period(choice, today, chosen)
    return start, end, group


def chart(daily: list[dict[str, Any]], rate: float) -> None:
    """Bars per day; the days are labelled 「11/29」 (Vega's own date labels are English)."""
    import altair as alt

    st.subheader(t.CHART_HEADER)
    measure = st.radio(t.CHART_MEASURE, t.CHART_MEASURES, horizontal=True, key="usage-measure")
    column = t.CHART_REQUESTS if measure == t.CHART_MEASURES[0] else t.CHART_COST
    values = [
        {
            t.CHART_DAY: f"{date.fromisoformat(d['day']):%-m/%-d}",
            t.CHART_REQUESTS: d["requests"],
            t.CHART_COST: round(d["cost"] * rate, 1),
        }
        for d in daily
    ]
    days = [v[t.CHART_DAY] for v in values]
    bars = (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            x=alt.X(f"{t.CHART_DAY}:O", sort=days, axis=alt.Axis(labelAngle=0, labelOverlap="greedy")),
            y=alt.Y(
                f"{column}:Q", axis=alt.Axis(tickMinStep=1) if column == t.CHART_REQUESTS else alt.Axis()
            ),
            tooltip=[f"{t.CHART_DAY}:O", f"{t.CHART_REQUESTS}:Q", f"{t.CHART_COST}:Q"],
        )
        .properties(height=260)
    )
    st.altair_chart(bars, width="stretch")


def render(client: YakubaClient) -> None:
    st.header(texts.USAGE_HEADER)
    zone_name = st.context.timezone or DEFAULT_ZONE
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone_name, zone = DEFAULT_ZONE, ZoneInfo(DEFAULT_ZONE)
    today = datetime.now(zone).date()
    picked = _filters(today, session.account())
    if picked is None:
        return
    start, end, group = picked
    st.caption(t.PERIOD_SHOWN.format(start=t.DAY.format(d=start), end=t.DAY.format(d=end)))
    since = datetime.combine(start, time(), zone)
    until = datetime.combine(end + timedelta(days=1), time(), zone)
    with session.api_errors():
        usage = usage_client.usage(client, since, until, zone_name, group)
        rows, rate = usage["rows"], usage["usd_jpy_rate"]
        tokens = sum(r["input_tokens"] + r["output_tokens"] for r in rows)
        cols = st.columns(4)
        cols[0].metric(texts.USAGE_REQUESTS, f"{usage['requests']:,}")
        cols[1].metric(texts.USAGE_TOKENS, f"{tokens:,}")
        cols[2].metric(texts.USAGE_COST, f"${usage['cost']:.4f}")
        cols[3].metric(t.COST_JPY, t.COST_JPY_VALUE.format(usage["cost_jpy"]))
        st.caption(t.RATE_NOTE.format(rate=rate))
        if not rows:
            st.info(texts.USAGE_NONE)
            return
        chart(usage["daily"], rate)
        st.subheader(t.TABLE_HEADER)
        with_user = len({r["user"] for r in rows}) > 1
        st.table(table_rows(rows, with_user, rate))
