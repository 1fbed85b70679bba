"""Who is calling: an API key (`Authorization: Bearer yk_...`), or — only when enabled and only for
requests coming straight from a configured proxy address — the identity headers of an
authenticating reverse proxy.

Proxy headers carry UTF-8 percent-encoded values (HTTP headers are Latin-1), e.g.
`X-Forwarded-Groups: %E8%B2%A1%E6%94%BF%E8%AA%B2` for 財政課; plain ASCII passes unchanged. The proxy
is authoritative for groups and clearance: a user it names is created on first sight (with no
usable API key) and their groups and clearance follow the headers. Administrator rights are never
taken from headers; they are granted with `yakuba users add --admin`.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote

from starlette.requests import Request

from assistant.api.errors import AuthenticationRequired
from assistant.config import Settings
from assistant.records import authenticate, create_user, get_user, revoke_api_keys
from assistant.records.models import User
from core.errors import AccessDenied

if TYPE_CHECKING:
    from assistant.api.context import ApiContext

MISSING_KEY = "認証が必要です。APIキーを Authorization ヘッダー（Bearer 方式）で指定してください。"
INVALID_KEY = "APIキーが正しくないか、無効になっています。管理者にお問い合わせください。"


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


def _proxy_user(ctx: ApiContext, request: Request, name: str) -> User:
    settings, headers = ctx.settings, request.headers
    groups_text = unquote(headers.get(settings.trusted_proxy_groups_header, ""))
    groups = sorted({g.strip() for g in groups_text.split(",") if g.strip()})
    clearance_text = headers.get(settings.trusted_proxy_clearance_header, "1").strip() or "1"
    if clearance_text not in ("1", "2", "3"):
        raise AuthenticationRequired(
            "認証情報（取扱可能な機密性区分）が不正です。管理者にお問い合わせください。"
        )
    clearance = int(clearance_text)
    with ctx.sessions() as session:
        user = get_user(session, name)
    if user is None or user.groups != groups or user.clearance != clearance:
        with ctx.write_sessions.begin() as session:
            user = get_user(session, name)
            if user is None:
                user, _unused_key = create_user(session, name, groups=groups, clearance=clearance)
                revoke_api_keys(session, user)  # proxy users sign in through the proxy only
            else:
                user.groups = groups
                user.clearance = clearance
    if user.disabled:
        raise AccessDenied("この利用者は利用停止となっています。管理者にお問い合わせください。")
    return user


def resolve_user(ctx: ApiContext, request: Request, api_key: str | None) -> User:
    """The calling user; raises AuthenticationRequired (401) or AccessDenied (403)."""
    settings = ctx.settings
    client = request.client.host if request.client else None
    if from_trusted_proxy(settings, client):
        name = unquote(request.headers.get(settings.trusted_proxy_user_header, "")).strip()
        if name:
            return _proxy_user(ctx, request, name)
    if not api_key:
        raise AuthenticationRequired(MISSING_KEY)
    with ctx.sessions() as session:
        user = authenticate(session, api_key)
    if user is None:
        raise AuthenticationRequired(INVALID_KEY)
    return user
