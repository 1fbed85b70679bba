"""確認・承認: the reviewer's queue of drafts sent for review (and those already decided), one draft as it will
print with its sources and similar inquiries, the differences between its versions, and approve or return with a
comment. The API decides who may review; drafts above the reader's clearance never reach this page."""

from __future__ import annotations

import difflib
from typing import Any

import streamlit as st

from ui import reply_texts as rt
from ui import session
from ui.client import YakubaClient
from ui.sections import answer, reply_view

PICK = "yakuba_review_pick"


def queue_rows(drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    columns = rt.REVIEW_COLUMNS
    return [
        {
            columns["subject"]: d["subject"],
            columns["owner"]: d["owner"],
            columns["classification"]: answer.classification_label(d["classification"]),
            columns["version"]: d["version"],
            columns["submitted"]: reply_view._time(d["submitted_at"]),
            columns["state"]: d["state"],
        }
        for d in drafts
    ]


def version_diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    """A unified diff of two versions' text (as the plain-text export writes them)."""
    lines = difflib.unified_diff(
        old["text"].splitlines(),
        new["text"].splitlines(),
        fromfile=rt.REPLY_VERSION.format(version=old["number"]),
        tofile=rt.REPLY_VERSION.format(version=new["number"]),
        lineterm="",
        n=1,
    )
    # Hunk headers (「@@ -22,4 +22,3 @@」) mean nothing to a reader: a gap mark in their place.
    return "\n".join("⋯" if line.startswith("@@") else line for line in lines)


def _version_option(version: dict[str, Any]) -> str:
    comment = f"「{version['comment']}」" if version.get("comment") else ""
    return rt.REVIEW_VERSION_OPTION.format(
        number=version["number"], author=version["author"], time=reply_view._time(version["created_at"]),
        comment=comment,
    )  # fmt: skip


def _queue_option(draft: dict[str, Any]) -> str:
    return rt.REVIEW_OPTION.format(
        subject=draft["subject"], owner=draft["owner"], version=draft["version"],
        time=reply_view._time(draft["submitted_at"] or draft["updated_at"]),
    )  # fmt: skip


def render_versions(client: YakubaClient, draft_id: str) -> None:
    versions = client.reply_versions(draft_id)
    if len(versions) < 2:
        st.info(rt.REVIEW_VERSIONS_ONE)
        return
    by_number = {v["number"]: v for v in versions}
    numbers = list(by_number)
    cols = st.columns(2)
    old = cols[0].selectbox(
        rt.REVIEW_VERSIONS_FROM,
        numbers,
        index=len(numbers) - 2,
        format_func=lambda n: _version_option(by_number[n]),
    )
    new = cols[1].selectbox(
        rt.REVIEW_VERSIONS_TO,
        numbers,
        index=len(numbers) - 1,
        format_func=lambda n: _version_option(by_number[n]),
    )
    if old == new:
        st.info(rt.REVIEW_VERSIONS_SAME)
        return
    diff = version_diff(by_number[old], by_number[new])
    if not diff:
        st.info(rt.REVIEW_DIFF_NONE)
        return
    st.caption(rt.REVIEW_DIFF_HELP)
    st.code(diff, language="diff", wrap_lines=True)


def render_decision(client: YakubaClient, detail: dict[str, Any]) -> None:
    """Approve or return, with a comment (required to return)."""
    with st.form(f"decide-{detail['id']}-{detail['version']}"):
        comment = st.text_area(rt.REVIEW_COMMENT, height=100)
        cols = st.columns(2)
        approve = cols[0].form_submit_button(
            rt.REVIEW_APPROVE, type="primary", icon=":material/check_circle:"
        )
        give_back = cols[1].form_submit_button(rt.REVIEW_RETURN, icon=":material/undo:")
    if give_back and not comment.strip():
        st.warning(rt.REVIEW_RETURN_NEEDS_COMMENT)
        return
    if approve or give_back:
        client.transition_reply(detail["id"], "approve" if approve else "return", comment.strip())
        session.flash("success", rt.REVIEW_APPROVED if approve else rt.REVIEW_RETURNED)
        st.session_state.pop(PICK, None)
        st.rerun()


def render(client: YakubaClient) -> None:
    st.header(rt.REVIEW_HEADER)
    st.caption(rt.REVIEW_CAPTION)
    with session.api_errors():
        state = st.radio(
            rt.REVIEW_FILTER, list(rt.REVIEW_FILTERS), format_func=rt.REVIEW_FILTERS.__getitem__,
            horizontal=True, key="yakuba_review_state",
        )  # fmt: skip
        drafts = client.replies(state=state, mine=False)
        if not drafts:
            st.info(rt.REVIEW_QUEUE_NONE)
            return
        st.dataframe(queue_rows(drafts), hide_index=True, width="stretch")
        labels = reply_view.unique_labels({d["id"]: _queue_option(d) for d in drafts})
        chosen = st.selectbox(rt.REVIEW_SELECT, list(labels), key=PICK, format_func=labels.__getitem__)
        if chosen not in labels:
            return
        detail = client.reply(chosen)
        st.divider()
        st.subheader(detail["subject"])
        tab_draft, tab_versions = st.tabs([rt.REVIEW_TAB_DRAFT, rt.REVIEW_TAB_VERSIONS])
        with tab_draft:
            reply_view.render_draft(client, detail)
            if "approve" in detail["actions"]:
                render_decision(client, detail)
        with tab_versions:
            render_versions(client, detail["id"])
