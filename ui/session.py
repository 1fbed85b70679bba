"""What the UI keeps per browser session (`st.session_state`), and the API client built from it.

The API key is used once, at sign-in, to get a session token from the API (POST /sessions); only that token
is kept, here in the server-side session of one browser tab and in the browser's cookie (`session_cookie.py`),
so that a reload or a new tab stays signed in until the session expires. The key is never written back into
a widget, a cookie, a URL or a log. The open conversation's id (not a secret: the API checks who may read it)
is kept in the URL, so a reload reopens it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from assistant.config import get_settings
from ui import texts
from ui.auth_client import SessionClient
from ui.client import ApiError, Unauthorized

TOKEN = "yakuba_session_token"  # the session token (never the API key); None behind an SSO proxy
EXPIRES = "yakuba_session_expires"  # when the session ends (ISO time from the API)
TRIED_COOKIES = "yakuba_tried_cookies"  # tokens from the cookie already tried in this tab: never retried
ACCOUNT = "yakuba_account"  # GET /me of the signed-in user
PROXY_MODE = "yakuba_proxy_mode"  # True when the API identified us without a key (SSO proxy)
URL_CONVERSATION = "conversation"  # query parameter holding the open conversation's id
CONVERSATION = "yakuba_conversation_id"
MESSAGES = "yakuba_messages"  # the open conversation, as MessageOut-shaped dicts
FEEDBACK_SENT = "yakuba_feedback_sent"  # message ids rated in this session
FLASH = "yakuba_flash"  # (kind, text) shown once after a rerun
EVAL_ALLOWED = "yakuba_eval_allowed"  # whether the API lets this user into /evals (asked once)
EVAL_REPORT = "yakuba_eval_report"  # (run ids, HTML) of the evaluation report last prepared
QUESTION = "yakuba_question"  # key of the chat input
ALLOW_AUTO = "yakuba_allow_auto"  # the user lets another model answer when the chosen one cannot
QUESTION_DRAFT = (
    "yakuba_question_draft"  # a question that failed, put back into the chat input on the next run
)
CHAT_ERROR = "yakuba_chat_error"  # why it failed (Japanese), shown above the chat input on the next run
_SIGNED_IN_KEYS = (
    TOKEN,
    EXPIRES,
    ACCOUNT,
    PROXY_MODE,
    CONVERSATION,
    MESSAGES,
    FEEDBACK_SENT,
    EVAL_ALLOWED,
    EVAL_REPORT,
    QUESTION_DRAFT,
    CHAT_ERROR,
    "yakuba_conversation_search",  # ui/sections/conversations.py: search, undo notice, open dialog
    "yakuba_conversation_undo",
    "yakuba_conversation_dialog",
)


def api_url() -> str:
    """`--api-url URL` given after `--` to `streamlit run` (as `yakuba ui` does), else the setting."""
    args = sys.argv[1:]
    if "--api-url" in args and args.index("--api-url") + 1 < len(args):
        return args[args.index("--api-url") + 1]
    return get_settings().ui_api_url


def proxy_identity() -> dict[str, str]:
    """The identity headers an authenticating proxy put on this browser session's request, passed
    on to the API (which trusts them only from its configured proxy addresses). Empty unless
    trusted-proxy mode is enabled."""
    settings = get_settings()
    if not settings.trusted_proxy_enabled:
        return {}
    names = (
        settings.trusted_proxy_user_header,
        settings.trusted_proxy_groups_header,
        settings.trusted_proxy_clearance_header,
    )
    received = st.context.headers
    return {name: received[name] for name in names if received.get(name)}


def client(credential: str | None = None) -> SessionClient:
    """A client of the API as the signed-in user, or with `credential` (an API key or a session token to
    try at sign-in)."""
    return SessionClient(api_url(), credential or st.session_state.get(TOKEN), headers=proxy_identity())


def user_agent() -> str:
    """The browser's User-Agent, so the user can tell their sessions apart."""
    value = st.context.headers.get("User-Agent")
    return value if isinstance(value, str) else ""  # none without a browser (e.g. under AppTest)


def question_limit() -> int:
    """Longest question the chat input takes (the API's `max_question_chars`, from the same settings;
    the API checks it again and says the limit in its message if its setting is lower)."""
    return get_settings().max_question_chars


def account() -> dict[str, Any]:
    return st.session_state[ACCOUNT]


def sign_in(token: str | None, expires_at: str | None, me: dict[str, Any]) -> None:
    """Signed in with a session `token` (None: identified by the SSO proxy, no session)."""
    st.session_state[TOKEN] = token
    st.session_state[EXPIRES] = expires_at
    st.session_state[ACCOUNT] = me
    st.session_state[PROXY_MODE] = token is None
    new_conversation()


def local_time(iso: str) -> datetime:
    """An ISO time from the API in the browser's time zone (the server's when the browser's is unknown)."""
    moment = datetime.fromisoformat(iso)
    try:
        return (
            moment.astimezone(ZoneInfo(st.context.timezone)) if st.context.timezone else moment.astimezone()
        )
    except (ZoneInfoNotFoundError, ValueError):
        return moment.astimezone()


def sign_out() -> None:
    for key in _SIGNED_IN_KEYS:
        st.session_state.pop(key, None)


def new_conversation(
    conversation_id: str | None = None, messages: list[dict[str, Any]] | None = None
) -> None:
    st.session_state[CONVERSATION] = conversation_id
    st.session_state[MESSAGES] = messages or []


def conversation_in_url() -> str | None:
    return st.query_params.get(URL_CONVERSATION) or None


def keep_conversation_in_url() -> None:
    """Put the open conversation's id in the URL (or take it out), so a reload reopens it."""
    current = st.session_state.get(CONVERSATION)
    if current and st.query_params.get(URL_CONVERSATION) != current:
        st.query_params[URL_CONVERSATION] = current
    elif not current and URL_CONVERSATION in st.query_params:
        del st.query_params[URL_CONVERSATION]


def flash(kind: str, text: str) -> None:
    """Show `text` (kind: success | info | warning | error) at the top of the next run."""
    st.session_state[FLASH] = (kind, text)


def show_flash() -> None:
    kind, text = st.session_state.pop(FLASH, (None, None))
    if kind:
        getattr(st, kind)(text)


@contextmanager
def rejection_signs_out() -> Iterator[None]:
    """A session the API no longer accepts (expired, signed out elsewhere, key reset) signs the user out
    with an explanation."""
    try:
        yield
    except Unauthorized:
        sign_out()
        flash("warning", texts.ERROR_SESSION_EXPIRED)
        st.rerun()


@contextmanager
def api_errors() -> Iterator[None]:
    """Show API failures in Japanese; a rejected session signs the user out with an explanation."""
    try:
        with rejection_signs_out():
            yield
    except ApiError as exc:
        st.error(exc.message)
