"""GET /usage: requests, tokens and cost from the audit log — the caller's own; administrators
may ask about anyone (`?user=`) or everyone (no `user`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from assistant.api.deps import CurrentUser, SessionDep
from assistant.api.errors import error_responses
from assistant.api.schemas import UsageResponse, UsageRowOut
from assistant.records import usage_summary

router = APIRouter(tags=["usage"])


@router.get("/usage", response_model=UsageResponse, responses=error_responses(401, 403, 422))
def usage(
    user: CurrentUser,
    session: SessionDep,
    name: Annotated[str | None, Query(alias="user", description="Whose usage (administrators only).")] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive, ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Until this time (exclusive, ISO 8601).")] = None,
) -> UsageResponse:
    """One row per user, backend and model."""
    who = name if (name is not None or user.is_admin) else user.name
    rows = [
        UsageRowOut(**vars(row)) for row in usage_summary(session, user, user=who, since=since, until=until)
    ]
    return UsageResponse(rows=rows, requests=sum(r.requests for r in rows), cost=sum(r.cost for r in rows))
