"""Sign-in and sign-out.

Signed in, in this order: by an SSO proxy in front of the API (trusted-proxy mode, detected by the API
answering a request that carries no credentials: the proxy keeps that sign-in, so no session is made); by
the session token the browser kept in its cookie from an earlier sign-in (a reload or a new tab); or with an
API key typed once, for which the API issues a session whose token (not the key) the browser keeps. A reload
also reopens the conversation named in the URL.
"""

from __future__ import annotations

import streamlit as st

from ui import session, session_cookie, session_texts, texts
from ui.auth_client import SessionClient
from ui.client import ApiError, Unauthorized

_FIELD = "signin_key"
_SUBMITTED = "signin_submitted"  # the key taken out of the field, for this run only


def _reopen_conversation(client: SessionClient) -> None:
    """Open the conversation the URL names (the one open before a reload), if the user may read it."""
    conversation_id = session.conversation_in_url()
    if not conversation_id:
        return
    try:
        detail = client.conversation(conversation_id)
    except ApiError:
        session.flash("warning", session_texts.CONVERSATION_NOT_REOPENED)
        return
    session.new_conversation(conversation_id, detail["messages"])


def _probe_without_key() -> bool:
    """True (and signed in) when the API accepts us without a key; False when it asks for one.

    Any other failure (API unreachable, server error) is shown and the run stops.
    """
    try:
        with session.client() as unkeyed:
            me = unkeyed.me()
            session.sign_in(None, None, me)
            _reopen_conversation(unkeyed)
    except Unauthorized:
        return False
    except ApiError as exc:
        st.error(exc.message)
        st.stop()
    return True


def _restore_from_cookie() -> bool:
    """True (and signed in) when the browser kept a session token the API still accepts. A token is tried
    once per tab: one that was refused (expired, signed out) is not sent again on every run."""
    token = session_cookie.stored_token()
    tried = st.session_state.setdefault(session.TRIED_COOKIES, [])
    if token is None or token in tried:
        return False
    tried.append(token)
    try:
        with session.client(token) as restored:
            me = restored.me()
            current = restored.current_session()
            session.sign_in(token, current["expires_at"], me)
            _reopen_conversation(restored)
    except Unauthorized:
        session.flash("info", texts.ERROR_SESSION_EXPIRED)
        return False
    except ApiError as exc:
        session.flash("error", exc.message)
        return False
    return True


def _try_key(api_key: str) -> None:
    try:
        with session.client(api_key) as keyed:
            me = keyed.me()
            issued = keyed.start_session(session.user_agent())
    except Unauthorized:
        st.error(texts.SIGNIN_REJECTED)
        return
    except ApiError as exc:
        st.error(exc.message)
        return
    session.sign_in(issued["token"], issued["expires_at"], me)
    with session.client() as signed_in:
        _reopen_conversation(signed_in)
    st.rerun()


def _take_key() -> None:
    """On submit, before the run: move the typed key out of the widget, which is left empty, so the
    key is never sent back to the browser."""
    st.session_state[_SUBMITTED] = st.session_state.get(_FIELD, "").strip()
    st.session_state[_FIELD] = ""


def require_sign_in() -> None:
    """Return when signed in; otherwise show the sign-in form and stop the run."""
    if session.ACCOUNT in st.session_state or _probe_without_key() or _restore_from_cookie():
        return
    session_cookie.forget()  # a token the API refused, or one from before a sign-out
    _, middle, _ = st.columns([1, 2, 1])  # a form of readable width on a wide screen
    with middle:
        st.title(texts.APP_TITLE)
        session.show_flash()
        st.subheader(texts.SIGNIN_HEADER)
        with st.form("signin"):
            st.caption(texts.SIGNIN_HELP)
            st.text_input(
                texts.SIGNIN_KEY_LABEL, type="password", placeholder=texts.SIGNIN_KEY_PLACEHOLDER, key=_FIELD
            )
            st.form_submit_button(texts.SIGNIN_BUTTON, type="primary", on_click=_take_key)
        st.caption(session_texts.SIGNIN_KEEP)
        st.caption(session_texts.SIGNIN_LOST_KEY)
        if _SUBMITTED in st.session_state:
            api_key = st.session_state.pop(_SUBMITTED)
            if api_key:
                _try_key(api_key)
            else:
                st.warning(texts.SIGNIN_EMPTY)
    st.stop()


def sign_out(client: SessionClient, everywhere: bool = False) -> None:
    """End this tab's session (or every session of the user) at the API, forget it here, and start over
    at the sign-in form, which has the browser delete the cookie."""
    count = 0
    try:
        if everywhere:
            count = client.end_all_sessions()
        else:
            client.end_session()
    except Unauthorized:  # already ended (expired, or signed out elsewhere): nothing left to revoke
        pass
    except ApiError as exc:
        if everywhere:  # the user asked for every device: say it failed, and stay signed in to retry
            st.error(session_texts.SIGNOUT_EVERYWHERE_FAILED.format(reason=exc.message))
            return
        session.sign_out()
        session.flash("warning", session_texts.SIGNOUT_UNCONFIRMED)
        st.rerun()
    session.sign_out()
    text = session_texts.SIGNED_OUT_EVERYWHERE.format(count=count) if everywhere else session_texts.SIGNED_OUT
    session.flash("success", text)
    st.rerun()
