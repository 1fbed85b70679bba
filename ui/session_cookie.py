"""The browser cookie that keeps the session token, so a reload or a new tab stays signed in.

Streamlit reads cookies (`st.context.cookies`, those the browser sent when the page connected) but has no
way to write one from Python, so a few lines of JavaScript do it, mounted with Streamlit's own
`st.components.v2` (inline code running in the page, no iframe and no extra package). The maintained cookie
packages on PyPI were weighed first: `extra-streamlit-components` and `streamlit-cookies-controller` are
iframe components built on an older component API (and the latter unreleased since 2024), for what is one
`document.cookie` assignment here.

The cookie holds the session token, never the API key: `Path=/`, `SameSite=Strict` (not sent with requests
from other sites), `Secure` when the page is served over https, and `Max-Age` the session's remaining life.
It cannot be `HttpOnly`, being written by script; the token it holds expires, can be revoked, and is
refused by the API once signed out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import streamlit as st

COOKIE = "yakuba_session"
_TOKEN = re.compile(r"ys_[A-Za-z0-9_-]{20,100}")  # what the API issues (secrets.token_urlsafe)

_JS = """
export default function (component) {
  const { data } = component;
  if (!data || !data.name) return;
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  const value = data.value ? data.value : "";
  const maxAge = data.value ? Math.max(0, Math.floor(data.max_age)) : 0;
  document.cookie = `${data.name}=${value}; Max-Age=${maxAge}; Path=/; SameSite=Strict${secure}`;
}
"""

_component = st.components.v2.component("yakuba_session_cookie", js=_JS)


def stored_token() -> str | None:
    """The session token the browser sent when this page connected, if it looks like one."""
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) and _TOKEN.fullmatch(value) else None


def keep(token: str, expires_at: str) -> None:
    """Have the browser keep `token` until `expires_at` (ISO time from the API)."""
    if not _TOKEN.fullmatch(token):
        raise ValueError("not a session token")
    remaining = (datetime.fromisoformat(expires_at) - datetime.now(UTC)).total_seconds()
    _mount({"name": COOKIE, "value": token, "max_age": max(0, int(remaining))})


def forget() -> None:
    """Have the browser delete the cookie (signed out, or never signed in with a session)."""
    _mount({"name": COOKIE, "value": None, "max_age": 0})


def _mount(data: dict[str, object]) -> None:
    # height 0: the component draws nothing, so it takes no room in the layout
    _component(key="yakuba_session_cookie", data=data, height=0)
