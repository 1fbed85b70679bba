"""GET /usage: requests, tokens and cost from the audit log — the caller's own; administrators may ask about
anyone (`?user=`), a section (`?group=`, the users of an access group) or everyone (neither). Costs are in
dollars and, at the configured `usd_jpy_rate`, in yen; `daily` gives use per day for a chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query

from assistant.api.deps import ContextDep, CurrentUser, SessionDep
from assistant.api.errors import InvalidInput, error_responses
from assistant.api.schemas import UsageDayOut, UsageResponse, UsageRowOut
from assistant.records import usage_summary
from assistant.records.usage import daily_usage

router = APIRouter(tags=["usage"])
MAX_DAYS = 366  # the daily series of one request: a year at most
DEFAULT_DAYS = 30  # the daily series when no `since` is given


def _invalid(field: str, message: str, detail: str) -> InvalidInput:
    return InvalidInput(message, [{"loc": ["query", field], "msg": detail, "type": "value_error"}])


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _invalid(
            "tz",
            "タイムゾーンの指定に誤りがあります。「Asia/Tokyo」のような名前で指定してください。",
            "unknown time zone",
        ) from exc


def _utc(value: datetime | None) -> datetime | None:
    """Times without an offset are taken as UTC (as the audit log stores them)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get("/usage", response_model=UsageResponse, responses=error_responses(401, 403, 422))
def usage(
    user: CurrentUser,
    session: SessionDep,
    ctx: ContextDep,
    name: Annotated[str | None, Query(alias="user", description="Whose usage (administrators only).")] = None,
    group: Annotated[
        str | None,
        Query(max_length=100, description="A section: the users of this access group (administrators only)."),
    ] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive, ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Until this time (exclusive, ISO 8601).")] = None,
    tz: Annotated[str, Query(max_length=64, description="Time zone of the days in `daily`.")] = "Asia/Tokyo",
) -> UsageResponse:
    """One row per user, backend and model, and one entry per day of the period (`daily`; the last
    30 days up to `until` when no `since` is given). Costs in USD and in yen at the configured rate."""
    zone = _zone(tz)
    since, until = _utc(since), _utc(until)
    end = until or datetime.now(UTC)
    start = since or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise _invalid(
            "until", "期間の終わりが始まりより前になっています。期間の始まりと終わりを確かめてください。",
            "until must be after since",
        )  # fmt: skip
    if end - start > timedelta(days=MAX_DAYS):
        raise _invalid(
            "since",
            f"期間が長すぎます。{MAX_DAYS}日以内の期間を指定してください。",
            f"period over {MAX_DAYS} days",
        )
    who = name if (name is not None or user.is_admin) else user.name
    scope = {"user": who, "since": since, "until": until, "group": group or None}
    rows = [UsageRowOut(**vars(row)) for row in usage_summary(session, user, **scope)]
    days = daily_usage(session, user, **scope | {"since": start, "until": end}, zone=zone)
    cost = sum(r.cost for r in rows)
    rate = ctx.settings.usd_jpy_rate
    return UsageResponse(
        rows=rows, requests=sum(r.requests for r in rows), cost=cost, usd_jpy_rate=rate, cost_jpy=cost * rate,
        daily=[UsageDayOut(**vars(d)) for d in days],
    )  # fmt: skip
