"""Entry point of the web UI: `streamlit run ui/app.py` (or `yakuba ui`).

One script with a sidebar menu rather than Streamlit's multipage folder, so every section shares
the sign-in and the sidebar, and `AppTest` can drive the whole app from this one file.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import session, session_cookie, session_texts, style, texts
from ui.auth_client import SessionClient
from ui.sections import batch, chat, conversations, documents, evals, minutes, reply, review, signin, usage

PAGES = {
    texts.SECTION_REPLY: reply,
    texts.SECTION_BATCH: batch,
    texts.SECTION_REVIEW: review,
    texts.SECTION_MINUTES: minutes,
}


def account_box(client: SessionClient) -> None:
    """Who is signed in, until when, and sign-out (here, or on every device). Behind an SSO proxy there is
    no session to end: the proxy keeps the sign-in."""
    account = session.account()
    if st.session_state.get(session.PROXY_MODE):
        st.caption(texts.SIGNED_IN_BY_PROXY.format(name=account["name"]))
        return
    until = session.local_time(st.session_state[session.EXPIRES])
    st.caption(
        texts.SIGNED_IN_AS.format(name=account["name"])
        + "  \n"
        + session_texts.SESSION_UNTIL.format(month=until.month, day=until.day, time=f"{until:%H:%M}")
    )
    if st.button(texts.SIGNOUT_BUTTON, icon=":material/logout:"):
        signin.sign_out(client)
    if st.button(
        session_texts.SIGNOUT_EVERYWHERE_BUTTON,
        icon=":material/devices:",
        help=session_texts.SIGNOUT_EVERYWHERE_HELP,
        type="tertiary",
    ):
        signin.sign_out(client, everywhere=True)


def sidebar(client: SessionClient) -> tuple[str, DeltaGenerator]:
    """Account, menu and (in the chat) a place for the model selector above the conversation list;
    returns the chosen section and that place."""
    with st.sidebar:
        st.markdown(f"### {texts.APP_TITLE}")
        account_box(client)
        sections = texts.MENU + ([texts.SECTION_EVALS] if evals.may_evaluate(client) else [])
        section = st.radio(texts.NAV_LABEL, sections, key="section")
        st.divider()
        model_slot = st.container()
        if section == texts.SECTION_CHAT:
            with session.api_errors():
                conversations.render(client)
    return section, model_slot


def main() -> None:
    st.set_page_config(page_title=texts.APP_TITLE, page_icon=texts.APP_ICON, layout="wide")
    style.page_style()
    signin.require_sign_in()
    token = st.session_state.get(session.TOKEN)
    if token:  # the browser keeps the session (re-set each run: harmless, and a cleared cookie comes back)
        session_cookie.keep(token, st.session_state[session.EXPIRES])
    else:
        session_cookie.forget()
    session.keep_conversation_in_url()
    # one connection pool per run, closed on rerun and stop too; a session the API no longer accepts
    # (signed out on another device, expired) signs this tab out
    with session.client() as client, session.rejection_signs_out():
        section, model_slot = sidebar(client)
        session.show_flash()
        if section == texts.SECTION_CHAT:
            st.title(texts.APP_TITLE)
            st.caption(texts.APP_CAPTION)
            chat.render(client, model_slot)
        elif section in PAGES:
            PAGES[section].render(client)
        elif section == texts.SECTION_DOCUMENTS:
            documents.render(client)
        elif section == texts.SECTION_EVALS:
            evals.render(client)
        else:
            usage.render(client)


main()
