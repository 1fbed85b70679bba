"""The 評価 page driven by `AppTest` against the real API (conftest.py): shown to administrators only (the
API's evaluator groups are empty there), runs with headline metrics, a run's metrics and items, a comparison
with significance, the HTML report, and a run started from the page followed to the end."""

from __future__ import annotations

import secrets

import pytest

from assistant.backends import embedders
from assistant.config import Settings
from evals.records import ITEMS_FILE, ItemLog, now_iso, run_path, write_run
from tests.support.embedder import BigramEmbedder
from tests.ui.test_app import all_text, button, sign_in, ui_session
from ui import texts

RUNS = {"eval-base": [0.0, 0.0, 1.0, 0.0, 0.0, 0.0], "eval-better": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0]}


class _TestingEmbedders:
    def names(self) -> list[str]:
        return ["bigram"]

    def create(self, name: str) -> BigramEmbedder:
        return BigramEmbedder(name=f"testing/{name}")


def _write_run(settings: Settings, run_id: str, scores: list[float], created: str) -> None:
    mean = sum(scores) / len(scores)
    record = {
        "version": 1, "run_id": run_id, "suite": "sample-regression", "task": "ask", "task_version": 1,
        "scores_version": 1, "created": created, "finished": now_iso(), "status": "done", "user": "kanri",
        "access": {"groups": [], "clearance": 1},  # run with rights the page's administrator covers
        "git_commit": None,
        "dataset": {"name": "sample", "path": "sample.jsonl", "sha256": "0" * 64, "n_items": len(scores),
                    "bad_rows": []},
        "variants": [{"name": "extractive", "backend": "offline/extractive", "settings": {}, "options": {}}],
        "scorers": ["containment"], "thresholds": {"containment": 0.5},
        "metrics": {"extractive": {"containment": {"value": mean, "ci_low": max(mean - 0.2, 0),
                                                   "ci_high": min(mean + 0.2, 1), "n": len(scores)}}},
        "threshold_failures": [] if mean >= 0.5 else [
            {"variant": "extractive", "metric": "containment", "value": mean, "threshold": 0.5}],
    }  # fmt: skip
    write_run(settings, record)
    log = ItemLog(run_path(settings, run_id) / ITEMS_FILE)
    for i, score in enumerate(scores):
        log.append({
            "key": f"{run_id}-{i}", "id": f"q{i + 1}", "variant": "extractive",
            "input": {"question": f"窓口の受付時間は何時までですか（{i + 1}）"}, "expected": {"answers": ["17時"]},
            "output": {}, "text": "午後5時15分までです。" if score else "資料に記載がありません。",
            "citations": [], "sources": [], "error": None, "latency_ms": 12, "usage": {},
            "backend": "offline/extractive", "mode": "extractive", "scores": {"containment": score},
        })  # fmt: skip


@pytest.fixture(scope="module")
def evals_home(live_api) -> dict[str, str]:
    """An administrator of the live API (may use 評価) and two finished runs; returns the administrator's key."""
    from assistant.records import create_user, init_db, make_session_factory

    settings = Settings(home=live_api.home)
    engine = init_db(settings.resolved_database_url)
    with make_session_factory(engine).begin() as session:
        name = f"hyoka-{secrets.token_hex(3)}"  # the live API is shared by the package's tests
        key = create_user(session, name, groups=[], clearance=1, admin=True)[1]
    engine.dispose()
    for n, (run_id, scores) in enumerate(RUNS.items()):
        _write_run(settings, run_id, scores, created=f"2025-04-0{n + 1}T09:00:00+00:00")
    return {"key": key, "name": name}


def open_page(at, key: str):
    sign_in(at, key)
    at.sidebar.radio(key="section").set_value(texts.SECTION_EVALS).run()
    return at


def test_the_page_is_offered_to_administrators_only(monkeypatch, live_api, evals_home):
    at = ui_session(monkeypatch, live_api.url)
    sign_in(at, live_api.keys["tanaka"])
    assert not at.exception
    assert texts.SECTION_EVALS not in at.sidebar.radio(key="section").options

    admin = ui_session(monkeypatch, live_api.url)
    sign_in(admin, evals_home["key"])
    assert texts.SECTION_EVALS in admin.sidebar.radio(key="section").options


def test_runs_metrics_items_and_report(monkeypatch, live_api, evals_home):
    at = open_page(ui_session(monkeypatch, live_api.url), evals_home["key"])
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs] == [
        texts.EVALS_TAB_RUNS,
        texts.EVALS_TAB_COMPARE,
        texts.EVALS_TAB_START,
    ]
    runs = at.dataframe[0].value
    assert list(runs[texts.EVALS_RUN_COLUMNS["run_id"]])[:2] == ["eval-better", "eval-base"]
    assert "正答の包含率 0.833" in list(runs[texts.EVALS_RUN_COLUMNS["headline"]])
    assert set(runs[texts.EVALS_RUN_COLUMNS["status"]]) >= {"完了"}

    at.selectbox(key="eval-run").set_value("eval-base").run()
    metrics = at.dataframe[1].value
    assert list(metrics[texts.EVALS_METRIC_COLUMNS["interval"]]) == ["[0.000, 0.367]"]
    text = all_text(at)
    assert "基準を下回った指標があります" in text and "正答の包含率" in text
    assert "q1［extractive］窓口の受付時間は何時までですか（1）" in text
    assert "資料に記載がありません。" in [t.value for t in at.text]

    button(at, texts.EVALS_REPORT_PREPARE).click().run()
    assert not at.exception
    (download,) = [b for b in at.get("download_button") if b.proto.label == texts.EVALS_REPORT_DOWNLOAD]
    assert download is not None


def test_comparison_shows_deltas_and_significance(monkeypatch, live_api, evals_home):
    at = open_page(ui_session(monkeypatch, live_api.url), evals_home["key"])
    at.selectbox(key="eval-compare-base").set_value("eval-base")
    at.selectbox(key="eval-compare-other").set_value("eval-better").run()
    assert not at.exception
    table = next(
        d.value for d in at.dataframe if texts.EVALS_COMPARE_COLUMNS["significant"] in d.value.columns
    )
    better = table[table[texts.EVALS_COMPARE_COLUMNS["column"]].str.contains("eval-better")].iloc[0]
    assert better[texts.EVALS_COMPARE_COLUMNS["delta"]] == "+0.667"
    assert better[texts.EVALS_COMPARE_COLUMNS["significant"]] in ("あり", "なし")
    assert texts.EVALS_COMPARE_LEGEND.format(alpha=0.05) in all_text(at)


def test_a_run_started_from_the_page_is_followed_to_the_end(monkeypatch, live_api, evals_home):
    # The sample corpus index, made beforehand with the tests' bigram embedder under a resolvable address, so
    # the run neither downloads nor loads a model.
    from assistant.retrieval.local_target import LocalIndexTarget
    from ingest.pipeline import IngestPipeline
    from ingest.sample.corpus import write_sample_corpus

    monkeypatch.setattr(embedders, "EMBEDDERS", embedders.EMBEDDERS.copy())
    monkeypatch.setattr(embedders, "_CACHE", {})
    embedders.register_embedder("testing", _TestingEmbedders())
    sample = live_api.home / "evals" / "sample"
    if not (sample / "index").exists():
        write_sample_corpus(sample / "corpus")
        IngestPipeline(LocalIndexTarget(sample / "index"), BigramEmbedder("testing/bigram")).run(
            [sample / "corpus"]
        )

    at = open_page(ui_session(monkeypatch, live_api.url), evals_home["key"])
    form_select = next(s for s in at.selectbox if s.label == texts.EVALS_START_SUITE)
    form_select.set_value("sample-regression")
    next(n for n in at.number_input if n.label == texts.EVALS_START_LIMIT).set_value(3)
    button(at, texts.EVALS_START_BUTTON).click().run(timeout=120)
    assert not at.exception, at.exception
    (status,) = at.get("status")
    assert status.label.startswith("評価が完了しました"), status.label
    assert status.state == "complete"
    newest = at.run().dataframe[0].value.iloc[0]  # the runs table, read again: the new run is listed first
    assert newest[texts.EVALS_RUN_COLUMNS["user"]] == evals_home["name"]
    assert (
        newest[texts.EVALS_RUN_COLUMNS["status"]] == "完了"
        and newest[texts.EVALS_RUN_COLUMNS["n_items"]] == 3
    )
