"""Comparing runs: columns per (run, variant), intervals, paired bootstrap over matched item ids, changed items,
the terminal table. The fake runs built here are reused by test_report.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.compare import compare_runs, display_width, load_run_dir, render_compare_text

N_ITEMS = 40


def make_item(item_id: str, variant: str, *, correct: bool, backend: str, latency_ms: int = 800,
              cost: float = 0.0, text: str | None = None, f1: float | None = None) -> dict[str, Any]:
    question = f"問{item_id}：マイナンバーカードの交付申請に必要な書類は何か。"
    answer = text if text is not None else ("本人確認書類と通知カードです。" if correct else "わかりません。")
    return {
        "key": f"{item_id}:{variant}", "id": item_id, "variant": variant,
        "input": {"question": question},
        "expected": {"answers": ["本人確認書類と通知カード"], "sources": ["マイナンバーカード交付事務の手引き"]},
        "output": {"answer": answer},
        "text": answer,
        "citations": [{"n": 1, "chunk_id": "c1", "title": "マイナンバーカード交付事務の手引き",
                       "source": "docs/guide.md", "location": "交付申請", "quote": "本人確認書類と通知カードが必要です。"}],
        "sources": [{"chunk_id": "c1", "title": "マイナンバーカード交付事務の手引き", "source": "docs/guide.md",
                     "text": "マイナンバーカードの交付申請には、本人確認書類と通知カードが必要です。"}],
        "scores": {"exact_match": 1.0 if correct else 0.0, "f1": f1 if f1 is not None else (0.9 if correct else 0.1)},
        "error": None, "latency_ms": latency_ms,
        "usage": {"input_tokens": 500, "output_tokens": 40, "cost": cost},
        "backend": backend, "mode": "offline" if backend.startswith("offline") else "llm",
    }


def make_run(run_id: str, variants: dict[str, tuple[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """A run.json dict with its items; variants maps name → (backend, items)."""
    return {
        "version": 1, "run_id": run_id, "suite": "jsquad-mini", "task": "ask", "task_version": "1",
        "created": "2025-06-01T10:00:00+09:00", "finished": "2025-06-01T10:05:00+09:00", "status": "done",
        "git_commit": "5cd3110abcdef",
        "dataset": {"name": "jsquad-mini", "path": "data/jsquad-mini.jsonl", "sha256": "ab" * 32,
                    "n_items": N_ITEMS, "bad_rows": [{"row": 3, "reason": "question is empty"}]},
        "variants": [{"name": name, "backend": backend, "settings": {}} for name, (backend, _) in variants.items()],
        "scorers": ["exact_match", "f1"], "metrics": {}, "thresholds": {"exact_match": 0.5},
        "threshold_failures": [],
        "items": [item for _backend, items in variants.values() for item in items],
    }


def weak_items(variant: str, backend: str = "offline/extractive") -> list[dict[str, Any]]:
    # every 4th item right (25%)
    return [make_item(f"q{i:03d}", variant, correct=i % 4 == 0, backend=backend, latency_ms=100 + 3 * i)
            for i in range(N_ITEMS)]


def strong_items(variant: str = "sonnet", backend: str = "bedrock/claude-sonnet-4-5") -> list[dict[str, Any]]:
    # all right except items 1 and 2; in reverse order and without q039, so matching must go by id
    items = [make_item(f"q{i:03d}", variant, correct=i not in (1, 2), backend=backend, latency_ms=1500 + 20 * i,
                       cost=0.004) for i in range(N_ITEMS - 1)]
    return list(reversed(items))


@pytest.fixture
def runs() -> list[dict[str, Any]]:
    baseline = make_run("run-a", {"extractive": ("offline/extractive", weak_items("extractive")),
                                  "extractive-copy": ("offline/extractive", weak_items("extractive-copy"))})
    better = make_run("run-b", {"sonnet": ("bedrock/claude-sonnet-4-5", strong_items())})
    return [baseline, better]


def test_columns_are_run_variant_pairs_with_usage(runs):
    comparison = compare_runs(runs)
    assert [c.label for c in comparison.columns] == ["run-a/extractive", "run-a/extractive-copy", "run-b/sonnet"]
    assert [c.run_index for c in comparison.columns] == [0, 0, 1]
    sonnet = comparison.columns[2]
    assert sonnet.backend == "bedrock/claude-sonnet-4-5"
    assert sonnet.n_items == N_ITEMS - 1
    assert sonnet.cost_total == pytest.approx(0.004 * (N_ITEMS - 1))
    assert sonnet.latency_p50_ms > comparison.columns[0].latency_p95_ms


def test_clearly_better_variant_is_significant_and_identical_one_is_not(runs):
    comparison = compare_runs(runs)
    row = next(r for r in comparison.metrics if r.metric == "exact_match")
    base, copy, better = row.cells
    assert base.value == pytest.approx(0.25)
    assert base.ci_low < 0.25 < base.ci_high
    assert copy.paired.delta == 0 and copy.paired.p_value == 1.0 and not copy.paired.significant
    assert better.paired.n == N_ITEMS - 1  # only items both columns have
    assert better.paired.delta > 0.6
    assert better.paired.ci_low > 0
    assert better.paired.p_value < 0.01 and better.paired.significant
    assert better.delta == pytest.approx(better.value - base.value)


def test_changed_items_are_the_ones_whose_score_moved_with_both_texts(runs):
    comparison = compare_runs(runs, top_changed=50)
    row = next(r for r in comparison.metrics if r.metric == "exact_match")
    changed = {c.item_id: c for c in row.changed}
    expected = {f"q{i:03d}" for i in range(N_ITEMS - 1) if i % 4 != 0 and i not in (1, 2)}
    assert set(changed) == expected  # none from the identical column, none unchanged
    item = changed["q005"]
    assert item.column == 3 and item.change == 1.0
    assert "問q005" in item.question
    assert item.base_text == "わかりません。" and item.text == "本人確認書類と通知カードです。"


def test_top_changed_orders_by_absolute_change_and_limits(runs):
    runs[1]["items"][0]["scores"]["f1"] = 0.0  # q038: 0.1 → 0.0, a small change
    comparison = compare_runs(runs, top_changed=3)
    row = next(r for r in comparison.metrics if r.metric == "f1")
    assert len(row.changed) == 3
    assert all(abs(c.change) == pytest.approx(0.8) for c in row.changed)


def test_missing_scores_are_left_out(runs):
    for item in runs[1]["items"][:10]:
        item["scores"]["f1"] = None
    row = next(r for r in compare_runs(runs).metrics if r.metric == "f1")
    assert row.cells[2].n == N_ITEMS - 11
    assert row.cells[2].paired.n == N_ITEMS - 11


def test_load_run_reads_run_json_and_items(tmp_path: Path, runs):
    run = runs[1]
    run_dir = tmp_path / "evals" / run["run_id"]
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({k: v for k, v in run.items() if k != "items"}), encoding="utf-8")
    (run_dir / "items.jsonl").write_text(
        "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in run["items"]), encoding="utf-8"
    )
    loaded = load_run_dir(run_dir)
    assert loaded["run_id"] == "run-b" and loaded["items"] == run["items"]


def test_render_compare_text_is_an_aligned_table(runs):
    text = render_compare_text(compare_runs(runs))
    lines = text.splitlines()
    assert "[3] run-b/sonnet" in text
    header = next(i for i, line in enumerate(lines) if line.startswith("指標"))
    table = lines[header: header + 4]  # header, rule, exact_match, f1
    assert table[2].startswith("exact_match") and table[3].startswith("f1")
    assert len({display_width(line) for line in table[1:]}) == 1  # columns line up (Japanese counts 2)
    assert display_width(table[0]) <= display_width(table[1])
    assert " *" in table[2]  # significant for [3]
    assert "変化の大きい項目（exact_match）" in text
    assert "わかりません。" in text and "本人確認書類と通知カードです。" in text
