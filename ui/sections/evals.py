"""評価: evaluation runs for administrators and evaluators — the runs with their headline metrics, one run's
metrics with intervals and its items, a comparison of two runs, the HTML report, and starting a run with a
progress bar that follows GET /evals/{run_id}. Everything comes from the API's /evals routes."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from ui import session, texts
from ui.client import ApiError, Forbidden, YakubaClient
from ui.sections.usage import backend_label

POLL_SECONDS = 1.0
POLL_LIMIT_SECONDS = 30 * 60  # after this the page stops waiting (the run goes on in the service)
ITEMS_PER_PAGE = 20
HEADLINE_SKIP = {
    "errors",
    "latency_ms",
    "cost_usd",
    "tokens",
    "input_tokens",
    "output_tokens",
    "length_chars",
}
REPORT = session.EVAL_REPORT


def metric_name(name: str) -> str:
    return texts.EVALS_METRIC_NAMES.get(name, name)


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _interval(low: float | None, high: float | None) -> str:
    return "—" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def status_label(status: str) -> str:
    return texts.EVALS_STATUS.get(status, status)


def headline(summary: dict[str, dict[str, float | None]], count: int = 3) -> str:
    """A few quality metrics of every variant, e.g. `正答の包含率 0.800、出典の妥当性 1.000`."""
    parts = []
    for variant, metrics in summary.items():
        shown = [f"{metric_name(m)} {_num(v)}" for m, v in metrics.items() if m not in HEADLINE_SKIP][:count]
        text = "、".join(shown) or "—"
        parts.append(f"{variant}：{text}" if len(summary) > 1 else text)
    return "／".join(parts) or "—"


def runs_table(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    columns = texts.EVALS_RUN_COLUMNS
    return [
        {
            columns["run_id"]: r["run_id"],
            columns["suite"]: r["suite"],
            columns["status"]: status_label(r["status"]),
            columns["n_items"]: r["n_items"],
            columns["headline"]: headline(r["summary"]),
            columns["created"]: r["created"][:16].replace("T", " "),
            columns["user"]: r["user"],
        }
        for r in runs
    ]


def metrics_table(metrics: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    columns = texts.EVALS_METRIC_COLUMNS
    return [
        {
            columns["variant"]: variant,
            columns["metric"]: metric_name(name),
            columns["value"]: _num(m["value"]),
            columns["interval"]: _interval(m.get("ci_low"), m.get("ci_high")),
            columns["n"]: m["n"],
        }
        for variant, values in metrics.items()
        for name, m in values.items()
    ]


def compare_table(comparison: dict[str, Any]) -> list[dict[str, Any]]:
    columns, rows = texts.EVALS_COMPARE_COLUMNS, []
    labels = [f"[{c['index']}] {c['run_id']}／{c['variant']}" for c in comparison["columns"]]
    for row in comparison["metrics"]:
        for label, cell in zip(labels, row["cells"], strict=True):
            paired = cell.get("paired")
            rows.append(
                {
                    columns["metric"]: metric_name(row["metric"]),
                    columns["column"]: label,
                    columns["value"]: _num(cell["value"]),
                    columns["interval"]: _interval(cell["ci_low"], cell["ci_high"]),
                    columns["delta"]: _num(cell.get("delta"), signed=True),
                    columns["delta_interval"]: _interval(paired["ci_low"], paired["ci_high"])
                    if paired
                    else "—",
                    columns["p_value"]: f"{paired['p_value']:.3f}" if paired else "—",
                    columns["significant"]: texts.EVALS_SIGNIFICANT[
                        paired["significant"] if paired else None
                    ],
                }
            )
    return rows


def render_report_download(client: YakubaClient, run_ids: list[str], key: str) -> None:
    prepared = st.session_state.get(REPORT)
    if prepared and prepared[0] == run_ids:
        st.download_button(
            texts.EVALS_REPORT_DOWNLOAD, prepared[1], file_name=f"report-{run_ids[0]}.html",
            mime="text/html", icon=":material/download:", key=f"{key}-download",
        )  # fmt: skip
    elif st.button(texts.EVALS_REPORT_PREPARE, icon=":material/description:", key=f"{key}-prepare"):
        st.session_state[REPORT] = (run_ids, client.eval_report(run_ids[0], run_ids[1:]))
        st.rerun()


def render_items(client: YakubaClient, run: dict[str, Any]) -> None:
    st.subheader(texts.EVALS_ITEMS_HEADER)
    total = client.eval_run(run["run_id"], items=True, limit=1)["items_total"] or 0
    if not total:
        st.info(texts.EVALS_ITEMS_NONE)
        return
    starts = list(range(0, total, ITEMS_PER_PAGE))
    start = st.selectbox(
        texts.EVALS_ITEMS_PAGE, starts, key=f"items-page-{run['run_id']}",
        format_func=lambda s: texts.EVALS_ITEMS_PAGE_LABEL.format(
            start=s + 1, end=min(s + ITEMS_PER_PAGE, total), total=total),
    )  # fmt: skip
    page = client.eval_run(run["run_id"], items=True, offset=start, limit=ITEMS_PER_PAGE)["items"]
    for item in page:
        label = texts.EVALS_ITEM_LABEL.format(
            id=item["id"], variant=item["variant"], question=item["question"][:60]
        )
        with st.expander(label):
            st.markdown(f"**{texts.EVALS_ITEM_QUESTION}**：{item['question']}")
            expected = item["expected"].get("answers") or item["expected"].get("reference")
            if expected:
                shown = "、".join(expected) if isinstance(expected, list) else str(expected)
                st.markdown(f"**{texts.EVALS_ITEM_EXPECTED}**：{shown}")
            st.markdown(f"**{texts.EVALS_ITEM_ANSWER}**")
            st.text(item["text"] or texts.EVALS_ITEM_NO_ANSWER)
            if item["error"]:
                st.warning(texts.EVALS_ITEM_ERROR.format(error=item["error"]))
            scores = "、".join(f"{metric_name(k)} {_num(v)}" for k, v in item["scores"].items())
            st.caption(f"{texts.EVALS_ITEM_SCORES}：{scores or '—'}")


def render_run(client: YakubaClient, run_id: str) -> None:
    run = client.eval_run(run_id)
    st.caption(
        texts.EVALS_RUN_SUMMARY.format(suite=run["suite"], task=texts.EVALS_TASKS.get(run["task"], run["task"]), user=run["user"],
                                       n_items=(run["dataset"] or {}).get("n_items", 0),
                                       status=status_label(run["status"]))
    )  # fmt: skip
    if run.get("error"):
        st.error(texts.EVALS_RUN_ERROR.format(error=run["error"]))
    if run.get("progress"):
        p = run["progress"]
        st.progress(
            p["done"] / p["total"] if p["total"] else 0.0, text=texts.EVALS_START_PROGRESS.format(**p)
        )
    if run["metrics"]:
        st.subheader(texts.EVALS_METRICS_HEADER)
        st.dataframe(metrics_table(run["metrics"]), hide_index=True, width="stretch")
    if run["threshold_failures"]:
        lines = [
            texts.EVALS_THRESHOLD_LINE.format(variant=f["variant"], metric=metric_name(f["metric"]),
                                              value=_num(f["value"]), threshold=f["threshold"])
            for f in run["threshold_failures"]
        ]  # fmt: skip
        st.warning(texts.EVALS_THRESHOLD_FAILED.format(items="、".join(lines)))
    if run["status"] == "done":
        render_report_download(client, [run_id], key="report-run")
    render_items(client, run)


def render_runs(client: YakubaClient, runs: list[dict[str, Any]]) -> None:
    if not runs:
        st.info(texts.EVALS_RUNS_NONE)
        return
    st.dataframe(runs_table(runs), hide_index=True, width="stretch")
    ids = [r["run_id"] for r in runs]
    chosen = st.selectbox(texts.EVALS_RUN_SELECT, ids, key="eval-run")
    if chosen:
        render_run(client, chosen)


def render_compare(client: YakubaClient, runs: list[dict[str, Any]]) -> None:
    done = [r["run_id"] for r in runs if r["status"] == "done"]
    if len(done) < 2:
        st.info(texts.EVALS_COMPARE_NEED_TWO)
        return
    st.caption(texts.EVALS_COMPARE_HELP)
    cols = st.columns(2)
    base = cols[0].selectbox(texts.EVALS_COMPARE_BASE, done, index=1, key="eval-compare-base")
    other = cols[1].selectbox(texts.EVALS_COMPARE_OTHER, done, index=0, key="eval-compare-other")
    if base == other:
        st.warning(texts.EVALS_COMPARE_SAME)
        return
    comparison = client.eval_compare([base, other])
    st.dataframe(compare_table(comparison), hide_index=True, width="stretch")
    st.caption(texts.EVALS_COMPARE_LEGEND.format(alpha=comparison["alpha"]))
    render_report_download(client, [base, other], key="report-compare")


def follow(client: YakubaClient, run_id: str) -> None:
    """Poll the run until it is over, with a progress bar."""
    with st.status(texts.EVALS_START_RUNNING.format(run_id=run_id), expanded=True) as status:
        bar = st.progress(0.0)
        deadline = time.monotonic() + POLL_LIMIT_SECONDS
        while True:
            run = client.eval_run(run_id)
            progress = run.get("progress") or {"done": 0, "total": 0}
            fraction = progress["done"] / progress["total"] if progress["total"] else 0.0
            bar.progress(min(fraction, 1.0), text=texts.EVALS_START_PROGRESS.format(**progress))
            if run["status"] in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(POLL_SECONDS)
        if run["status"] == "done":
            bar.progress(1.0)
            status.update(label=texts.EVALS_START_DONE.format(run_id=run_id), state="complete")
        elif run["status"] == "failed":
            status.update(
                label=texts.EVALS_START_FAILED.format(run_id=run_id, error=run.get("error") or ""),
                state="error",
            )
        else:
            status.update(label=texts.EVALS_START_STILL_RUNNING.format(run_id=run_id), state="running")


def render_start(client: YakubaClient, suites: list[dict[str, Any]]) -> None:
    ready = [s for s in suites if s["status"] == "ready"]
    if not ready:
        st.info(texts.EVALS_START_NO_SUITES)
        return
    by_name = {s["name"]: s for s in ready}
    backends = [m["address"] for m in client.models()["models"] if m["available"]]
    with st.form("eval-start"):
        name = st.selectbox(
            texts.EVALS_START_SUITE,
            list(by_name),
            format_func=lambda n: f"{n}（{_clip(by_name[n]['description'], 40)}）",
        )
        chosen = st.multiselect(
            texts.EVALS_START_BACKENDS, backends, help=texts.EVALS_START_BACKENDS_HELP, format_func=backend_label,
            placeholder=texts.EVALS_START_BACKENDS_PLACEHOLDER,
        )  # fmt: skip
        limit = st.number_input(texts.EVALS_START_LIMIT, min_value=0, value=0, step=10)
        submitted = st.form_submit_button(texts.EVALS_START_BUTTON, type="primary")
    if submitted:
        started = client.start_eval(name, chosen or None, int(limit) or None)
        follow(client, started["run_id"])


def render(client: YakubaClient) -> None:
    st.header(texts.EVALS_HEADER)
    st.caption(texts.EVALS_CAPTION)
    with session.api_errors():
        try:
            suites = client.eval_suites()
        except Forbidden:
            st.warning(texts.EVALS_FORBIDDEN)
            return
        runs = client.eval_runs()
        tab_runs, tab_compare, tab_start = st.tabs(
            [texts.EVALS_TAB_RUNS, texts.EVALS_TAB_COMPARE, texts.EVALS_TAB_START]
        )
        with tab_runs:
            render_runs(client, runs)
        with tab_compare:
            render_compare(client, runs)
        with tab_start:
            render_start(client, suites)


def may_evaluate(client: YakubaClient) -> bool:
    """Whether the signed-in user may use this page (asked of the API once per sign-in)."""
    allowed = st.session_state.get(session.EVAL_ALLOWED)
    if allowed is None:
        try:
            client.eval_suites()
            allowed = True
        except Forbidden:
            allowed = False
        except ApiError:
            return False  # not cached: asked again on the next run
        st.session_state[session.EVAL_ALLOWED] = allowed
    return allowed
