"""Administrators' actions on the documents page: reclassify, replace and delete an uploaded file.

Each action is asked for, then confirmed in a second step (nothing changes on the first click); the API updates
the index before it answers, and the page is drawn again with the result. Files registered with the CLI are
explained, not managed, here.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import docsusage_texts as t
from ui import documents_client, session, texts
from ui.client import YakubaClient

PENDING = "yakuba_documents_pending"  # (action, source, details) waiting for confirmation
PICK = "yakuba_documents_pick"
RESET = "yakuba_documents_reset"


def labels(classification: int, groups: list[str]) -> str:
    return t.LABELS.format(classification=classification, groups="、".join(groups) or t.EVERYONE)


def option_label(document: dict[str, Any]) -> str:
    date = (
        t.DATE.format(session.local_time(document["updated_at"]))
        if document["updated_at"]
        else t.NOT_UPLOADED
    )
    title, name = document["title"], document["file_name"]
    return t.MANAGE_OPTION.format(name=title if name in title else f"{title}（{name}）", date=date)


def _ask(action: str, document: dict[str, Any], **details: Any) -> None:
    st.session_state[PENDING] = (action, document["source"], details)


def _confirm(client: YakubaClient, document: dict[str, Any]) -> None:
    """The second step of a pending action on `document`: what will happen, and 確定 / 取りやめる."""
    action, source, details = st.session_state[PENDING]
    title = document["title"]
    if action == "reclassify":
        old = labels(document["classification"], document["groups"])
        new = labels(details["classification"], details["groups"])
        st.warning(t.CONFIRM_RECLASSIFY.format(title=title, old=old, new=new))
        if details["classification"] < document["classification"] or set(details["groups"]) != set(
            document["groups"]
        ):
            st.caption(t.CONFIRM_DOWN)
    elif action == "replace":
        st.warning(t.CONFIRM_REPLACE.format(title=title, size=f"{len(details['content']):,} バイト"))
    else:
        st.warning(t.CONFIRM_DELETE.format(title=title))
    yes, no = st.columns([1, 1])
    if no.button(t.CONFIRM_NO, key="documents-cancel", width="stretch"):
        st.session_state.pop(PENDING, None)
        st.rerun()
    if not yes.button(t.CONFIRM_YES[action], key="documents-confirm", type="primary", width="stretch"):
        return
    st.session_state.pop(PENDING, None)
    with st.spinner(t.WORKING):
        if action == "reclassify":
            result = documents_client.reclassify(client, source, details["classification"], details["groups"])
        elif action == "replace":
            result = documents_client.replace(client, source, details["content"], details["media_type"])
        else:
            result = documents_client.delete(client, source)
    old, new = result["old"], result["new"]
    message = t.DONE[action].format(
        name=result["file_name"],
        old=labels(old["classification"], old["groups"]),
        new=labels(new["classification"], new["groups"]) if new else "",
    )
    if action == "delete":
        st.session_state[RESET] = True  # the choice is emptied before the select box is drawn again
    session.flash("success", message)
    st.rerun()


def _reclassify(document: dict[str, Any], account: dict[str, Any], known_groups: list[str]) -> None:
    st.caption(t.CURRENT_LABELS.format(labels=labels(document["classification"], document["groups"])))
    levels = list(range(1, account["clearance"] + 1))
    with st.form(f"reclassify-{document['source']}"):
        level = st.selectbox(
            t.NEW_CLASSIFICATION,
            levels,
            index=levels.index(document["classification"]) if document["classification"] in levels else 0,
            format_func=texts.CLASSIFICATION.format,
        )
        groups = st.multiselect(
            t.NEW_GROUPS,
            known_groups,
            default=document["groups"],
            help=t.NEW_GROUPS_HELP,
            placeholder=t.NEW_GROUPS_PLACEHOLDER,
            accept_new_options=True,
        )
        if not st.form_submit_button(t.RECLASSIFY_BUTTON):
            return
    if level == document["classification"] and sorted(groups) == sorted(document["groups"]):
        st.warning(t.RECLASSIFY_SAME)
        return
    _ask("reclassify", document, classification=level, groups=sorted(groups))
    st.rerun()


def _replace(document: dict[str, Any]) -> None:
    name = document["file_name"]
    file = st.file_uploader(t.REPLACE_LABEL.format(name=name), key=f"replace-{document['source']}")
    if not st.button(t.REPLACE_BUTTON, key="documents-replace"):
        return
    if file is None:
        st.warning(t.REPLACE_NO_FILE)
    elif file.name != name:
        st.warning(t.REPLACE_WRONG_NAME.format(given=file.name, name=name))
    else:
        _ask("replace", document, content=file.getvalue(), media_type=file.type)
        st.rerun()


def _delete(document: dict[str, Any]) -> None:
    st.caption(t.DELETE_NOTE)
    if st.button(t.DELETE_BUTTON, key="documents-delete", icon=":material/delete:"):
        _ask("delete", document)
        st.rerun()


def render(client: YakubaClient, account: dict[str, Any], documents: list[dict[str, Any]]) -> None:
    st.subheader(t.MANAGE_HEADER)
    by_source = {d["source"]: d for d in documents}
    if st.session_state.pop(RESET, False):
        st.session_state[PICK] = None
    source = st.selectbox(
        t.MANAGE_PICK,
        list(by_source),
        index=None,
        format_func=lambda s: option_label(by_source[s]),
        placeholder=t.MANAGE_PICK_PLACEHOLDER,
        key=PICK,
    )
    if source is None:
        return
    document = by_source[source]
    if not document["uploaded"]:
        st.info(t.CLI_MANAGED)
        return
    pending = st.session_state.get(PENDING)
    if pending and pending[1] == source:
        _confirm(client, document)
        return
    known = sorted({g for d in documents for g in d["groups"]} | set(account["groups"]))
    reclassify, replace, delete = st.tabs([t.TAB_RECLASSIFY, t.TAB_REPLACE, t.TAB_DELETE])
    with reclassify:
        _reclassify(document, account, known)
    with replace:
        _replace(document)
    with delete:
        _delete(document)
