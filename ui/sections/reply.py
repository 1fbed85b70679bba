"""照会回答: an inquiry entered field by field or pasted whole (split by the API and shown for correction), a draft
reply made from it, and the author's drafts — edited (each save a new version) and sent for review."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from ui import reply_texts as rt
from ui import session, texts
from ui.client import ApiError, YakubaClient
from ui.sections import reply_view
from ui.sections.chat import model_label

FIELDS = ("subject", "sender", "sender_section", "asked_on", "reference", "content", "due_on", "section")
DATES = ("asked_on", "due_on")
KEY = "yakuba_reply_{}"  # widget keys of the inquiry form: yakuba_reply_subject …
OPEN = "yakuba_reply_open"  # id of the draft shown
SPLIT = "yakuba_reply_split"  # the last split: {preamble, items}
SPLIT_ERROR = "yakuba_reply_split_error"
OWNER = "yakuba_reply_owner"  # whose page state this is (cleared when another user signs in)
PASTE = "yakuba_reply_paste"


def keep_to_account() -> None:
    """Forget this page's state when another user signed in in this browser tab."""
    name = session.account()["name"]
    if st.session_state.get(OWNER) != name:
        for key in [k for k in st.session_state if str(k).startswith("yakuba_reply_")]:
            del st.session_state[key]
        st.session_state[OWNER] = name


def choose_model(client: YakubaClient, key: str) -> tuple[str | None, bool]:
    """(backend, allow fallback) among the models the user may use."""
    usable = [m for m in client.models()["models"] if m["available"]]
    if not usable:
        st.warning(texts.MODEL_NONE)
        return None, False
    labels = {m["address"]: model_label(m) for m in usable}
    default = next((i for i, m in enumerate(usable) if m["default"]), 0)
    cols = st.columns([2, 3])
    backend = cols[0].selectbox(
        rt.REPLY_MODEL_LABEL, list(labels), index=default, format_func=labels.__getitem__, key=key
    )
    fallback = cols[1].toggle(
        texts.ALLOW_AUTO_LABEL, value=False, help=texts.ALLOW_AUTO_HELP, key=f"{key}_auto"
    )
    return backend, fallback


def _split() -> None:
    """Button callback: split the pasted text and put its fields into the form (before the form is drawn)."""
    text = st.session_state.get(PASTE, "")
    st.session_state.pop(SPLIT_ERROR, None)
    if not text.strip():
        st.session_state[SPLIT_ERROR] = rt.REPLY_SPLIT_EMPTY
        return
    try:
        with session.client() as client:
            result = client.split_inquiry(text)
    except ApiError as exc:
        st.session_state[SPLIT_ERROR] = exc.message
        return
    for name in FIELDS:
        value = result["inquiry"].get(name)
        if name in DATES:
            value = date.fromisoformat(value) if value else None
        st.session_state[KEY.format(name)] = value if value is not None or name in DATES else ""
    st.session_state[SPLIT] = {"preamble": result["preamble"], "items": result["items"]}


def render_paste() -> None:
    st.text_area(rt.REPLY_PASTE_LABEL, key=PASTE, height=220, placeholder=rt.REPLY_PASTE_PLACEHOLDER)
    st.button(rt.REPLY_SPLIT_BUTTON, on_click=_split, icon=":material/splitscreen:")
    if st.session_state.get(SPLIT_ERROR):
        st.error(st.session_state[SPLIT_ERROR])
    split = st.session_state.get(SPLIT)
    if split:
        st.success(rt.REPLY_SPLIT_DONE)
        with st.expander(rt.REPLY_SPLIT_ITEMS.format(count=len(split["items"])), expanded=True):
            if split["preamble"]:
                st.text(split["preamble"])
            for item in split["items"]:
                st.text(f"{item['number']}　{item['text']}")


def render_form(client: YakubaClient) -> None:
    """The inquiry's fields (filled from a split when there was one), the model, and 「回答案を作成する」."""
    names = rt.REPLY_FIELDS
    backend, fallback = choose_model(client, "yakuba_reply_backend")
    with st.form("reply-inquiry", border=True):
        st.text_input(names["subject"], key=KEY.format("subject"))
        cols = st.columns(2)
        cols[0].text_input(names["sender"], key=KEY.format("sender"))
        cols[1].text_input(names["sender_section"], key=KEY.format("sender_section"))
        cols = st.columns(3)
        cols[0].date_input(names["asked_on"], value=None, key=KEY.format("asked_on"), format="YYYY/MM/DD")
        cols[1].text_input(names["reference"], key=KEY.format("reference"))
        cols[2].date_input(names["due_on"], value=None, key=KEY.format("due_on"), format="YYYY/MM/DD")
        st.text_area(names["content"], key=KEY.format("content"), height=180, help=rt.REPLY_CONTENT_HELP)
        st.text_input(names["section"], key=KEY.format("section"))
        submitted = st.form_submit_button(rt.REPLY_DRAFT_BUTTON, type="primary", icon=":material/edit_note:")
    if not submitted:
        return
    inquiry: dict[str, Any] = {}
    for name in FIELDS:
        value = st.session_state.get(KEY.format(name))
        if name in DATES:
            inquiry[name] = value.isoformat() if value else None
        else:
            inquiry[name] = (value or "").strip()
    if not inquiry["content"]:
        st.warning(rt.REPLY_CONTENT_MISSING)
        return
    with st.spinner(rt.REPLY_DRAFTING):
        created = client.draft_reply(inquiry, backend, fallback)
    st.session_state[OPEN] = created["id"]
    st.rerun()


def _edited(draft: dict[str, Any], id_: str) -> dict[str, Any]:
    """The draft with the values of the edit form (keys under `id_`). An item the author now answers loses its
    要確認 note and open point, unless the author changed those themselves."""
    edited = dict(draft)
    for name in rt.REPLY_EDIT_FIELDS:
        edited[name] = st.session_state[f"edit-{id_}-{name}"]
    points_text = st.session_state[f"edit-{id_}-open"]
    points = [p.strip() for p in points_text.splitlines() if p.strip()]
    untouched = points_text == "\n".join(draft["open_points"])
    items = []
    for i, item in enumerate(draft["items"]):
        status = st.session_state[f"edit-{id_}-status-{i}"]
        answer_text = st.session_state[f"edit-{id_}-answer-{i}"].strip()
        note = st.session_state[f"edit-{id_}-note-{i}"].strip()
        if item["status"] == "要確認" and status == "回答" and note == item["note"].strip():
            note = ""
            if untouched:
                points = [p for p in points if not p.startswith(f"{item['number']}　")]
        items.append(
            item | {"status": status, "answer": answer_text if status == "回答" else "", "note": note}
        )
    edited["items"] = items
    edited["open_points"] = points
    return edited


def render_edit(client: YakubaClient, detail: dict[str, Any]) -> None:
    draft, id_ = detail["draft"], f"{detail['id']}-{detail['version']}"
    with st.expander(rt.REPLY_EDIT_HEADER, icon=":material/edit:"):
        with st.form(f"edit-{id_}", border=False):
            for name, label in rt.REPLY_EDIT_FIELDS.items():
                widget = st.text_area if name in ("opening", "sender") else st.text_input
                widget(label, value=draft[name], key=f"edit-{id_}-{name}")
            for i, item in enumerate(draft["items"]):
                st.markdown(f"**{item['number']}　{item['question']}**")
                st.radio(
                    rt.REPLY_EDIT_STATUS.format(number=item["number"]), list(rt.REPLY_EDIT_STATUSES),
                    index=0 if item["status"] == "回答" else 1, format_func=rt.REPLY_EDIT_STATUSES.__getitem__,
                    horizontal=True, key=f"edit-{id_}-status-{i}",
                )  # fmt: skip
                st.text_area(
                    rt.REPLY_EDIT_ITEM.format(number=item["number"]),
                    value=item["answer"],
                    key=f"edit-{id_}-answer-{i}",
                )
                st.text_input(
                    rt.REPLY_EDIT_NOTE.format(number=item["number"]),
                    value=item["note"],
                    key=f"edit-{id_}-note-{i}",
                )
            st.text_area(
                rt.REPLY_EDIT_OPEN_POINTS, value="\n".join(draft["open_points"]), key=f"edit-{id_}-open"
            )
            comment = st.text_input(rt.REPLY_EDIT_COMMENT, key=f"edit-{id_}-comment")
            saved = st.form_submit_button(rt.REPLY_EDIT_SAVE, type="primary", icon=":material/save:")
    if saved:
        result = client.edit_reply(detail["id"], _edited(draft, id_), detail["version"], comment.strip())
        session.flash("success", rt.REPLY_EDIT_SAVED.format(version=result["version"]))
        st.rerun()


def render_submit(client: YakubaClient, detail: dict[str, Any]) -> None:
    with st.form(f"submit-{detail['id']}-{detail['version']}", border=False):
        comment = st.text_input(rt.REPLY_SUBMIT_COMMENT)
        sent = st.form_submit_button(rt.REPLY_SUBMIT_BUTTON, type="primary", icon=":material/send:")
    if sent:
        client.transition_reply(detail["id"], "submit", comment.strip())
        session.flash("success", rt.REPLY_SUBMITTED)
        st.rerun()


def render_open(client: YakubaClient) -> None:
    """The draft chosen (or just made), with the author's actions."""
    draft_id = st.session_state.get(OPEN)
    if not draft_id:
        return
    st.divider()
    detail = client.reply(draft_id)
    st.subheader(detail["subject"] or rt.REPLY_DOC_HEADER)
    reply_view.render_draft(client, detail)
    if "edit" in detail["actions"]:
        render_edit(client, detail)
    if "submit" in detail["actions"]:
        render_submit(client, detail)


def _option(draft: dict[str, Any]) -> str:
    return rt.REPLY_OPTION.format(
        subject=draft["subject"], state=draft["state"], version=draft["version"],
        updated=reply_view._time(draft["updated_at"]),
    )  # fmt: skip


def render_mine(client: YakubaClient) -> None:
    drafts = client.replies(mine=True)
    if not drafts:
        st.info(rt.REPLY_MINE_NONE)
        return
    options = reply_view.unique_labels({d["id"]: _option(d) for d in drafts})
    current = st.session_state.get(OPEN)
    # No widget key: the selector follows OPEN (a new draft opens in it) and the user's choice sets OPEN.
    st.session_state[OPEN] = st.selectbox(
        rt.REPLY_OPEN_LABEL, list(options), format_func=options.__getitem__,
        index=list(options).index(current) if current in options else 0,
    )  # fmt: skip


def render(client: YakubaClient) -> None:
    keep_to_account()
    st.header(rt.REPLY_HEADER)
    st.caption(rt.REPLY_CAPTION)
    with session.api_errors():
        new, mine = st.tabs([rt.REPLY_TAB_NEW, rt.REPLY_TAB_MINE])
        with new:
            mode = st.radio(
                rt.REPLY_INPUT_MODE, [rt.REPLY_INPUT_FORM, rt.REPLY_INPUT_PASTE], horizontal=True,
                key="yakuba_reply_mode",
            )  # fmt: skip
            if mode == rt.REPLY_INPUT_PASTE:
                render_paste()
            render_form(client)
        with mine:
            render_mine(client)
        render_open(client)
