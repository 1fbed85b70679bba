import numpy as np
import pytest

from assistant.retrieval.fusion import (
    minmax,
    rank_hybrid,
    rank_single,
    reciprocal_rank_fusion,
    top_rows,
    weighted_fusion,
)


def test_minmax_scales_to_unit_interval():
    np.testing.assert_allclose(minmax(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])


def test_minmax_of_constant_scores():
    np.testing.assert_array_equal(minmax(np.array([0.7, 0.7])), [1.0, 1.0])
    np.testing.assert_array_equal(minmax(np.array([0.0, 0.0])), [0.0, 0.0])
    assert minmax(np.array([])).size == 0


def test_weighted_fusion_by_hand():
    dense = np.array([0.9, 0.5, 0.1])  # → 1, .5, 0
    lexical = np.array([0.0, 10.0, 5.0])  # → 0, 1, .5
    np.testing.assert_allclose(weighted_fusion(dense, lexical, 0.7), [0.7, 0.65, 0.15], rtol=1e-6)
    np.testing.assert_allclose(weighted_fusion(dense, lexical, 0.0), [0.0, 1.0, 0.5])
    with pytest.raises(ValueError):
        weighted_fusion(dense, lexical, 1.5)


def test_reciprocal_rank_fusion_by_hand():
    fused = reciprocal_rank_fusion([np.array([3, 1]), np.array([1, 7])], k=60)
    assert fused[1] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[3] == pytest.approx(1 / 61)
    assert fused[7] == pytest.approx(1 / 62)


def test_top_rows_orders_and_breaks_ties_by_row():
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.3])
    assert top_rows(scores, 3).tolist() == [1, 3, 2]
    assert top_rows(scores, 10).tolist() == [1, 3, 2, 4, 0]
    assert top_rows(scores, 0).tolist() == []


def test_top_rows_respects_mask_before_the_cut():
    scores = np.array([0.9, 0.8, 0.7, 0.1, 0.05])
    allowed = np.array([False, False, False, True, True])
    assert top_rows(scores, 2, allowed).tolist() == [3, 4]
    assert top_rows(scores, 5, allowed).tolist() == [3, 4]


def test_rank_hybrid_by_hand():
    dense = np.array([0.9, 0.2, 0.5, 0.1])
    lexical = np.array([0.0, 8.0, 4.0, 0.0])
    ranking = rank_hybrid(dense, lexical, 3, alpha=0.5, pool=10)
    # dense → [1, .125, .5, 0]; lexical → [0, 1, .5, 0]; fused → [.5, .5625, .5, 0]
    assert ranking.rows.tolist() == [1, 0, 2]
    np.testing.assert_allclose(ranking.scores, [0.5625, 0.5, 0.5], rtol=1e-6)
    np.testing.assert_allclose(ranking.lexical, [1.0, 0.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(ranking.dense, [0.125, 1.0, 0.5], rtol=1e-6)


def test_rank_hybrid_returns_k_allowed_rows_even_with_a_small_pool():
    rng = np.random.default_rng(0)
    dense, lexical = rng.random(50), rng.random(50)
    allowed = np.zeros(50, dtype=bool)
    allowed[::5] = True  # 10 rows
    ranking = rank_hybrid(dense, lexical, 8, alpha=0.7, pool=2, allowed=allowed)
    assert len(ranking.rows) == 8
    assert allowed[ranking.rows].all()


def test_rank_hybrid_rrf_method():
    dense = np.array([0.9, 0.2, 0.5])
    lexical = np.array([0.0, 8.0, 4.0])
    ranking = rank_hybrid(dense, lexical, 3, alpha=0.5, pool=10, method="rrf")
    # dense order 0,2,1; lexical order 1,2 → row 1: 1/63+1/61 > row 2: 2/62 > row 0: 1/61
    assert ranking.rows.tolist() == [1, 2, 0]
    assert ranking.scores[0] == pytest.approx(1 / 63 + 1 / 61)


def test_rank_single_positive_only_drops_non_matches():
    ranking = rank_single(np.array([0.0, 2.0, 0.0, 1.0]), 4, positive_only=True)
    assert ranking.rows.tolist() == [1, 3]
