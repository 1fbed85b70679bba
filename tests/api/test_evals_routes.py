"""/evals: suites, runs (listed, read with items, compared, reported as HTML) and runs started over HTTP, which
run in the background as the caller; only administrators and members of `evaluator_groups` get in."""

from __future__ import annotations

import time
from typing import Any

import pytest

from assistant.backends import embedders
from assistant.records import create_user
from evals.records import ITEMS_FILE, ItemLog, now_iso, run_path, write_run
from tests.support.embedder import BigramEmbedder

EVALUATOR_GROUP = "評価担当"


class _TestingEmbedders:
    """`testing/bigram`: the tests' bigram embedder under an address the registry resolves, so the runner can
    build the sample corpus index without loading a model."""

    def names(self) -> list[str]:
        return ["bigram"]

    def create(self, name: str) -> BigramEmbedder:
        return BigramEmbedder(name=f"testing/{name}")


@pytest.fixture
def eval_api(make_api, monkeypatch):
    monkeypatch.setattr(embedders, "EMBEDDERS", embedders.EMBEDDERS.copy())
    monkeypatch.setattr(embedders, "_CACHE", {})
    embedders.register_embedder("testing", _TestingEmbedders())
    api = make_api(evaluator_groups=[EVALUATOR_GROUP], embedder="testing/bigram")
    with api.ctx.write_sessions.begin() as session:
        api.keys["hyoka"] = create_user(session, "hyoka", [EVALUATOR_GROUP], 1)[1]
    return api


def _write_run(settings, run_id: str, scores: list[float], *, created: str | None = None) -> None:
    """A finished run record of 8 items with these containment scores, written as the runner writes it."""
    record = {
        "version": 1, "run_id": run_id, "suite": "sample-regression", "task": "ask", "task_version": 1,
        "scores_version": 1, "created": created or now_iso(), "finished": now_iso(), "status": "done",
        "user": "hyoka", "git_commit": None,
        "dataset": {"name": "sample-questions", "path": "/srv/secret/place/sample-questions.jsonl",
                    "sha256": "0" * 64, "n_items": len(scores), "bad_rows": []},
        "variants": [{"name": "extractive", "backend": "offline/extractive", "settings": {}, "options": {}}],
        "scorers": ["containment"], "thresholds": {"containment": 0.5},
        "metrics": {"extractive": {"containment": {"value": sum(scores) / len(scores), "ci_low": 0.1,
                                                   "ci_high": 0.9, "n": len(scores)}}},
        "threshold_failures": [],
    }  # fmt: skip
    write_run(settings, record)
    log = ItemLog(run_path(settings, run_id) / ITEMS_FILE)
    for i, score in enumerate(scores):
        log.append({
            "key": f"{run_id}-{i}", "id": f"q{i}", "variant": "extractive", "input": {"question": f"質問{i}は何か"},
            "expected": {"answers": ["答え"]}, "output": {"answer": f"回答{i}"}, "text": f"回答{i}",
            "citations": [], "sources": [], "error": None, "latency_ms": 5, "usage": {}, "backend": "offline/extractive",
            "mode": "extractive", "scores": {"containment": score},
        })  # fmt: skip


@pytest.fixture
def two_runs(eval_api):
    settings = eval_api.ctx.settings
    _write_run(settings, "run-a", [0.0] * 8, created="2025-01-01T00:00:00+00:00")
    _write_run(settings, "run-b", [1.0] * 8, created="2025-01-02T00:00:00+00:00")
    return eval_api


def test_runs_are_listed_newest_first(two_runs):
    response = two_runs.get("/evals", "hyoka")
    assert response.status_code == 200, response.text
    runs = response.json()["runs"]
    assert [r["run_id"] for r in runs] == ["run-b", "run-a"]
    assert runs[0]["summary"] == {"extractive": {"containment": 1.0}}
    assert runs[0]["n_items"] == 8 and runs[0]["status"] == "done"


def test_a_run_is_read_with_one_page_of_items_and_no_server_paths(two_runs):
    response = two_runs.get("/evals/run-a", "hyoka", params={"items": "true", "offset": 2, "limit": 3})
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["metrics"]["extractive"]["containment"] == {
        "value": 0.0,
        "ci_low": 0.1,
        "ci_high": 0.9,
        "n": 8,
    }
    assert run["items_total"] == 8
    assert [i["id"] for i in run["items"]] == ["q2", "q3", "q4"]
    assert run["items"][0]["question"] == "質問2は何か" and run["items"][0]["scores"] == {"containment": 0.0}
    assert run["dataset"]["file"] == "sample-questions.jsonl"
    assert "/srv/secret" not in response.text
    assert two_runs.get("/evals/run-a", "hyoka").json()["items"] is None


def test_an_unknown_run_is_a_japanese_404(two_runs):
    response = two_runs.get("/evals/no-such-run", "hyoka")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found" and "見つかりません" in response.json()["message"]


def test_compare_gives_deltas_with_significance(two_runs):
    response = two_runs.get("/evals/compare", "hyoka", params=[("runs", "run-a"), ("runs", "run-b")])
    assert response.status_code == 200, response.text
    comparison = response.json()
    assert [c["run_id"] for c in comparison["columns"]] == ["run-a", "run-b"]
    (row,) = comparison["metrics"]
    assert row["metric"] == "containment"
    cell = row["cells"][1]
    assert cell["delta"] == pytest.approx(1.0)
    assert cell["paired"]["significant"] is True and cell["paired"]["n"] == 8
    assert two_runs.get("/evals/compare", "hyoka", params={"runs": "run-a"}).status_code == 422


def test_report_is_html(two_runs):
    response = two_runs.get("/evals/run-a/report", "hyoka", params={"with": "run-b"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert (
        response.text.startswith("<!DOCTYPE html>") and "run-a" in response.text and "run-b" in response.text
    )


def test_suites_are_listed(eval_api):
    response = eval_api.get("/evals/suites", "hyoka")
    assert response.status_code == 200, response.text
    suites = {s["name"]: s for s in response.json()["suites"]}
    assert suites["sample-regression"]["status"] == "ready"
    assert suites["sample-regression"]["task"] == "ask"


@pytest.mark.parametrize("user", ["bob", "alice"])
def test_users_outside_the_evaluator_groups_are_refused_in_japanese(eval_api, user):
    for response in (
        eval_api.get("/evals", user),
        eval_api.get("/evals/suites", user),
        eval_api.get("/evals/anything", user),
        eval_api.post("/evals", user, json={"suite": "sample-regression"}),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "forbidden" and "評価" in response.json()["message"]


def test_administrators_may_read_runs(two_runs):
    assert two_runs.get("/evals", "kanri").status_code == 200


def test_no_evaluator_groups_means_administrators_only(api):
    assert api.get("/evals", "alice").status_code == 403
    assert api.get("/evals", "kanri").status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"suite": "no-such-suite"}, 404),
        ({"suite": "../../etc/passwd"}, 404),
        ({"suite": "sample-regression", "backends": ["nowhere/model"]}, 400),
        ({"suite": "sample-regression", "limit": 0}, 422),
        ({"suite": "sample-regression", "extra": 1}, 422),
    ],
)
def test_bad_start_requests_are_refused(eval_api, body, status):
    response = eval_api.post("/evals", "hyoka", json=body)
    assert response.status_code == status, response.text
    assert response.json()["message"]


def _wait(api, run_id: str, user: str, timeout: float = 120.0) -> list[dict[str, Any]]:
    """Poll GET /evals/{run_id} until the run is over; returns every answer seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = api.get(f"/evals/{run_id}", user, params={"items": "true", "limit": 200})
        assert response.status_code == 200, response.text
        seen.append(response.json())
        if seen[-1]["status"] in ("done", "failed"):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish: {seen[-1]}")


def test_a_started_run_finishes_as_the_caller(eval_api):
    response = eval_api.post("/evals", "hyoka", json={"suite": "sample-regression"})
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["status"] == "queued" and "sample-regression" in started["run_id"]

    seen = _wait(eval_api, started["run_id"], "hyoka")
    run = seen[-1]
    assert run["status"] == "done", run
    assert run["user"] == "hyoka" and run["progress"] is None
    assert run["dataset"]["n_items"] == 15 and run["items_total"] == 15
    assert 0.0 <= run["metrics"]["extractive"]["containment"]["value"] <= 1.0
    for progress in (r["progress"] for r in seen if r["status"] == "running"):
        assert progress["total"] == 15 and 0 <= progress["done"] <= 15
    # The evaluator (機密性1, not in 財政課 or 総務課) never got the sample corpus' internal documents.
    rows = ItemLog(run_path(eval_api.ctx.settings, run["run_id"]) / ITEMS_FILE).read()
    sources = [s for row in rows for s in row["sources"]]
    assert sources and all(s["classification"] == 1 for s in sources)
    assert not any("内部" in s["source"] or "機密" in s["source"] for s in sources)
    assert started["run_id"] in [r["run_id"] for r in eval_api.get("/evals", "hyoka").json()["runs"]]


def test_a_limited_run_with_a_chosen_backend(eval_api):
    body = {"suite": "sample-regression", "backends": ["offline/extractive"], "limit": 2}
    run_id = eval_api.post("/evals", "kanri", json=body).json()["run_id"]
    run = _wait(eval_api, run_id, "kanri")[-1]
    assert run["status"] == "done" and run["dataset"]["n_items"] == 2
    assert [v["name"] for v in run["variants"]] == ["offline/extractive"]


def test_a_run_is_read_only_by_its_owner_and_administrators_who_cover_its_rights():
    from evals.api import may_read_run

    class U:
        def __init__(self, name, admin, clearance, groups):
            self.name, self.is_admin, self.clearance, self.groups = name, admin, clearance, groups

    record = {"user": "sato", "access": {"groups": ["財政課"], "clearance": 2}}
    assert may_read_run(U("sato", False, 1, []), record)
    assert not may_read_run(U("suzuki", False, 3, ["財政課"]), record)  # another evaluator
    assert not may_read_run(U("kanri", True, 1, ["財政課"]), record)  # admin below the run's clearance
    assert not may_read_run(U("kanri", True, 3, ["総務課"]), record)  # admin outside its groups
    assert may_read_run(U("kanri", True, 3, ["財政課", "総務課"]), record)
    assert not may_read_run(U("kanri", True, 2, []), {"user": "cli", "access": {"groups": None, "clearance": None}})
