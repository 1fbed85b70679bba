"""`Filters.sources`: the chat's "search only in these documents or folders", applied before the top-k cut
like the access filters, and cached under its own key (a scoped search never leaks into an unscoped one)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.retrieval.base import Filters
from assistant.retrieval.local_store import build_in_memory

QUERY = "住民票の写しの交付手数料はいくらですか"


@pytest.fixture
def index(chunks, embedder):
    return build_in_memory(chunks, embedder, alpha=0.7, pool=100)


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense", "rrf"])
def test_only_the_chosen_file_is_searched(index, mode):
    hits = index.search(QUERY, k=5, filters=Filters(sources=["予算編成方針.pdf"]), mode=mode)
    assert {h.chunk.source for h in hits} <= {"予算編成方針.pdf"}
    if mode != "bm25":  # BM25 returns only chunks sharing a word
        assert hits


def test_a_folder_scope_takes_everything_under_it_and_nothing_with_the_same_prefix(chunks, embedder):
    placed = [
        replace(c, source=f"{folder}{c.source}")
        for c, folder in zip(
            chunks, ["reiki/", "reiki/sub/", "reiki2/", "other/"] * len(chunks), strict=False
        )
    ]
    index = build_in_memory(placed, embedder, alpha=0.7, pool=100)
    hits = index.search(QUERY, k=len(placed), filters=Filters(sources=["reiki/"]), mode="dense")
    assert {h.chunk.source.split("/")[0] for h in hits} == {"reiki"}
    assert len(hits) == sum(1 for c in placed if c.source.startswith("reiki/"))


def test_scope_combines_with_access_and_is_not_cached_over_other_searches(index, chunks):
    level1 = Filters(max_classification=1)
    scoped = Filters(max_classification=1, sources=["手数料条例.pdf"])
    assert {h.chunk.source for h in index.search(QUERY, k=10, filters=scoped)} == {"手数料条例.pdf"}
    wide = index.search(QUERY, k=len(chunks), filters=level1, mode="dense")
    assert len({h.chunk.source for h in wide}) > 1
    assert all(h.chunk.classification == 1 for h in wide)


def test_a_file_name_is_not_a_folder():
    chunk_like = type(
        "C", (), {"source": "reiki/a.pdf", "classification": 1, "groups": [], "doc_type": "policy"}
    )
    assert not Filters(sources=["reiki"]).allows(chunk_like)
    assert Filters(sources=["reiki/"]).allows(chunk_like)
    assert Filters(sources=["reiki/a.pdf"]).allows(chunk_like)
