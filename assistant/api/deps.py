"""Dependencies of the routes, as `Annotated` aliases (one request = one database session)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from assistant.api.auth import resolve_user
from assistant.api.context import ApiContext
from assistant.api.schemas import OFFSET_MAX
from assistant.config import Settings
from assistant.records.models import User
from assistant.retrieval.local_store import LocalIndex
from core.errors import AccessDenied

# `?offset=` of every paged list, bounded to what the database's OFFSET takes (a larger one is a 422).
Offset = Annotated[int, Query(ge=0, le=OFFSET_MAX, description="Rows to skip (paging).")]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key issued with `yakuba users add` (`Bearer yk_...`), or a browser session token from POST /sessions (`Bearer ys_...`).",
)


def get_context(request: Request) -> ApiContext:
    return request.app.state.ctx


ContextDep = Annotated[ApiContext, Depends(get_context)]


def get_settings(ctx: ContextDep) -> Settings:
    return ctx.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(ctx: ContextDep) -> Iterator[Session]:
    """A read-only session for the request."""
    with ctx.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_write_session(ctx: ContextDep) -> Iterator[Session]:
    """A session for a quick change (it holds the SQLite write lock until the request ends)."""
    with ctx.write_sessions() as session:
        yield session


WriteSessionDep = Annotated[Session, Depends(get_write_session)]


def get_current_user(
    request: Request,
    ctx: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The caller, loaded in a session of its own that is closed at once (a chat request must not
    hold a database transaction while the model answers)."""
    return resolve_user(ctx, request, credentials.credentials if credentials else None)


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise AccessDenied("この操作は管理者のみ行うことができます。")
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]


def get_rate_limited_user(user: CurrentUser, ctx: ContextDep) -> User:
    """The current user, counted against the per-user limit (chat, search, upload)."""
    ctx.limiter.check(user.name)
    return user


RateLimitedUser = Annotated[User, Depends(get_rate_limited_user)]


def get_store(ctx: ContextDep) -> LocalIndex:
    return ctx.stores.get()


StoreDep = Annotated[LocalIndex, Depends(get_store)]
