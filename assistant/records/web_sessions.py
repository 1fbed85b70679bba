"""Browser sessions: what keeps a user signed in across reloads and new tabs of the web UI.

After a sign-in with an API key, the API issues a session token, `ys_` + `secrets.token_urlsafe(32)`:
random, shown once, of which only the SHA-256 is stored (a 256-bit random token needs no slow hash, and
its digest can be looked up directly). A session is valid until `expires_at` (a fixed period from its
issue, never extended by use), and stops at once when it is revoked (sign-out, sign-out everywhere, a
key reset or disabling the user) or when its user is disabled. Functions flush but do not commit: the
caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload

from assistant.records.models import User, WebSession, utcnow

SESSION_SCHEME = "ys_"
USER_AGENT_CHARS = 200  # web_sessions.user_agent is VARCHAR(200)
# last_seen_at is written at most this often per session: a page of the UI makes several API calls, and each
# write takes the SQLite write lock.
TOUCH_INTERVAL = timedelta(minutes=1)
# Rows of sessions that ended longer ago than this are deleted when the same user signs in again (the audit
# log keeps the history of issues and revocations).
KEEP_ENDED = timedelta(days=30)

Refusal = Literal["unknown", "expired", "revoked", "disabled"]


@dataclass(frozen=True)
class SessionCheck:
    """The outcome of presenting a token: the session and its user, or why it was refused."""

    web_session: WebSession | None
    refusal: Refusal | None = None

    @property
    def user(self) -> User | None:
        return self.web_session.user if self.web_session is not None and self.refusal is None else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_session_token(credential: str) -> bool:
    return credential.startswith(SESSION_SCHEME)


def issue_web_session(
    session: Session, user: User, hours: float, user_agent: str = "", now: datetime | None = None
) -> tuple[WebSession, str]:
    """A new session of `user` valid for `hours`; returns it and its token (not stored anywhere)."""
    now = now or utcnow()
    session.execute(
        delete(WebSession).where(
            WebSession.user_id == user.id,
            (WebSession.expires_at < now - KEEP_ENDED) | (WebSession.revoked_at < now - KEEP_ENDED),
        ),
        execution_options={"synchronize_session": False},
    )
    token = SESSION_SCHEME + secrets.token_urlsafe(32)
    web_session = WebSession(
        user_id=user.id,
        token_hash=token_hash(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=hours),
        user_agent=user_agent[:USER_AGENT_CHARS],
    )
    session.add(web_session)
    session.flush()
    return web_session, token


def check_web_session(session: Session, token: str, now: datetime | None = None) -> SessionCheck:
    """The session this token opens, with its user; or the reason it does not open one."""
    now = now or utcnow()
    if not is_session_token(token):
        return SessionCheck(None, "unknown")
    found = session.scalar(
        select(WebSession)
        .where(WebSession.token_hash == token_hash(token))
        .options(joinedload(WebSession.user))
    )
    if found is None:
        return SessionCheck(None, "unknown")
    if found.revoked_at is not None:
        return SessionCheck(found, "revoked")
    if found.expires_at <= now:
        return SessionCheck(found, "expired")
    if found.user.disabled:
        return SessionCheck(found, "disabled")
    return SessionCheck(found)


def needs_touch(web_session: WebSession, now: datetime | None = None) -> bool:
    return (now or utcnow()) - web_session.last_seen_at >= TOUCH_INTERVAL


def touch_web_session(session: Session, session_id: int, now: datetime | None = None) -> None:
    """Record that the session was used now."""
    session.execute(
        update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now or utcnow()),
        execution_options={"synchronize_session": False},
    )


def get_web_session(session: Session, session_id: int) -> WebSession | None:
    return session.get(WebSession, session_id)


def revoke_web_session(session: Session, session_id: int, now: datetime | None = None) -> bool:
    """Revoke one session (sign-out); False when it was already revoked."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow()),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount > 0


def revoke_user_web_sessions(session: Session, user: User, now: datetime | None = None) -> int:
    """Revoke every session of `user` that is still valid (sign-out everywhere); returns how many."""
    now = now or utcnow()
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None), WebSession.expires_at > now)
        .values(revoked_at=now),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount
