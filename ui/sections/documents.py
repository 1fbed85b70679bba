"""Documents: the sources the user may see (title, type, labels, date; no folder names), for users permitted
to upload an upload form that sends the files one at a time (so the progress bar follows real work) and shows
the ingest summary, and for administrators delete, replace and reclassify (ui/sections/documents_admin.py)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import docsusage_texts, session, style, texts
from ui.client import ApiError, Unauthorized, Unreachable, YakubaClient
from ui.sections import documents_admin

COUNTS = ("files_ingested", "files_unchanged", "files_skipped", "files_failed", "chunks_added")


def when(document: dict[str, Any]) -> str:
    """The update date of an uploaded file (the user's calendar day); files registered with the CLI say so."""
    if not document["updated_at"]:
        return docsusage_texts.NOT_UPLOADED
    return docsusage_texts.DATE.format(session.local_time(document["updated_at"]))


def table_rows(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per file: its title, the labels that decide who reads it, when it changed; no folder names."""
    columns = texts.DOCUMENTS_COLUMNS
    return [
        {
            columns["title"]: d["title"],
            columns["doc_type"]: texts.DOC_TYPES.get(d["doc_type"], d["doc_type"]),
            columns["classification"]: texts.CLASSIFICATION.format(d["classification"]),
            columns["groups"]: "、".join(d["groups"]) or docsusage_texts.EVERYONE,
            columns["updated"]: when(d),
            columns["file_name"]: d["file_name"],
            columns["chunks"]: d["chunks"],
        }
        for d in documents
    ]


def column_config() -> dict[str, Any]:
    """Widths (px) that keep title, type, 機密性, 閲覧範囲 and date on screen in the main area at 1366 px
    (about 1000 px beside the sidebar); the file name and the 分割数 come after them."""
    columns = texts.DOCUMENTS_COLUMNS
    text = st.column_config.TextColumn
    return {
        columns["title"]: text(width=320),
        columns["doc_type"]: text(width=110),
        columns["classification"]: text(width=70),
        columns["groups"]: text(width=120),
        columns["updated"]: text(width=110),
        columns["file_name"]: text(width=220),
        columns["chunks"]: st.column_config.NumberColumn(width=70, help=docsusage_texts.CHUNKS_HELP),
    }


def render_list(documents: list[dict[str, Any]]) -> None:
    st.subheader(texts.DOCUMENTS_LIST_HEADER)
    if not documents:
        st.info(texts.DOCUMENTS_NONE)
        return
    st.caption(docsusage_texts.LIST_CAPTION)
    st.dataframe(table_rows(documents), hide_index=True, width="stretch", column_config=column_config())


def merge_summaries(summaries: list[dict[str, Any]], issues: list[dict[str, str]]) -> dict[str, Any]:
    """One summary for an upload sent file by file: counts added up, the last run's total."""
    merged: dict[str, Any] = {field: sum(s[field] for s in summaries) for field in COUNTS}
    merged["chunks_total"] = summaries[-1]["chunks_total"] if summaries else None
    # Uploaded files are indexed as `<upload id>/<name>`: the reader knows them by name only.
    merged["issues"] = issues + [
        {"source": i["source"].rpartition("/")[2], "reason": i["reason"]}
        for s in summaries
        for i in s["skipped"] + s["failed"]
    ]
    return merged


def render_summary(summary: dict[str, Any]) -> None:
    cols = st.columns(4)
    cols[0].metric(texts.SUMMARY_INGESTED, summary["files_ingested"])
    cols[1].metric(texts.SUMMARY_UNCHANGED, summary["files_unchanged"])
    cols[2].metric(texts.SUMMARY_SKIPPED, len(summary["issues"]))
    cols[3].metric(
        texts.SUMMARY_CHUNKS, summary["chunks_total"] if summary["chunks_total"] is not None else "—"
    )
    if summary["issues"]:
        st.markdown("\n".join(texts.SUMMARY_ISSUE_LINE.format(**issue) for issue in summary["issues"]))


def upload(client: YakubaClient, files: list[Any], classification: int, groups: list[str]) -> dict[str, Any]:
    summaries: list[dict[str, Any]] = []
    issues: list[dict[str, str]] = []
    with st.status(texts.UPLOAD_RUNNING, expanded=True) as status:
        bar = st.progress(0.0)
        for done, file in enumerate(files):
            sending = texts.UPLOAD_SENDING.format(name=file.name, done=done + 1, total=len(files))
            bar.progress(done / len(files), text=sending)
            content = (file.name, file.getvalue(), file.type or "application/octet-stream")
            try:
                summaries.append(client.upload([content], classification=classification, groups=groups))
            except (Unreachable, Unauthorized):
                raise  # the service is gone or the key was revoked: stop here
            except ApiError as exc:
                issues.append({"source": file.name, "reason": exc.message})
        bar.progress(1.0)
        failed = not summaries
        status.update(
            label=texts.UPLOAD_FAILED if failed else texts.UPLOAD_DONE,
            state="error" if failed else "complete",
        )
    return merge_summaries(summaries, issues)


def render_upload(client: YakubaClient, account: dict[str, Any]) -> None:
    """The upload form, folded (the list below is what most visits are for); its summary shows under it."""
    style.japanese_uploader()
    with (
        st.expander(texts.UPLOAD_HEADER, icon=":material/upload_file:"),
        st.form("upload", clear_on_submit=True),
    ):
        files = st.file_uploader(texts.UPLOAD_LABEL, accept_multiple_files=True)
        levels = list(range(1, account["clearance"] + 1))
        classification = st.selectbox(
            texts.UPLOAD_CLASSIFICATION, levels, format_func=texts.CLASSIFICATION.format
        )
        groups = st.multiselect(
            texts.UPLOAD_GROUPS,
            account["groups"],
            help=texts.UPLOAD_GROUPS_HELP,
            placeholder=texts.UPLOAD_GROUPS_PLACEHOLDER,
        )
        submitted = st.form_submit_button(texts.UPLOAD_BUTTON, type="primary")
    if not submitted:
        return
    if not files:
        st.warning(texts.UPLOAD_NO_FILES)
        return
    render_summary(upload(client, files, classification, groups))


def render(client: YakubaClient) -> None:
    st.header(texts.DOCUMENTS_HEADER)
    account = session.account()
    with session.api_errors():
        if account["can_upload"]:
            render_upload(client, account)
        else:
            st.caption(texts.UPLOAD_NOT_PERMITTED)
        documents = client.documents()["documents"]
        render_list(documents)
        if account["is_admin"] and documents:
            documents_admin.render(client, account, documents)
