"""Entry point of the web UI: `streamlit run ui/app.py` (or `yakuba ui`).

One script with a sidebar menu rather than Streamlit's multipage folder, so every section shares
the sign-in and the sidebar, and `AppTest` can drive the whole app from this one file.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import session, texts
from ui.client import YakubaClient
from ui.sections import batch, chat, conversations, documents, evals, minutes, reply, review, signin, usage

SECTIONS = [
    texts.SECTION_CHAT,
    texts.SECTION_REPLY,
    texts.SECTION_BATCH,
    texts.SECTION_REVIEW,
    texts.SECTION_MINUTES,
    texts.SECTION_DOCUMENTS,
    texts.SECTION_USAGE,
]
PAGES = {
    texts.SECTION_REPLY: reply,
    texts.SECTION_BATCH: batch,
    texts.SECTION_REVIEW: review,
    texts.SECTION_MINUTES: minutes,
}


def sidebar(client: YakubaClient) -> tuple[str, DeltaGenerator]:
    """Account, menu and (in the chat) a place for the model selector above the conversation list;
    returns the chosen section and that place."""
    account = session.account()
    with st.sidebar:
        st.markdown(f"### {texts.APP_TITLE}")
        template = (
            texts.SIGNED_IN_BY_PROXY if st.session_state.get(session.PROXY_MODE) else texts.SIGNED_IN_AS
        )
        st.caption(template.format(name=account["name"]))
        if not st.session_state.get(session.PROXY_MODE) and st.button(
            texts.SIGNOUT_BUTTON, icon=":material/logout:"
        ):
            session.sign_out()
            st.rerun()
        sections = SECTIONS + ([texts.SECTION_EVALS] if evals.may_evaluate(client) else [])
        section = st.radio(texts.NAV_LABEL, sections, key="section")
        st.divider()
        model_slot = st.container()
        if section == texts.SECTION_CHAT:
            with session.api_errors():
                conversations.render(client)
    return section, model_slot


def main() -> None:
    st.set_page_config(page_title=texts.APP_TITLE, page_icon=texts.APP_ICON, layout="wide")
    signin.require_sign_in()
    with session.client() as client:  # one connection pool per run, closed on rerun and stop too
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
