"""The conversation list in the sidebar: start a new one, open or delete an earlier one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from ui import session, texts
from ui.client import YakubaClient

TITLE_CHARS = 24  # what fits on a sidebar button


def _label(conversation: dict[str, Any]) -> str:
    title = conversation["title"].strip() or texts.CONVERSATION_UNTITLED
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS] + "…"
    when = datetime.fromisoformat(conversation["updated_at"]).astimezone()
    return f"{title}（{when:%m/%d %H:%M}）"


def _open(client: YakubaClient, conversation_id: str) -> None:
    detail = client.conversation(conversation_id)
    session.new_conversation(conversation_id, detail["messages"])


def _delete(client: YakubaClient, conversation_id: str) -> None:
    client.delete_conversation(conversation_id)
    if st.session_state.get(session.CONVERSATION) == conversation_id:
        session.new_conversation()
    session.flash("success", texts.CONVERSATION_DELETED)


def render(client: YakubaClient) -> None:
    st.subheader(texts.CONVERSATIONS_HEADER)
    st.button(
        texts.CONVERSATION_NEW, icon=":material/add:", on_click=session.new_conversation, width="stretch"
    )
    conversations = client.conversations()
    if not conversations:
        st.caption(texts.CONVERSATIONS_NONE)
    current = st.session_state.get(session.CONVERSATION)
    for conversation in conversations:
        cid = conversation["id"]
        left, right = st.columns([5, 1], gap="small", vertical_alignment="center")
        if left.button(
            _label(conversation),
            key=f"open-{cid}",
            help=texts.CONVERSATION_OPEN_HELP,
            type="primary" if cid == current else "secondary",
            width="stretch",
        ):
            _open(client, cid)
            st.rerun()
        if right.button(
            ":material/delete:", key=f"delete-{cid}", help=texts.CONVERSATION_DELETE_HELP, type="tertiary"
        ):
            _delete(client, cid)
            st.rerun()
