"""Sign-in: an API key typed once, or none at all when an SSO proxy in front of the API identifies
the user (trusted-proxy mode, detected by the API answering a request that carries no key)."""

from __future__ import annotations

import streamlit as st

from ui import session, texts
from ui.client import ApiError, Unauthorized

_FIELD = "signin_key"
_SUBMITTED = "signin_submitted"  # the key taken out of the field, for this run only


def _probe_without_key() -> bool:
    """True (and signed in) when the API accepts us without a key; False when it asks for one.

    Any other failure (API unreachable, server error) is shown and the run stops.
    """
    try:
        with session.client() as unkeyed:
            me = unkeyed.me()
    except Unauthorized:
        return False
    except ApiError as exc:
        st.error(exc.message)
        st.stop()
    session.sign_in(None, me)
    return True


def _try_key(api_key: str) -> None:
    try:
        with session.client(api_key) as keyed:
            me = keyed.me()
    except Unauthorized:
        st.error(texts.SIGNIN_REJECTED)
        return
    except ApiError as exc:
        st.error(exc.message)
        return
    session.sign_in(api_key, me)
    st.rerun()


def _take_key() -> None:
    """On submit, before the run: move the typed key out of the widget, which is left empty, so the
    key is never sent back to the browser."""
    st.session_state[_SUBMITTED] = st.session_state.get(_FIELD, "").strip()
    st.session_state[_FIELD] = ""


def require_sign_in() -> None:
    """Return when signed in; otherwise show the sign-in form and stop the run."""
    if session.ACCOUNT in st.session_state or _probe_without_key():
        return
    st.title(texts.APP_TITLE)
    session.show_flash()
    st.subheader(texts.SIGNIN_HEADER)
    with st.form("signin"):
        st.caption(texts.SIGNIN_HELP)
        st.text_input(
            texts.SIGNIN_KEY_LABEL, type="password", placeholder=texts.SIGNIN_KEY_PLACEHOLDER, key=_FIELD
        )
        st.form_submit_button(texts.SIGNIN_BUTTON, type="primary", on_click=_take_key)
    if _SUBMITTED in st.session_state:
        api_key = st.session_state.pop(_SUBMITTED)
        if api_key:
            _try_key(api_key)
        else:
            st.warning(texts.SIGNIN_EMPTY)
    st.stop()
