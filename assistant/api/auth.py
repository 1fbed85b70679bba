"""Who is calling: an API key (`Authorization: Bearer yk_...`), a browser session issued after a key
sign-in (`Authorization: Bearer ys_...`, see routes/sessions.py), or — only when enabled and only for
requests coming straight from a configured proxy address — the identity headers of an
authenticating reverse proxy. How the caller signed in is left on `request.state.credential`.

Proxy headers carry UTF-8 percent-encoded values (HTTP headers are Latin-1), e.g.
`X-Forwarded-Groups: %E8%B2%A1%E6%94%BF%E8%AA%B2` for 財政課; plain ASCII passes unchanged. The proxy
is authoritative for groups and clearance of the users it names: a user is created on first sight
(with no API key) and their groups and clearance follow the headers. It never signs in, nor changes,
an API-key user (one with an unrevoked key) or an administrator: a proxy name equal to such a user's
name is refused (403, audited), so headers cannot change what a key grants. An identity header sent
twice, a value that is not UTF-8, or a name or group with control or invisible characters (NUL, line
breaks, zero-width or bidirectional marks) or over 100 characters is refused with 400.

Failed sign-ins (wrong, revoked or disabled keys; session tokens that were never issued) are counted per
client address; past
`signin_failure_limit` within `signin_failure_window_seconds` the address gets 429 with Retry-After
and its keys are not checked until the window has moved on. Failures and the first refusal of each
window are audited (task "signin"). The address is the direct peer, except for a request from a
trusted proxy address (proxy mode on): then the last X-Forwarded-For entry, the address that proxy
saw, so that one user mistyping keys behind it does not lock out everyone else. A session token that
was issued but has expired or been revoked is refused (401, audited) without counting as a failure: it
proves no guessing, and counting it would let every browser that kept a stale token lock out the UI host.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote

from starlette.exceptions import HTTPException
from starlette.requests import Request

from assistant.api.errors import AuthenticationRequired
from assistant.config import Settings
from assistant.records import AuditEntry, append_audit, authenticate, get_user
from assistant.records.models import User
from assistant.records.users import check_name, create_proxy_user, is_key_user
from assistant.records.web_sessions import check_web_session, is_session_token, needs_touch, touch_web_session
from core.errors import AccessDenied, InvalidRecord

if TYPE_CHECKING:
    from assistant.api.context import ApiContext

MISSING_KEY = "認証が必要です。APIキーを Authorization ヘッダー（Bearer 方式）で指定してください。"
INVALID_KEY = "APIキーが正しくないか、無効になっています。管理者にお問い合わせください。"
SESSION_ENDED = "サインインの有効期限が切れたか、サインアウトされています。もう一度サインインしてください。"
PROXY_NAME_TAKEN = (
    "この利用者名はAPIキーで認証する利用者として登録されているため、プロキシ経由の認証は受け付けられません。"
    "管理者にお問い合わせください。"
)


@dataclass(frozen=True)
class Credential:
    """How the caller of a request signed in: "key", "session" (with the session's id) or "proxy"."""

    kind: str
    session_id: int | None = None


def credential_of(request: Request) -> Credential:
    return request.state.credential


@lru_cache(maxsize=32)
def _networks(addresses: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(a.strip(), strict=False) for a in addresses if a.strip())


def check_proxy_settings(settings: Settings) -> None:
    """Fail at start-up, not at the first request, on a proxy address that is not an IP or network."""
    if settings.trusted_proxy_enabled:
        try:
            _networks(tuple(settings.trusted_proxy_addresses))
        except ValueError as exc:
            raise ValueError(
                f"YAKUBA_TRUSTED_PROXY_ADDRESSES: {exc} (give IP addresses or networks)"
            ) from exc


def from_trusted_proxy(settings: Settings, client_host: str | None) -> bool:
    """True when proxy mode is on and the direct peer is one of the configured proxies."""
    if not settings.trusted_proxy_enabled or not client_host:
        return False
    try:
        address = ipaddress.ip_address(client_host)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.trusted_proxy_addresses)))


def _audit_signin(ctx: ApiContext, user: str, reason: str, client: str) -> None:
    entry = AuditEntry(user=user, task="signin", outcome="refused", reason=reason, extra={"client": client})
    append_audit(ctx.engine, entry)


def _header(request: Request, name: str) -> str | None:
    """The decoded value of an identity header; 400 when it is sent twice or is not UTF-8."""
    values = request.headers.getlist(name)
    if len(values) > 1:
        raise HTTPException(400, f"identity header {name} sent {len(values)} times")
    if not values:
        return None
    try:
        return unquote(values[0], errors="strict")
    except UnicodeDecodeError as exc:
        raise HTTPException(400, f"identity header {name} is not UTF-8") from exc


def _checked(value: str, what: str) -> str:
    try:
        return check_name(value, what)
    except InvalidRecord as exc:
        raise HTTPException(400, f"malformed identity header ({exc.message})") from exc


def _signin_address(request: Request, peer: str, trusted: bool) -> str:
    """Where failed sign-ins are counted: the peer, or the address a trusted proxy forwards."""
    if trusted:
        forwarded = ",".join(request.headers.getlist("X-Forwarded-For")).split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return peer


def _proxy_user(ctx: ApiContext, request: Request, name: str, client: str) -> User:
    settings = ctx.settings
    name = _checked(name, "利用者名")
    groups_text = _header(request, settings.trusted_proxy_groups_header) or ""
    groups = sorted({_checked(g, "所属グループ") for g in groups_text.split(",") if g.strip()})
    clearance_text = (_header(request, settings.trusted_proxy_clearance_header) or "1").strip() or "1"
    if clearance_text not in ("1", "2", "3"):
        raise AuthenticationRequired(
            "認証情報（取扱可能な機密性区分）が不正です。管理者にお問い合わせください。"
        )
    clearance = int(clearance_text)
    with ctx.sessions() as session:
        user = get_user(session, name)
        taken = user is not None and is_key_user(session, user)
    if not taken and (user is None or user.groups != groups or user.clearance != clearance):
        with ctx.write_sessions.begin() as session:
            user = get_user(session, name)
            if user is None:
                user = create_proxy_user(session, name, groups, clearance)
            elif not (taken := is_key_user(session, user)):
                user.groups = groups
                user.clearance = clearance
    if taken:
        _audit_signin(ctx, name, "proxy name held by an API-key user", client)
        raise AccessDenied(PROXY_NAME_TAKEN)
    if user.disabled:
        raise AccessDenied("この利用者は利用停止となっています。管理者にお問い合わせください。")
    return user


def _check_throttle(ctx: ApiContext, client: str) -> None:
    """Raise RateLimited for an address past its failed sign-ins (its credentials are then not checked)."""
    settings, limiter = ctx.settings, ctx.limiter
    limit, window = settings.signin_failure_limit, settings.signin_failure_window_seconds
    refusal = limiter.signin_refusal(client, limit, window)
    if refusal is not None:
        if limiter.first_refusal(client, window):
            _audit_signin(ctx, "", f"sign-ins throttled after {limit} failures", client)
        raise refusal


def _failed(ctx: ApiContext, client: str, reason: str, message: str) -> AuthenticationRequired:
    settings = ctx.settings
    ctx.limiter.signin_failed(client, settings.signin_failure_limit, settings.signin_failure_window_seconds)
    _audit_signin(ctx, "", reason, client)
    return AuthenticationRequired(message)


def _key_user(ctx: ApiContext, request: Request, api_key: str, client: str) -> User:
    _check_throttle(ctx, client)
    with ctx.sessions() as session:
        user = authenticate(session, api_key)
    if user is None:
        raise _failed(ctx, client, "invalid, revoked or disabled API key", INVALID_KEY)
    request.state.credential = Credential("key")
    return user


def _session_user(ctx: ApiContext, request: Request, token: str, client: str) -> User:
    _check_throttle(ctx, client)
    with ctx.sessions() as session:
        check = check_web_session(session, token)
        user = check.user
    if check.web_session is None:
        raise _failed(ctx, client, "unknown session token", SESSION_ENDED)
    if user is None:  # a genuine token, no longer valid: refused, not counted as a failed sign-in
        _audit_signin(ctx, check.web_session.user.name, f"{check.refusal} session", client)
        raise AuthenticationRequired(SESSION_ENDED)
    if needs_touch(check.web_session):
        with ctx.write_sessions.begin() as session:
            touch_web_session(session, check.web_session.id)
    request.state.credential = Credential("session", check.web_session.id)
    return user


def resolve_user(ctx: ApiContext, request: Request, api_key: str | None) -> User:
    """The calling user; raises AuthenticationRequired (401), AccessDenied (403), RateLimited (429),
    or a 400 for malformed identity headers."""
    settings = ctx.settings
    client = request.client.host if request.client else None
    trusted = from_trusted_proxy(settings, client)
    if trusted:
        name = _header(request, settings.trusted_proxy_user_header)
        if name and name.strip():
            user = _proxy_user(ctx, request, name, client or "")
            request.state.credential = Credential("proxy")
            return user
    if not api_key:
        raise AuthenticationRequired(MISSING_KEY)
    address = _signin_address(request, client or "unknown", trusted)
    if is_session_token(api_key):
        return _session_user(ctx, request, api_key, address)
    return _key_user(ctx, request, api_key, address)
