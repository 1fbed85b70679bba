"""議事録作成: a transcript uploaded or pasted, the style (要点筆記・発言録・質疑応答), the length limit and the
meeting's particulars chosen, the minutes drafted (a long session in the background, its progress watched), then
shown as they will print with the source turns of every point, edited, sent for review and downloaded."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import minutes_client as api
from ui import minutes_texts as mt
from ui import session, texts
from ui.client import ApiError, YakubaClient
from ui.sections import answer, minutes_edit, minutes_view
from ui.sections.chat import model_label
from ui.sections.reply_view import unique_labels

PREFIX = "yakuba_minutes_"
KEY = PREFIX + "{}"  # widget keys: yakuba_minutes_title …
OPEN = PREFIX + "open"  # id of the minutes shown
JOB = PREFIX + "job"  # id of the job being watched
TURNS = PREFIX + "turns"  # {draft id: {n: turn}}: the source turns, fetched once per minutes
OWNER = PREFIX + "owner"
WATCH_SECONDS = 2.0


def keep_to_account() -> None:
    """Forget this page's state when another user signed in in this browser tab."""
    name = session.account()["name"]
    if st.session_state.get(OWNER) != name:
        for key in [k for k in st.session_state if str(k).startswith(PREFIX)]:
            del st.session_state[key]
        st.session_state[OWNER] = name


def choose_model(client: YakubaClient) -> tuple[str | None, bool]:
    usable = [m for m in client.models()["models"] if m["available"]]
    if not usable:
        st.warning(texts.MODEL_NONE)
        return None, False
    labels = {m["address"]: model_label(m) for m in usable}
    default = next((i for i, m in enumerate(usable) if m["default"]), 0)
    cols = st.columns([2, 3])
    backend = cols[0].selectbox(
        mt.MODEL_LABEL, list(labels), index=default, format_func=labels.__getitem__, key=KEY.format("backend")
    )
    fallback = cols[1].toggle(
        texts.ALLOW_AUTO_LABEL, value=False, help=texts.ALLOW_AUTO_HELP, key=KEY.format("auto")
    )
    return backend, fallback


def _names(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def render_form(client: YakubaClient) -> None:
    """Transcript, style, limit, 機密性 and particulars, the model, and 「議事録案を作成する」."""
    mode = st.radio(mt.INPUT_MODE, [mt.INPUT_FILE, mt.INPUT_PASTE], horizontal=True, key=KEY.format("mode"))
    clearance = int(session.account().get("clearance") or 1)
    backend, fallback = choose_model(client)
    with st.form("minutes-input", border=True):
        if mode == mt.INPUT_FILE:
            upload = st.file_uploader(mt.FILE_LABEL, type=mt.FILE_TYPES, key=KEY.format("file"))
            st.number_input(
                mt.MEETING_LABEL, min_value=0, value=0, help=mt.MEETING_HELP, key=KEY.format("meeting")
            )
        else:
            st.text_area(mt.PASTE_LABEL, key=KEY.format("text"), height=260, placeholder=mt.PASTE_PLACEHOLDER)
        cols = st.columns([3, 2, 2])
        cols[0].radio(
            mt.STYLE_LABEL, list(mt.STYLES), format_func=mt.STYLES.__getitem__, help=mt.STYLE_HELP,
            key=KEY.format("style"),
        )  # fmt: skip
        cols[1].number_input(
            mt.MAX_CHARS_LABEL, min_value=0, max_value=100_000, value=0, step=10, help=mt.MAX_CHARS_HELP,
            key=KEY.format("max_chars"),
        )  # fmt: skip
        cols[2].selectbox(
            mt.CLASSIFICATION_LABEL, list(range(1, max(clearance, 1) + 1)),
            format_func=answer.classification_label, help=mt.CLASSIFICATION_HELP,
            key=KEY.format("classification"),
        )  # fmt: skip
        cols = st.columns(3)
        for col, (name, label) in zip(cols, mt.FIELDS.items(), strict=True):
            col.text_input(label, key=KEY.format(name))
        cols = st.columns(2)
        cols[0].text_area(mt.ATTENDEES_LABEL, help=mt.ATTENDEES_HELP, key=KEY.format("attendees"))
        cols[1].text_area(mt.AGENDA_LABEL, help=mt.AGENDA_HELP, key=KEY.format("agenda"))
        submitted = st.form_submit_button(mt.DRAFT_BUTTON, type="primary", icon=":material/edit_note:")
    if not submitted:
        return
    state = st.session_state
    particulars = {name: (state.get(KEY.format(name)) or "").strip() for name in mt.FIELDS}
    options: dict[str, Any] = {
        "style": state[KEY.format("style")], "classification": int(state[KEY.format("classification")]),
        "max_chars": int(state[KEY.format("max_chars")]) or None,
    }  # fmt: skip
    attendees, agenda = (
        _names(state.get(KEY.format("attendees"), "")),
        _names(state.get(KEY.format("agenda"), "")),
    )
    with st.spinner(mt.DRAFTING):
        if mode == mt.INPUT_FILE:
            if upload is None:
                st.warning(mt.MISSING_FILE)
                return
            form = {k: str(v) for k, v in (particulars | options).items() if v is not None}
            form |= {"attendees": "\n".join(attendees), "agenda": "\n".join(agenda)}
            if state.get(KEY.format("meeting")):
                form["meeting"] = str(int(state[KEY.format("meeting")]))
            job = api.draft_from_file(client, upload.name, upload.getvalue(), form, backend, fallback)
        else:
            text = state.get(KEY.format("text"), "")
            if not text.strip():
                st.warning(mt.MISSING_TEXT)
                return
            fields = particulars | options | {"transcript": text, "attendees": attendees, "agenda": agenda}
            job = api.draft_from_text(client, fields, backend, fallback)
    _follow(job)
    st.rerun()


def _follow(job: dict[str, Any]) -> None:
    """Open the minutes of a finished job, or watch a running one."""
    if job["state"] == "done" and job.get("draft_id"):
        st.session_state[OPEN] = job["draft_id"]
        st.session_state.pop(JOB, None)
    elif job["state"] == "running":
        st.session_state[JOB] = job["id"]
    else:
        st.session_state.pop(JOB, None)
        message = (
            mt.JOB_CANCELLED if job["state"] == "cancelled" else mt.JOB_FAILED.format(error=job["error"])
        )
        session.flash("warning" if job["state"] == "cancelled" else "error", message)


def render_job(client: YakubaClient) -> None:
    """The job being drafted: progress (refreshed every few seconds, or by the button), cancel."""
    job_id = st.session_state.get(JOB)
    if not job_id:
        return

    @st.fragment(run_every=WATCH_SECONDS)
    def progress() -> None:
        with session.client() as own:
            job = api.job(own, job_id)
        if job["state"] != "running":
            _follow(job)
            st.rerun()
        st.subheader(mt.JOB_HEADER)
        st.caption(mt.JOB_NOTE)
        total, done = job["total"], job["done"]
        text = mt.JOB_PROGRESS.format(stage=job["stage"], done=done, total=total) if total else job["stage"]
        st.progress(min(done / total, 1.0) if total else 0.0, text=text)
        cols = st.columns([1, 1, 4])
        cols[0].button(mt.JOB_REFRESH, icon=":material/refresh:", key=KEY.format("refresh"))
        if cols[1].button(mt.JOB_CANCEL, icon=":material/cancel:", key=KEY.format("cancel")):
            with session.client() as own:
                _follow(api.cancel_job(own, job_id))
            st.rerun()

    progress()


def source_turns(client: YakubaClient, draft_id: str) -> dict[int, dict[str, Any]]:
    cache = st.session_state.setdefault(TURNS, {})
    if draft_id not in cache:
        cache.clear()  # one transcript kept at a time (a whole assembly day is large)
        cache[draft_id] = {int(t["index"]): t for t in api.turns(client, draft_id)}
    return cache[draft_id]


def render_open(client: YakubaClient) -> None:
    draft_id = st.session_state.get(OPEN)
    if not draft_id:
        return
    st.divider()
    try:
        detail = api.get(client, draft_id)
    except ApiError:
        st.session_state.pop(OPEN, None)
        raise
    st.subheader(detail["minutes"].get("title") or mt.UNTITLED)
    minutes_view.render_minutes(client, detail, source_turns(client, draft_id))
    if "edit" in detail["actions"]:
        minutes_edit.render_edit(client, detail)
    if "submit" in detail["actions"]:
        minutes_edit.render_submit(client, detail)


def render_mine(client: YakubaClient) -> None:
    drafts = api.mine(client)
    if not drafts:
        st.info(mt.MINE_NONE)
        return
    labels = {
        d["id"]: mt.OPTION.format(
            title=d["title"] or mt.UNTITLED,
            state=d["state"],
            version=d["version"],
            updated=minutes_view._time(d["updated_at"]),
        )  # fmt: skip
        for d in drafts
    }
    options = unique_labels(labels)
    current = st.session_state.get(OPEN)
    st.session_state[OPEN] = st.selectbox(
        mt.OPEN_LABEL, list(options), format_func=options.__getitem__,
        index=list(options).index(current) if current in options else 0,
    )  # fmt: skip


def render(client: YakubaClient) -> None:
    keep_to_account()
    st.header(mt.HEADER)
    st.caption(mt.CAPTION)
    with session.api_errors():
        new, mine = st.tabs([mt.TAB_NEW, mt.TAB_MINE])
        with new:
            render_form(client)
        with mine:
            render_mine(client)
        render_job(client)
        render_open(client)
