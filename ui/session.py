"""What the UI keeps per browser session (`st.session_state`), and the API client built from it.

The API key lives only here, in the server-side session of one browser tab: it is never written
back into a widget, a URL or a log.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from assistant.config import get_settings
from ui import texts
from ui.client import ApiError, Unauthorized, YakubaClient

API_KEY = "yakuba_api_key"
ACCOUNT = "yakuba_account"  # GET /me of the signed-in user
PROXY_MODE = "yakuba_proxy_mode"  # True when the API identified us without a key (SSO proxy)
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
    API_KEY,
    ACCOUNT,
    PROXY_MODE,
    CONVERSATION,
    MESSAGES,
    FEEDBACK_SENT,
    EVAL_ALLOWED,
    EVAL_REPORT,
    QUESTION_DRAFT,
    CHAT_ERROR,
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


def client(api_key: str | None = None) -> YakubaClient:
    """A client of the API as the signed-in user, or with `api_key` (to try one at sign-in)."""
    return YakubaClient(api_url(), api_key or st.session_state.get(API_KEY), headers=proxy_identity())


def question_limit() -> int:
    """Longest question the chat input takes (the API's `max_question_chars`, from the same settings;
    the API checks it again and says the limit in its message if its setting is lower)."""
    return get_settings().max_question_chars


def account() -> dict[str, Any]:
    return st.session_state[ACCOUNT]


def sign_in(api_key: str | None, me: dict[str, Any]) -> None:
    st.session_state[API_KEY] = api_key
    st.session_state[ACCOUNT] = me
    st.session_state[PROXY_MODE] = api_key is None
    new_conversation()


def sign_out() -> None:
    for key in _SIGNED_IN_KEYS:
        st.session_state.pop(key, None)


def new_conversation(
    conversation_id: str | None = None, messages: list[dict[str, Any]] | None = None
) -> None:
    st.session_state[CONVERSATION] = conversation_id
    st.session_state[MESSAGES] = messages or []


def flash(kind: str, text: str) -> None:
    """Show `text` (kind: success | info | warning | error) at the top of the next run."""
    st.session_state[FLASH] = (kind, text)


def show_flash() -> None:
    kind, text = st.session_state.pop(FLASH, (None, None))
    if kind:
        getattr(st, kind)(text)


@contextmanager
def api_errors() -> Iterator[None]:
    """Show API failures in Japanese; a rejected key signs the user out with an explanation."""
    try:
        yield
    except Unauthorized:
        sign_out()
        flash("warning", texts.ERROR_SESSION_EXPIRED)
        st.rerun()
    except ApiError as exc:
        st.error(exc.message)
