"""Bootstrap intervals and the paired bootstrap test."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from evals.stats import bootstrap_ci, paired_bootstrap


def test_ci_contains_the_mean_and_is_reproducible():
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0] * 5
    ci = bootstrap_ci(values)
    assert ci.n == 50 and ci.mean == pytest.approx(0.7)
    assert ci.low < 0.7 < ci.high
    assert 0.5 < ci.low and ci.high < 0.85  # ± about 1.96 · sqrt(.21/50) = .127
    assert bootstrap_ci(values) == ci  # fixed seed
    assert bootstrap_ci(values, seed=1) != ci


def test_ci_skips_none_and_handles_degenerate_samples():
    assert bootstrap_ci([1.0, None, 0.0, 1.0]).n == 3
    constant = bootstrap_ci([1.0, 1.0, 1.0])
    assert (constant.mean, constant.low, constant.high) == (1.0, 1.0, 1.0)
    assert bootstrap_ci([0.4]).low == 0.4
    empty = bootstrap_ci([None])
    assert empty.n == 0 and math.isnan(empty.mean)


def test_ci_agrees_with_scipy_percentile_bootstrap():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    values = rng.normal(3.0, 1.0, size=200)
    ours = bootstrap_ci(list(values), resamples=4000)
    theirs = stats.bootstrap((values,), np.mean, n_resamples=4000, method="percentile", random_state=1)
    assert ours.low == pytest.approx(theirs.confidence_interval.low, abs=0.03)
    assert ours.high == pytest.approx(theirs.confidence_interval.high, abs=0.03)


def test_paired_detects_a_consistent_improvement():
    rng = np.random.default_rng(1)
    base = rng.uniform(0, 1, size=100)
    a = {f"q{i}": float(v) for i, v in enumerate(base)}
    b = {f"q{i}": float(v) + 0.05 + float(rng.normal(0, 0.02)) for i, v in enumerate(base)}
    result = paired_bootstrap(a, b)
    assert result.n == 100
    assert result.delta == pytest.approx(0.05, abs=0.01)
    assert 0 < result.low < result.delta < result.high
    assert result.p_value < 0.01
    flipped = paired_bootstrap(b, a)
    assert flipped.delta == pytest.approx(-result.delta) and flipped.p_value < 0.01


def test_paired_no_difference_has_large_p_and_ci_around_zero():
    rng = np.random.default_rng(2)
    a = {f"q{i}": float(v) for i, v in enumerate(rng.integers(0, 2, size=80))}
    b = {f"q{i}": float(v) for i, v in enumerate(rng.permutation(list(a.values())))}  # same mean, shuffled
    result = paired_bootstrap(a, b)
    assert result.delta == pytest.approx(0.0)
    assert result.low < 0 < result.high
    assert result.p_value == 1.0


def test_paired_uses_only_shared_scored_items():
    a = {"q1": 1.0, "q2": 0.0, "q3": None, "q4": 1.0}
    b = {"q1": 1.0, "q2": 1.0, "q3": 1.0, "q5": 0.0}
    result = paired_bootstrap(a, b)
    assert result.n == 2 and result.delta == pytest.approx(0.5)
    assert paired_bootstrap({"x": 1.0}, {"y": 1.0}).n == 0


def test_fast_enough_for_a_report():
    values = list(np.random.default_rng(3).uniform(size=2000))
    started = time.perf_counter()
    bootstrap_ci(values)
    paired_bootstrap(dict(enumerate(values)), dict(enumerate(reversed(values))))
    assert time.perf_counter() - started < 2.0
