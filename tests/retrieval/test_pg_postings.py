"""The postings side of the PostgreSQL index: candidates from the best postings per term, widened under
filters, and postings / document frequencies kept exact by per-file writes (pgserver's PostgreSQL 16).
"""

from __future__ import annotations

from collections import Counter

import psycopg
import pytest

from assistant.retrieval.base import Filters
from assistant.retrieval.local_store import build_in_memory
from assistant.retrieval.pg_store import PgIndex
from assistant.retrieval.tokenizer import get_tokenizer
from core.model import Chunk, make_chunk_id
from tests.retrieval.test_pg_store import FILTERS, QUERIES, changed, load, pg_server, pg_url, ranked, write

__all__ = ["pg_server", "pg_url"]  # fixtures shared with test_pg_store.py


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_one_posting_per_term_widens_to_the_local_ranking(pg_url, chunks, embedder, mode):
    """Reading 1 posting per term leaves too few candidates: the search widens until it has read every
    posting of the query's terms, so the ranking is the local index's, filters included."""
    load(pg_url, chunks, embedder)
    store = PgIndex.open(pg_url, embedder, alpha=0.7, pool=100, per_term=1, shortlist=1)
    local = build_in_memory(chunks, embedder, alpha=0.7, pool=100)
    for query in QUERIES:
        for filters in FILTERS:
            expected = local.search(query, k=5, filters=filters, mode=mode)
            assert ranked(store.search(query, k=5, filters=filters, mode=mode)) == ranked(expected)


def test_candidates_are_the_best_postings_of_each_term(pg_url, embedder):
    """Without a filter and with enough candidates, only the best `per_term` postings are read: here one
    chunk repeats the term, so it has the highest impact and is found from a single posting."""
    texts = [f"申請書の様式第{i}号を定める。" for i in range(30)] + ["申請、申請、申請の手続。"]
    chunks = [
        Chunk(make_chunk_id("様式.txt", i, t), t, t, "様式.txt", "様式", ordinal=i)
        for i, t in enumerate(texts)
    ]
    load(pg_url, chunks, embedder)
    store = PgIndex.open(pg_url, embedder, alpha=0.7, pool=1, per_term=1, shortlist=1)
    hits = store.search("申請", k=1, mode="bm25")
    assert [h.chunk.text for h in hits] == ["申請、申請、申請の手続。"]
    local = build_in_memory(chunks, embedder, alpha=0.7, pool=1)
    assert ranked(hits) == ranked(local.search("申請", k=1, mode="bm25"))


def postings_state(url: str) -> tuple[dict[str, int], dict[str, int], int]:
    """(df per term as stored, df per term counted from the postings, postings whose chunk is gone)."""
    with psycopg.connect(url, autocommit=True) as conn:
        stored = dict(conn.execute("SELECT term, df FROM yakuba_index.terms WHERE df > 0").fetchall())
        counted = dict(
            conn.execute(
                "SELECT t.term, count(*) FROM yakuba_index.postings p JOIN yakuba_index.terms t"
                " ON t.id = p.term_id GROUP BY t.term"
            ).fetchall()
        )
        orphans = conn.execute(
            "SELECT count(*) FROM yakuba_index.postings p"
            " WHERE NOT EXISTS (SELECT 1 FROM yakuba_index.chunks c WHERE c.seq = p.seq)"
        ).fetchone()[0]
    return stored, counted, orphans


def test_replacing_and_removing_files_keeps_postings_and_df_exact(pg_url, chunks, embedder):
    target = load(pg_url, chunks, embedder)
    new = changed(chunks, "手数料条例.pdf", ["戸籍謄本の交付手数料は、1通につき450円とする。"])
    new = [c for c in new if c.source != "公用車.txt"]
    write(target, new, embedder)
    stored, counted, orphans = postings_state(pg_url)
    tokenizer = get_tokenizer()
    expected = Counter(t for c in new for t in set(tokenizer.tokenize(c.search_text)))
    assert stored == counted == dict(expected)
    assert orphans == 0
    store = PgIndex.open(pg_url, embedder, alpha=0.7, pool=100, per_term=1)
    local = build_in_memory(new, embedder, alpha=0.7, pool=100)
    for query in [*QUERIES, "戸籍謄本の手数料"]:
        assert ranked(store.search(query, k=5, mode="bm25")) == ranked(local.search(query, k=5, mode="bm25"))


def test_a_filter_hiding_the_best_postings_still_gives_k_results(pg_url, embedder):
    """The best postings of the term all belong to hidden chunks: widening finds the visible ones."""
    hidden = [f"予算、予算、予算の査定{i}。" for i in range(20)]
    public = [f"予算の公表{i}について定める条例の規定。" for i in range(8)]
    chunks = [
        Chunk(make_chunk_id("秘.txt", i, t), t, t, "秘.txt", "秘", ordinal=i, classification=3)
        for i, t in enumerate(hidden)
    ] + [Chunk(make_chunk_id("公.txt", i, t), t, t, "公.txt", "公", ordinal=i) for i, t in enumerate(public)]
    load(pg_url, chunks, embedder)
    store = PgIndex.open(pg_url, embedder, alpha=0.7, pool=5, per_term=2, shortlist=2)
    hits = store.search("予算", k=5, filters=Filters(max_classification=1), mode="bm25")
    assert len(hits) == 5 and {h.chunk.source for h in hits} == {"公.txt"}
    local = build_in_memory(chunks, embedder, alpha=0.7, pool=5)
    assert ranked(hits) == ranked(
        local.search("予算", k=5, filters=Filters(max_classification=1), mode="bm25")
    )


def test_a_chunk_in_no_term_s_best_postings_is_still_found(pg_url, embedder):
    """The best chunk for 「申請 様式」 holds each word once, so it is in neither word's best postings (chunks that
    repeat one word are); reading one posting per word finds only those. The threshold (a chunk missing from a
    list gains at most that list's lowest impact read) says more could score higher, so the lists widen."""
    texts = (
        [f"申請、申請、申請。第{i}号" for i in range(6)]
        + [f"様式、様式、様式。第{i}号" for i in range(6)]
        + ["申請の様式。第九号"]
    )
    chunks = [
        Chunk(make_chunk_id("混在.txt", i, t), t, t, "混在.txt", "混在", ordinal=i) for i, t in enumerate(texts)
    ]
    load(pg_url, chunks, embedder)
    local = build_in_memory(chunks, embedder, alpha=0.7, pool=1)
    expected = local.search("申請 様式", k=1, mode="bm25")
    assert [h.chunk.text for h in expected] == ["申請の様式。第九号"]
    store = PgIndex.open(pg_url, embedder, alpha=0.7, pool=1, per_term=1, shortlist=1, widen=2)  # 1 → 4 → 16
    assert ranked(store.search("申請 様式", k=1, mode="bm25")) == ranked(expected)
    unwidened = PgIndex.open(pg_url, embedder, alpha=0.7, pool=1, per_term=1, shortlist=1, widen=0)
    assert ranked(unwidened.search("申請 様式", k=1, mode="bm25")) != ranked(expected)  # what the bound saves
