"""The answer-quality regression suite on the project's own sample corpus: CI fails when a change makes the
offline answers worse than the suite's thresholds (evals/suites/sample-regression.toml)."""

from __future__ import annotations

import pytest

from assistant.config import get_settings
from evals.runner import run_suite
from evals.suite import load_suite


@pytest.mark.slow
def test_sample_regression_suite_meets_its_thresholds():
    suite = load_suite("sample-regression")
    record = run_suite(suite, get_settings(), progress=False, use_cache=False)
    metrics = record["metrics"]["extractive"]
    assert record["dataset"]["n_items"] >= 15 and metrics["errors"]["value"] == 0
    assert record["threshold_failures"] == [], record["threshold_failures"]
