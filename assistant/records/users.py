"""Users and their API keys.

A key is `yk_` + `secrets.token_urlsafe(32)`, shown once when issued. Only its SHA-256 and a short
prefix are stored: the prefix finds the candidate rows, `hmac.compare_digest` compares the hashes.
Functions flush but do not commit: the caller owns the transaction.

Two kinds of user share the table: API-key users (created with a key, `yakuba users add`) and users
an authenticating proxy names (created without any key, their groups and clearance following the
proxy's headers). A name held by an API-key user (one with an unrevoked key) or by an administrator
is never taken over by the proxy: see `is_key_user`.

Revoking a user's keys (and so resetting them, `reset_api_key`, for a lost or leaked key) and disabling a
user also revoke their browser sessions (`web_sessions.py`), so nothing opened with the old key stays
signed in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from assistant.records.models import ApiKey, User, utcnow
from assistant.records.web_sessions import revoke_user_web_sessions
from core.errors import InvalidRecord, RecordConflict

KEY_SCHEME = "yk_"
PREFIX_LENGTH = len(KEY_SCHEME) + 8  # "yk_" + 8 characters: enough to tell keys apart in a list
MAX_NAME_LENGTH = 100  # users.name is VARCHAR(100)
# Control, format (zero-width, bidirectional overrides), separator-line, surrogate and private-use characters.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def check_name(name: str, what: str = "利用者名") -> str:
    """`name` without surrounding spaces; InvalidRecord when empty, over-long, or holding control,
    invisible or bidirectional characters (NUL, line breaks, zero-width spaces …)."""
    name = name.strip()
    if not name:
        raise InvalidRecord(f"{what}を入力してください。")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRecord(f"{what}は{MAX_NAME_LENGTH}文字以内で指定してください。")
    if any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in name):
        raise InvalidRecord(f"{what}に使用できない文字（制御文字等）が含まれています。")
    return name


def _new_user(session: Session, name: str, groups: Iterable[str], clearance: int, admin: bool) -> User:
    name = check_name(name)
    if clearance not in (1, 2, 3):
        raise InvalidRecord(
            f"取扱可能な機密性区分は1から3までの数値で指定してください（指定値: {clearance}）。"
        )
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise RecordConflict(f"利用者名「{name}」は既に登録されています。別の名前を指定してください。")
    user = User(name=name, groups=sorted(set(groups)), clearance=clearance, is_admin=admin, disabled=False)
    session.add(user)
    session.flush()
    return user


def create_user(
    session: Session,
    name: str,
    groups: Iterable[str] = (),
    clearance: int = 1,
    admin: bool = False,
) -> tuple[User, str]:
    """Create a user with a first API key; returns the user and the key's plaintext (shown once)."""
    user = _new_user(session, name, groups, clearance, admin)
    return user, issue_api_key(session, user)


def create_proxy_user(session: Session, name: str, groups: Iterable[str], clearance: int) -> User:
    """Create a user named by the authenticating proxy: no API key, never an administrator."""
    return _new_user(session, name, groups, clearance, admin=False)


def is_key_user(session: Session, user: User) -> bool:
    """True for a user the proxy must not sign in or change: an administrator, or the owner of an
    unrevoked API key (their groups and clearance are managed here, not by proxy headers)."""
    if user.is_admin:
        return True
    active = select(ApiKey.id).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None)).limit(1)
    return session.scalar(active) is not None


def issue_api_key(session: Session, user: User) -> str:
    """Add an API key for `user`; returns its plaintext, which is not stored anywhere."""
    api_key = KEY_SCHEME + secrets.token_urlsafe(32)
    session.add(ApiKey(user_id=user.id, prefix=api_key[:PREFIX_LENGTH], key_hash=_key_hash(api_key)))
    session.flush()
    return api_key


def authenticate(session: Session, api_key: str) -> User | None:
    """The active user owning this unrevoked key, or None."""
    if not api_key.startswith(KEY_SCHEME) or len(api_key) <= PREFIX_LENGTH:
        return None
    digest = _key_hash(api_key)
    candidates = session.scalars(
        select(ApiKey)
        .where(ApiKey.prefix == api_key[:PREFIX_LENGTH], ApiKey.revoked_at.is_(None))
        .options(joinedload(ApiKey.user))
    )
    for candidate in candidates:
        if hmac.compare_digest(candidate.key_hash, digest) and not candidate.user.disabled:
            return candidate.user
    return None


def revoke_api_keys(session: Session, user: User, prefix: str | None = None) -> int:
    """Revoke `user`'s keys starting with `prefix` (all of them when None); returns how many. When any
    key is revoked, so are all of the user's browser sessions: a session does not record which key signed
    it in, and one opened with a leaked key must not outlive it."""
    statement = (
        update(ApiKey)
        .where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if prefix is not None:
        statement = statement.where(ApiKey.prefix == prefix[:PREFIX_LENGTH])
    revoked = session.execute(statement, execution_options={"synchronize_session": False}).rowcount
    if revoked:
        revoke_user_web_sessions(session, user)
    return revoked


def reset_api_key(session: Session, user: User) -> tuple[str, int, int]:
    """Revoke every key and browser session of `user` and issue one new key (a lost or leaked key).
    Returns the new key's plaintext (shown once), and how many keys and sessions were revoked."""
    sessions = revoke_user_web_sessions(session, user)
    keys = revoke_api_keys(session, user)
    return issue_api_key(session, user), keys, sessions


def list_api_keys(session: Session, user: User) -> list[ApiKey]:
    """`user`'s keys (prefix, created_at, revoked_at), oldest first."""
    return list(session.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id)))


def get_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def set_user_disabled(session: Session, user: User, disabled: bool) -> None:
    """Disable (or re-enable) a user: a disabled user's keys and sessions stop authenticating, and their
    sessions are revoked (re-enabling does not bring them back)."""
    user.disabled = disabled
    if disabled:
        revoke_user_web_sessions(session, user)
    session.flush()
