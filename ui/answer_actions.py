"""What a reader can do with an answer: copy it (with its 機密性 and sources), ask again with another model
they may use, put the question back into the input to edit and resend it, save it as Word or text, and
open the original file of each source (a PDF at the cited page).

Copy uses `st.code`'s own copy button: Streamlit has no clipboard API, and a custom script would need a
component iframe with clipboard rights. The code block writes with the browser's Clipboard API, which
browsers offer on https and on localhost; elsewhere the text is still shown, selected with a click and
copied with Ctrl+C.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from assistant.config import get_settings
from ui import session, texts
from ui.client import ApiError, YakubaClient

PENDING = "yakuba_pending_question"  # (question, backend) to send on the next run: 別のモデルで再回答
EDITING = "yakuba_editing_question"  # the question was put back into the input to be edited
SOURCE_LINKS = "yakuba_source_links"  # chunk id → (POST /sources/links entry, monotonic time fetched)
Label = Callable[[dict[str, Any]], str]  # how a model is named to the reader


def _queue(question: str, key: str) -> None:
    st.session_state[PENDING] = (question, st.session_state[key])


def _edit(question: str) -> None:
    st.session_state[session.QUESTION_DRAFT] = question
    st.session_state[EDITING] = True


def take_pending() -> tuple[str, str] | None:
    """The question to ask again and the model chosen for it, once."""
    return st.session_state.pop(PENDING, None)


def take_editing() -> bool:
    return bool(st.session_state.pop(EDITING, False))


def render_copy(message: dict[str, Any], text: str) -> None:
    with st.popover(texts.ACTION_COPY, icon=":material/content_copy:", help=texts.ACTION_COPY_HELP):
        st.caption(texts.ACTION_COPY_CAPTION)
        st.code(text, language=None, wrap_lines=True, height=240)


def render_regenerate(
    message: dict[str, Any], question: str, models: list[dict[str, Any]], label: Label
) -> None:
    """A picker of the models the user may use (GET /models, available ones only), the answering one last."""
    if not models:
        return
    answered = message.get("backend")
    choices = sorted((m["address"] for m in models), key=lambda address: address == answered)
    key = f"regenerate-model-{message['id']}"
    with st.popover(texts.ACTION_REGENERATE, icon=":material/autorenew:", help=texts.ACTION_REGENERATE_HELP):
        names = {m["address"]: label(m) for m in models}
        st.selectbox(texts.ACTION_REGENERATE_MODEL, choices, format_func=names.__getitem__, key=key)
        st.button(
            texts.ACTION_REGENERATE_SEND,
            type="primary",
            key=f"regenerate-{message['id']}",
            on_click=_queue,
            args=(question, key),
        )


def render_actions(
    message: dict[str, Any],
    question: str | None,
    models: list[dict[str, Any]],
    label: Label,
    text: str,
) -> None:
    """The row of actions under an answer; `question` is the one it answers (None: not known)."""
    from ui.sections.answer import answer_level

    with st.container(horizontal=True, gap="small"):
        render_copy(message, text)
        if question:
            render_regenerate(message, question, models, label)
            st.button(
                texts.ACTION_EDIT,
                icon=":material/edit:",
                help=texts.ACTION_EDIT_HELP,
                key=f"edit-{message['id']}",
                on_click=_edit,
                args=(question,),
            )
            st.download_button(
                texts.ACTION_DOCX,
                lambda: _docx(question, message, answer_level(message)),
                file_name=texts.ACTION_DOCX_FILE_NAME.format(id=message["id"]),
                mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                icon=":material/description:",
                on_click="ignore",
                key=f"docx-{message['id']}",
            )
        st.download_button(
            texts.EXPORT_BUTTON,
            text,
            file_name=texts.EXPORT_FILE_NAME.format(id=message["id"]),
            mime="text/plain",
            icon=":material/download:",
            on_click="ignore",
            key=f"export-{message['id']}",
        )


def _docx(question: str, message: dict[str, Any], level: int | None) -> bytes:
    from assistant.exports.answer_docx import render_answer_docx

    return render_answer_docx(question, message, level)


# --- opening the original file of a source ----------------------------------------------------------


def source_links(client: YakubaClient, citations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Links that open the cited files, by chunk id (one request for those not fetched recently; a link
    is signed for the user and expires, so it is fetched again after half its life)."""
    cache: dict[str, tuple[dict[str, Any], float]] = st.session_state.setdefault(SOURCE_LINKS, {})
    fresh_for = get_settings().source_link_minutes * 30  # seconds: half the link's life
    now = time.monotonic()
    wanted = [c["chunk_id"] for c in citations if c.get("chunk_id")]
    stale = [cid for cid in wanted if cid not in cache or now - cache[cid][1] > fresh_for]
    if stale:
        try:
            found = client._request("POST", "/sources/links", json={"chunk_ids": stale[:50]})["links"]
        except ApiError:
            found = []  # the sources are still listed; only their links are missing
        for cid in stale:
            cache.pop(cid, None)
        cache.update({link["chunk_id"]: (link, now) for link in found})
    return {cid: cache[cid][0] for cid in wanted if cid in cache}


def link_url(link: dict[str, Any]) -> str:
    base = get_settings().source_link_base_url or session.api_url()
    return base.rstrip("/") + link["url"]


def render_source_link(link: dict[str, Any] | None) -> None:
    """「原本を開く（3ページ）」 for a PDF (the browser's viewer opens at the page); other formats are
    downloaded, and the place to look (sheet, slide, section), already shown on the source's line, is
    repeated in the button's tooltip. Nothing when the file cannot be opened (the source stays listed)."""
    if link is None:
        return
    if link["opens_at"] == "page":
        label, hint = texts.SOURCE_OPEN_AT_PAGE.format(page=link["page"]), None
    else:
        label = texts.SOURCE_OPEN if link["inline"] else texts.SOURCE_DOWNLOAD
        hint = texts.SOURCE_OPEN_LOOK_AT.format(location=link["location"]) if link.get("location") else None
    st.link_button(label, link_url(link), icon=":material/open_in_new:", type="tertiary", help=hint)
