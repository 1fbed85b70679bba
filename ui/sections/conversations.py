"""The conversation list in the sidebar: start a new one, search, open an earlier one, and from each row's menu
rename it, save it (Markdown, Word) or delete it — after a confirmation, with 「元に戻す」 offered afterwards.

Each row is the title (cut to fit, the full title on hover) with its date, and one menu icon, so the sidebar
stays narrow at 1366 px. Dialogs run apart from the page (Streamlit reruns only the dialog while it is open),
so they open a client of their own rather than use the page's, which is closed after each run.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import streamlit as st

from assistant.config import get_settings
from ui import conversations_client as api
from ui import conversations_texts as ct
from ui import session, texts
from ui.client import ApiError, YakubaClient

TITLE_CHARS = 24  # characters of a title shown on its button (two lines of the sidebar at 1366 px)
NOTICE_CHARS = 16  # characters of the deleted conversation's title in the undo notice
SEARCH = "yakuba_conversation_search"
UNDO = "yakuba_conversation_undo"  # {id, title} of the conversation last deleted, until restored or dismissed
DIALOG = "yakuba_conversation_dialog"  # ("rename" | "delete", id, title) while that dialog is open
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_FILE_NAME_UNSAFE = str.maketrans({c: "_" for c in '\\/:*?"<>|'})
# Streamlit centres a button's label; a list reads better left-aligned, title over date (no option for it).
# Its inputs also say "Press Enter to apply" in English: hidden here (the limits are checked by the API).
_LIST_CSS = """<style>
.st-key-conversation-list [data-testid="stBaseButton-secondary"],
.st-key-conversation-list [data-testid="stBaseButton-primary"] { justify-content: flex-start; text-align: left; }
.st-key-conversation-list [data-testid="stBaseButton-secondary"] p,
.st-key-conversation-list [data-testid="stBaseButton-primary"] p { text-align: left; }
.st-key-yakuba_conversation_search [data-testid="InputInstructions"],
[class*="st-key-conversation-rename-"] [data-testid="InputInstructions"] { display: none; }
</style>"""


def title_of(conversation: dict[str, Any]) -> str:
    return conversation["title"].strip() or texts.CONVERSATION_UNTITLED


def short_title(title: str, chars: int = TITLE_CHARS) -> str:
    return title if len(title) <= chars else title[: chars - 1] + "…"


def when_label(iso: str, now: datetime | None = None) -> str:
    """「今日 14:05」「昨日 9:30」「11月28日 14:05」, or 「2025年11月28日」 for another year, in local time."""
    moment = session.local_time(iso)
    today = (now or datetime.now(moment.tzinfo)).astimezone(moment.tzinfo).date()
    time = f"{moment:%H:%M}"
    if moment.date() == today:
        return ct.TODAY.format(time=time)
    if moment.date() == today - timedelta(days=1):
        return ct.YESTERDAY.format(time=time)
    if moment.year == today.year:
        return ct.THIS_YEAR.format(month=moment.month, day=moment.day, time=time)
    return ct.OTHER_YEAR.format(year=moment.year, month=moment.month, day=moment.day)


def _file_name(title: str, suffix: str) -> str:
    return title[:40].translate(_FILE_NAME_UNSAFE) + suffix


def _open(client: YakubaClient, conversation_id: str) -> None:
    detail = client.conversation(conversation_id)
    session.new_conversation(conversation_id, detail["messages"])


def _ask(kind: str, conversation_id: str, title: str) -> None:
    st.session_state[DIALOG] = (kind, conversation_id, title)


def _close() -> None:
    st.session_state.pop(DIALOG, None)


@st.dialog(ct.RENAME_TITLE, on_dismiss=_close)
def _rename_dialog(conversation_id: str, title: str) -> None:
    new_title = st.text_input(
        ct.RENAME_LABEL, value=title, max_chars=200, key=f"conversation-rename-{conversation_id}"
    )
    with st.container(horizontal=True, horizontal_alignment="right"):
        cancel = st.button(ct.CANCEL, key="conversation-rename-cancel")
        save = st.button(ct.RENAME_SAVE, type="primary", key="conversation-rename-save")
    if cancel:
        _close()
        st.rerun()
    if save:
        try:
            with session.client() as client, session.rejection_signs_out():
                renamed = api.rename(client, conversation_id, new_title)
        except ApiError as exc:
            st.error(exc.message)
            return
        _close()
        session.flash("success", ct.RENAMED.format(title=renamed["title"]))
        st.rerun()


@st.dialog(ct.DELETE_TITLE, on_dismiss=_close)
def _delete_dialog(conversation_id: str, title: str) -> None:
    st.write(ct.DELETE_BODY.format(title=title))
    st.caption(ct.DELETE_NOTE.format(days=f"{get_settings().conversation_undo_days:g}"))
    with st.container(horizontal=True, horizontal_alignment="right"):
        if st.button(ct.CANCEL, key="conversation-delete-cancel"):
            _close()
            st.rerun()
        confirmed = st.button(
            ct.DELETE_CONFIRM, type="primary", icon=":material/delete:", key="conversation-delete-confirm"
        )
    if confirmed:
        try:
            with session.client() as client, session.rejection_signs_out():
                deleted = api.delete(client, conversation_id)
        except ApiError as exc:
            st.error(exc.message)
            return
        if st.session_state.get(session.CONVERSATION) == conversation_id:
            session.new_conversation()
        st.session_state[UNDO] = {"id": deleted["id"], "title": deleted["title"] or title}
        _close()
        st.rerun()


def _undo(client: YakubaClient) -> None:
    """After a delete: the notice with 「元に戻す」 (and ✕ to dismiss it), until one of them is used."""
    deleted = st.session_state.get(UNDO)
    if not deleted:
        return
    title = deleted["title"] or texts.CONVERSATION_UNTITLED
    with st.container(border=True, key="conversation-undo"):
        st.caption(ct.DELETED.format(title=short_title(title, NOTICE_CHARS)))
        with st.container(horizontal=True, gap="small"):
            undo = st.button(
                ct.UNDO, icon=":material/undo:", help=ct.UNDO_HELP, key="conversation-undo-button"
            )
            dismissed = st.button(
                ":material/close:",
                help=ct.UNDO_DISMISS_HELP,
                type="tertiary",
                key="conversation-undo-dismiss",
            )
    if dismissed:
        st.session_state.pop(UNDO, None)
        st.rerun()
    if undo:
        st.session_state.pop(UNDO, None)
        try:
            api.restore(client, deleted["id"])
        except ApiError as exc:  # e.g. the undo period is over: say so, keep the list
            session.flash("error", exc.message)
            st.rerun()
        session.flash("success", ct.RESTORED.format(title=short_title(title, NOTICE_CHARS)))
        st.rerun()


def _menu(client: YakubaClient, conversation: dict[str, Any]) -> None:
    """The row's menu: rename, save as Markdown or Word (fetched on click), delete."""
    cid, title = conversation["id"], title_of(conversation)
    tz = st.context.timezone or None
    with st.popover("", icon=":material/more_vert:", help=ct.MENU_HELP, type="tertiary", key=f"menu-{cid}"):
        st.button(
            ct.RENAME, icon=":material/edit:", key=f"rename-{cid}", width="stretch",
            on_click=_ask, args=("rename", cid, conversation["title"].strip()),
        )  # fmt: skip
        for label, hint, fmt, mime, icon in (
            (ct.SAVE_MD, ct.SAVE_MD_HELP, "md", "text/markdown", ":material/article:"),
            (ct.SAVE_DOCX, ct.SAVE_DOCX_HELP, "docx", DOCX_MIME, ":material/description:"),
        ):
            st.download_button(
                label,
                api.deferred_export(client, cid, fmt, tz),
                file_name=_file_name(title, f".{fmt}"),
                mime=mime,
                help=hint,
                icon=icon,
                on_click="ignore",
                key=f"save-{fmt}-{cid}",
                width="stretch",
            )
        st.button(
            ct.DELETE, icon=":material/delete:", key=f"delete-{cid}", width="stretch",
            on_click=_ask, args=("delete", cid, title),
        )  # fmt: skip


def render(client: YakubaClient) -> None:
    st.subheader(texts.CONVERSATIONS_HEADER)
    st.button(
        texts.CONVERSATION_NEW, icon=":material/add:", on_click=session.new_conversation, width="stretch"
    )
    query = st.text_input(
        ct.SEARCH_LABEL,
        key=SEARCH,
        placeholder=ct.SEARCH_PLACEHOLDER,
        help=ct.SEARCH_HELP,
        label_visibility="collapsed",
        icon=":material/search:",
        max_chars=200,
    )
    _undo(client)
    conversations = api.search(client, query or "")
    if not conversations:
        st.caption(ct.SEARCH_NONE.format(query=query.strip()) if query.strip() else texts.CONVERSATIONS_NONE)
    current = st.session_state.get(session.CONVERSATION)
    st.html(_LIST_CSS)
    with st.container(key="conversation-list", gap="small"):
        for conversation in conversations:
            _row(client, conversation, current)
    pending = st.session_state.get(DIALOG)
    if pending:
        kind, cid, title = pending
        (_rename_dialog if kind == "rename" else _delete_dialog)(cid, title)


def _row(client: YakubaClient, conversation: dict[str, Any], current: str | None) -> None:
    cid, title = conversation["id"], title_of(conversation)
    when = when_label(conversation["updated_at"])
    left, right = st.columns([6, 1], gap="small", vertical_alignment="center")
    if left.button(
        f"{short_title(title)}  \n:gray[{when}]",
        key=f"open-{cid}",
        help=ct.OPEN_HELP.format(title=title, when=when),
        type="primary" if cid == current else "secondary",
        width="stretch",
        wrap=True,
    ):
        _open(client, cid)
        st.rerun()
    with right:
        _menu(client, conversation)
