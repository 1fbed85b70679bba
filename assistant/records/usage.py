"""Usage summaries (requests, tokens, cost) per user and model, and per day, computed from the audit log;
for one user, a section (the users of an access group) or everyone."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.records.audit_log import utc_iso
from assistant.records.models import AuditLog, User
from core.errors import AccessDenied


@dataclass(frozen=True)
class UsageRow:
    user: str
    backend: str | None
    model_id: str | None
    requests: int
    input_tokens: int
    output_tokens: int
    cost: float


def usage_summary(
    session: Session,
    actor: User,
    *,
    user: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    group: str | None = None,
) -> list[UsageRow]:
    """Usage of `user` (every user when None; with `group`, only the users of that access group), one row
    per user, backend and model, in [since, until). Requests count every audited task request, refused and failed
    ones included (sign-ins, document and conversation management are not requests).

    Raises AccessDenied when a non-administrator asks about anyone but themselves, or about a section.
    """
    _check(actor, user, group)
    statement = select(
        AuditLog.user_name,
        AuditLog.backend,
        AuditLog.model_id,
        func.count(),
        func.coalesce(func.sum(AuditLog.input_tokens), 0),
        func.coalesce(func.sum(AuditLog.output_tokens), 0),
        func.coalesce(func.sum(AuditLog.cost), 0.0),
    ).group_by(AuditLog.user_name, AuditLog.backend, AuditLog.model_id)
    statement = _scoped(session, statement, user, since, until, group)
    rows = [
        UsageRow(name, backend, model_id, int(n), int(tokens_in), int(tokens_out), float(cost))
        for name, backend, model_id, n, tokens_in, tokens_out, cost in session.execute(statement)
    ]
    return sorted(rows, key=lambda r: (r.user, r.backend or "", r.model_id or ""))


def _check(actor: User, user: str | None, group: str | None) -> None:
    if user != actor.name and not actor.is_admin:
        raise AccessDenied("他の職員の利用状況は閲覧できません。")
    if group is not None and not actor.is_admin:
        raise AccessDenied("所属別の利用状況は管理者のみ閲覧できます。")


def group_members(session: Session, group: str) -> list[str]:
    """Names of the users in access group `group` (groups are a JSON list: filtered here, on every backend)."""
    return [
        name for name, groups in session.execute(select(User.name, User.groups)) if group in (groups or [])
    ]


# Audited actions that are not requests to a task (no model is asked): they are not "use" of the assistant.
NOT_REQUESTS = ("attachment", "conversation", "document", "session", "signin", "source_open", "users")


def _scoped(session, statement, user, since, until, group):
    statement = statement.where(AuditLog.task.not_in(NOT_REQUESTS))
    if user is not None:
        statement = statement.where(AuditLog.user_name == user)
    if group is not None:
        statement = statement.where(AuditLog.user_name.in_(group_members(session, group)))
    if since is not None:
        statement = statement.where(AuditLog.time >= utc_iso(since))
    if until is not None:
        statement = statement.where(AuditLog.time < utc_iso(until))
    return statement


@dataclass(frozen=True)
class UsageDay:
    day: date
    requests: int
    cost: float


def daily_usage(
    session: Session,
    actor: User,
    *,
    user: str | None,
    since: datetime,
    until: datetime,
    zone: ZoneInfo,
    group: str | None = None,
) -> list[UsageDay]:
    """Requests and cost per calendar day in `zone`, every day of [since, until) listed (0 when unused).
    Days are cut in Python: the audit time is an ISO string, and time-zone arithmetic differs per database."""
    _check(actor, user, group)
    statement = _scoped(session, select(AuditLog.time, AuditLog.cost), user, since, until, group)
    requests: Counter[date] = Counter()
    cost: defaultdict[date, float] = defaultdict(float)
    for time, row_cost in session.execute(statement):
        day = datetime.fromisoformat(time).astimezone(zone).date()
        requests[day] += 1
        cost[day] += row_cost or 0.0
    first, last = since.astimezone(zone).date(), (until - timedelta(microseconds=1)).astimezone(zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [UsageDay(day, requests[day], cost[day]) for day in days]
