"""/sessions: browser sessions, so the web UI stays signed in across reloads and new tabs.

After a sign-in with an API key, the UI asks for a session (POST /sessions) and keeps its token (never the
key) in a cookie; the token is then accepted as `Authorization: Bearer ys_...` until it expires
(`session_hours` after its issue) or is revoked. A session cannot issue another one (a session would otherwise
never end), and a user named by a trusted SSO proxy gets none: the proxy keeps that sign-in and puts its
headers on every request, and a bearer token would let that identity be used without the proxy. Every issue,
refusal and revocation is audited (task "session").
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from assistant.api.auth import Credential, credential_of
from assistant.api.context import ApiContext
from assistant.api.deps import ContextDep, CurrentUser
from assistant.api.errors import error_responses
from assistant.api.session_schemas import SessionIssued, SessionOut, SessionRequest, SessionsRevoked
from assistant.records import AuditEntry, append_audit
from assistant.records.models import User
from assistant.records.web_sessions import (
    get_web_session,
    issue_web_session,
    revoke_user_web_sessions,
    revoke_web_session,
)
from core.errors import AccessDenied, RecordNotFound

router = APIRouter(prefix="/sessions", tags=["sessions"])

FROM_SESSION = (
    "サインイン中のセッションから新しいセッションを発行することはできません。"
    "有効期限が切れた場合は、APIキーでもう一度サインインしてください。"
)
FROM_PROXY = "組織の認証基盤によりサインインしているため、セッションは発行しません（サインインの状態は認証基盤が保持します）。"
NO_SESSION = "この要求はセッションによるものではないため、対象となるセッションはありません。"


def _audit(ctx: ApiContext, request: Request, user: User, reason: str, ok: bool = True, **extra: Any) -> None:
    client = request.client.host if request.client else ""
    append_audit(
        ctx.engine,
        AuditEntry(
            user=user.name, task="session", outcome="ok" if ok else "refused", reason=reason,
            extra={"client": client, "via": credential_of(request).kind, **extra},
        ),
    )  # fmt: skip


def _current(request: Request) -> int:
    credential: Credential = credential_of(request)
    if credential.kind != "session" or credential.session_id is None:
        raise RecordNotFound(NO_SESSION)
    return credential.session_id


@router.post("", status_code=201, response_model=SessionIssued, responses=error_responses(401, 403, 422, 429))
def start_session(
    request: Request, user: CurrentUser, ctx: ContextDep, body: SessionRequest | None = None
) -> SessionIssued:
    """Issue a session to a caller who signed in with an API key; the token is shown only in this answer."""
    kind = credential_of(request).kind
    if kind != "key":
        _audit(ctx, request, user, "issue", ok=False)
        raise AccessDenied(FROM_SESSION if kind == "session" else FROM_PROXY)
    user_agent = body.user_agent if body and body.user_agent else request.headers.get("user-agent", "")
    with ctx.write_sessions.begin() as session:
        web_session, token = issue_web_session(session, user, ctx.settings.session_hours, user_agent)
        session_id, expires_at = web_session.id, web_session.expires_at
    _audit(ctx, request, user, "issue", session_id=session_id, expires_at=expires_at.isoformat())
    return SessionIssued(token=token, expires_at=expires_at)


@router.get("/current", response_model=SessionOut, responses=error_responses(401, 403, 404, 429))
def current_session(request: Request, ctx: ContextDep, _user: CurrentUser) -> SessionOut:
    """The session this request was made with (when it ends)."""
    with ctx.sessions() as session:
        found = get_web_session(session, _current(request))
        if found is None:  # deleted since this request was authenticated
            raise RecordNotFound(NO_SESSION)
        return SessionOut(
            created_at=found.created_at,
            expires_at=found.expires_at,
            last_seen_at=found.last_seen_at,
            user_agent=found.user_agent,
        )


@router.delete(
    "/current", status_code=204, response_class=Response, responses=error_responses(401, 403, 404, 429)
)
def end_session(request: Request, ctx: ContextDep, user: CurrentUser) -> Response:
    """Sign out: revoke the session this request was made with."""
    session_id = _current(request)
    with ctx.write_sessions.begin() as session:
        revoke_web_session(session, session_id)
    _audit(ctx, request, user, "revoke", session_id=session_id)
    return Response(status_code=204)


@router.delete("", response_model=SessionsRevoked, responses=error_responses(401, 403, 429))
def end_all_sessions(request: Request, ctx: ContextDep, user: CurrentUser) -> SessionsRevoked:
    """Sign out everywhere: revoke every session of the caller (including this one, if made with one)."""
    with ctx.write_sessions.begin() as session:
        revoked = revoke_user_web_sessions(session, user)
    _audit(ctx, request, user, "revoke_all", revoked=revoked)
    return SessionsRevoked(revoked=revoked)
