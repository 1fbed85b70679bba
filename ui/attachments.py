"""Files attached to the open conversation: the attach control (file, 機密性 capped at the reader's clearance)
and the list of attached files with a remove button each. The API reads the file for this conversation only;
it never enters the shared documents."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import chatscope_texts as t
from ui import session
from ui.client import ApiError, Unauthorized, YakubaClient

UPLOADER_KEY = "yakuba_attach_file"
LEVEL_KEY = "yakuba_attach_level"
ROUND_KEY = "yakuba_attach_round"  # a new uploader widget after each attach, so the file is not sent twice


def _attach(client: YakubaClient, upload: Any, level: int) -> None:
    conversation = st.session_state.get(session.CONVERSATION)
    try:
        row = client.attach(upload.name, upload.getvalue(), upload.type, level, conversation)
    except Unauthorized:
        raise
    except ApiError as exc:
        st.error(exc.message, icon=":material/error:")
        return
    if not conversation:  # the API started a conversation for the file
        session.new_conversation(row["conversation_id"], st.session_state.get(session.MESSAGES))
    st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1
    session.flash("success", t.ATTACH_DONE.format(name=row["name"]))
    st.rerun()


def _remove(client: YakubaClient, row: dict[str, Any]) -> None:
    client.remove_attachment(row["id"])
    session.flash("info", t.ATTACH_REMOVED.format(name=row["name"]))
    st.rerun()


def panel(client: YakubaClient) -> None:
    """The attach control and the attached files of the open conversation."""
    clearance = int(session.account().get("clearance", 1))
    conversation = st.session_state.get(session.CONVERSATION)
    rows = client.attachments(conversation) if conversation else []
    title = t.ATTACH_HEADER + (f"（{len(rows)}件）" if rows else "")
    with st.expander(title, icon=":material/attach_file:"):
        st.info(t.ATTACH_NOTE, icon=":material/lock:")
        upload = st.file_uploader(t.ATTACH_FILE, key=f"{UPLOADER_KEY}_{st.session_state.get(ROUND_KEY, 0)}")
        levels = [level for level in t.ATTACH_LEVELS if level <= clearance]
        level = st.selectbox(
            t.ATTACH_LEVEL,
            levels,
            format_func=t.ATTACH_LEVELS.__getitem__,
            help=t.ATTACH_LEVEL_HELP,
            key=LEVEL_KEY,
        )
        if st.button(t.ATTACH_BUTTON, icon=":material/upload_file:", disabled=upload is None, type="primary"):
            _attach(client, upload, int(level))
        st.markdown(f"**{t.ATTACH_LIST}**")
        if not rows:
            st.caption(t.ATTACH_NONE)
        for row in rows:
            name, remove = st.columns([2, 1], vertical_alignment="center")
            lexical = "" if row["embedded"] else f"・{t.ATTACH_LEXICAL}"
            name.markdown(
                f":material/description: {t.ATTACH_ITEM.format(name=row['name'], level=t.ATTACH_LEVELS[row['classification']])}"
                f"{lexical}"
            )
            if remove.button(t.ATTACH_REMOVE, key=f"yakuba_detach_{row['id']}", icon=":material/close:"):
                _remove(client, row)
