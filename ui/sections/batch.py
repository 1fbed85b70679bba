"""一括作成: an inquiry table uploaded (CSV, XLSX or JSONL) with the model to use, the rows that could not be read
(row number and reason), the job's progress refreshed while it runs, each item's state, cancel and resume, and the
results (XLSX, CSV, or everything with one DOCX per reply in a zip) downloaded when asked for."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import reply_texts as rt
from ui import session
from ui.client import YakubaClient
from ui.sections import reply_view
from ui.sections.reply import choose_model

OPEN = "yakuba_batch_open"  # id of the job shown
BAD_ROWS = "yakuba_batch_bad_rows"  # (job id, bad rows) of the upload just made
POLL_SECONDS = 2.0
MIMES = {
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


def render_upload(client: YakubaClient) -> None:
    backend, fallback = choose_model(client, "yakuba_batch_backend")
    with st.form("batch-upload", clear_on_submit=True):
        upload = st.file_uploader(rt.BATCH_UPLOAD_LABEL, type=["csv", "xlsx", "jsonl"])
        started = st.form_submit_button(rt.BATCH_START, type="primary", icon=":material/playlist_add:")
    if not started:
        return
    if upload is None:
        st.warning(rt.BATCH_NO_FILE)
        return
    created = client.start_batch(upload.name, upload.getvalue(), backend, fallback)
    st.session_state[OPEN] = created["job_id"]
    st.session_state[BAD_ROWS] = (created["job_id"], created["bad_rows"])
    session.flash("success", rt.BATCH_STARTED.format(n_items=created["n_items"]))
    st.rerun()


def render_bad_rows(bad_rows: list[dict[str, Any]]) -> None:
    if not bad_rows:
        return
    st.warning(rt.BATCH_BAD_ROWS.format(count=len(bad_rows)), icon=":material/warning:")
    columns = rt.BATCH_BAD_COLUMNS
    st.dataframe(
        [{columns["row"]: b["row"], columns["reason"]: b["reason"]} for b in bad_rows],
        hide_index=True,
        width="stretch",
    )


def progress_text(job: dict[str, Any]) -> str:
    finished = job["done"] + job["failed"] + job.get("cancelled", 0)
    return rt.BATCH_PROGRESS.format(
        finished=finished,
        total=job["n_items"],
        done=job["done"],
        failed=job["failed"],
        running=job["running"],
    )


def render_progress(job: dict[str, Any]) -> None:
    total = max(job["n_items"], 1)
    finished = job["done"] + job["failed"] + job.get("cancelled", 0)
    st.progress(min(finished / total, 1.0), text=progress_text(job))
    cols = st.columns(4)
    for col, name in zip(cols, ("done", "failed", "running", "pending"), strict=True):
        col.metric(rt.BATCH_METRICS[name], job[name])


def item_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    columns = rt.BATCH_ITEM_COLUMNS
    return [
        {
            columns["row"]: item["row"],
            columns["subject"]: (item.get("input") or {}).get("subject")
            or (item.get("input") or {}).get("content", "")[:40],
            columns["state"]: rt.BATCH_ITEM_STATES.get(item["state"], item["state"]),
            columns["attempts"]: item["attempts"],
            columns["error"]: item.get("error") or item.get("withheld") or "",
        }
        for item in items
    ]


def render_downloads(client: YakubaClient, job: dict[str, Any]) -> None:
    st.markdown(f"**{rt.BATCH_DOWNLOADS}**")
    st.caption(rt.BATCH_DOWNLOAD_NOTE)
    stem = (job.get("source_name") or "batch").rsplit(".", 1)[0]
    cols = st.columns(3)
    for col, fmt in zip(cols, ("zip", "xlsx", "csv"), strict=True):
        col.download_button(
            rt.BATCH_DOWNLOAD[fmt],
            client.deferred("batch_download", job["job_id"], fmt),
            file_name=f"回答案_{stem}.{fmt}",
            mime=MIMES[fmt],
            icon=":material/download:",
            on_click="ignore",
            disabled=job["done"] == 0,
            key=f"batch-{fmt}-{job['job_id']}",
        )


def render_controls(client: YakubaClient, job: dict[str, Any]) -> None:
    cols = st.columns(3)
    if job["state"] == "running":
        cols[0].button(rt.BATCH_REFRESH, icon=":material/refresh:", key=f"refresh-{job['job_id']}")
    if job["state"] == "running" and cols[1].button(rt.BATCH_CANCEL, icon=":material/cancel:"):
        client.cancel_batch(job["job_id"])
        session.flash("info", rt.BATCH_CANCELLED)
        st.rerun()
    resumable = job["state"] != "running" and (job["failed"] or job["pending"] or job.get("cancelled"))
    if resumable and cols[2].button(rt.BATCH_RESUME, icon=":material/play_arrow:"):
        client.resume_batch(job["job_id"])
        session.flash("success", rt.BATCH_RESUMED)
        st.rerun()


def render_job(client: YakubaClient, job_id: str) -> dict[str, Any]:
    job = client.batch(job_id)
    st.caption(
        f"{job.get('source_name', '')}　{rt.BATCH_BACKEND.format(backend=job.get('backend') or '既定')}　"
        f"{rt.BATCH_STATES.get(job['state'], job['state'])}"
    )
    render_progress(job)
    just_made = st.session_state.get(BAD_ROWS)
    render_bad_rows(job.get("bad_rows") or (just_made[1] if just_made and just_made[0] == job_id else []))
    render_controls(client, job)
    render_downloads(client, job)
    st.markdown(f"**{rt.BATCH_ITEMS_HEADER}**")
    st.dataframe(item_rows(client.batch_items(job_id)), hide_index=True, width="stretch")
    return job


@st.fragment(run_every=POLL_SECONDS)
def _live_job(job_id: str) -> None:
    """The job's view, redrawn every POLL_SECONDS while the page is open (progress follows the workers)."""
    job = None
    with session.client() as client, session.api_errors():
        job = render_job(client, job_id)
    if job is not None and job["state"] != "running":
        st.rerun()  # finished: the whole page once more, without polling


def _job_option(job: dict[str, Any]) -> str:
    return rt.BATCH_JOB_OPTION.format(
        created=reply_view._time(job["created_at"]), n_items=job["n_items"],
        state=rt.BATCH_STATES.get(job["state"], job["state"]),
    ) + (f"　{job['source_name']}" if job.get("source_name") else "")  # fmt: skip


def render(client: YakubaClient) -> None:
    st.header(rt.BATCH_HEADER)
    st.caption(rt.BATCH_CAPTION)
    with session.api_errors():
        render_upload(client)
        st.subheader(rt.BATCH_JOBS_HEADER)
        jobs = client.batches()
        if not jobs:
            st.info(rt.BATCH_JOBS_NONE)
            return
        options = {j["job_id"]: j for j in jobs}
        labels = reply_view.unique_labels({i: _job_option(j) for i, j in options.items()})
        current = st.session_state.get(OPEN)
        chosen = st.selectbox(
            rt.BATCH_JOB_SELECT, list(options), format_func=labels.__getitem__,
            index=list(options).index(current) if current in options else 0,
        )  # fmt: skip
        st.session_state[OPEN] = chosen
    if options[chosen]["state"] == "running":
        _live_job(chosen)
    else:
        with session.api_errors():
            render_job(client, chosen)
