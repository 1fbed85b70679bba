"""The PostgreSQL index (pgvector + BM25 in SQL) against the local one, on pgserver's PostgreSQL 16.

Skipped when pgserver cannot start PostgreSQL on this machine.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.retrieval import pg_target
from assistant.retrieval.base import Filters
from assistant.retrieval.local_store import build_in_memory
from assistant.retrieval.pg_store import PgIndex
from assistant.retrieval.pg_target import PgIndexTarget
from core.errors import IndexMismatch, IndexNotFound
from core.model import Chunk, make_chunk_id
from tests.support.doc_listing import listed
from tests.support.gated_embedder import GatedEmbedder

QUERIES = [
    "住民票の写しの交付手数料はいくらですか",
    "粗大ごみの申込方法",
    "予算査定の内部検討",
    "固定資産税の納期はいつか",
    "公用車の使用申請",
    "児童手当の支給日",
]
FILTERS = [
    None,
    Filters(max_classification=1),
    Filters(groups=["財政課"], max_classification=2),
    Filters(groups=[]),
    Filters(doc_type="inquiry"),
    Filters(date_from="2023-01-01", date_to="2024-12-31"),
    Filters(exclude_sources=["手数料条例.pdf"]),
]


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory) -> Iterator[str]:
    try:
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pgindex"), cleanup_mode="stop")
        url = server.get_uri()
    except Exception as exc:  # any failure to start means: no PostgreSQL on this machine
        pytest.skip(f"PostgreSQL from pgserver could not start ({type(exc).__name__}: {exc})")
    yield url
    server.cleanup()


@pytest.fixture
def pg_url(pg_server) -> str:
    """The server's URL, its index emptied."""
    import psycopg

    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS yakuba_index CASCADE")
    return pg_server


def files_of(chunks: list[Chunk]) -> dict[str, dict]:
    files: dict[str, dict] = {}
    for c in chunks:
        files.setdefault(c.source, {"fingerprint": c.source, "chunk_ids": []})["chunk_ids"].append(c.chunk_id)
    return files


def load(url: str, chunks: list[Chunk], embedder, target: PgIndexTarget | None = None) -> PgIndexTarget:
    target = target or PgIndexTarget(url)
    target.open_previous(rebuild=False)
    vectors = embedder.embed_documents([c.search_text for c in chunks])
    target.write_generation(
        chunks, vectors, embedder_name=embedder.name, dim=embedder.dim, files=files_of(chunks)
    )
    return target


def ranked(hits) -> list[tuple[str, float]]:
    return [(h.chunk.chunk_id, round(h.score, 4)) for h in hits]


def test_no_index_yet(pg_url):
    with pytest.raises(IndexNotFound):
        PgIndex.open(pg_url)


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense", "rrf"])
def test_same_results_as_the_local_index(pg_url, chunks, embedder, mode):
    load(pg_url, chunks, embedder)
    store = PgIndex.open(pg_url, embedder, alpha=0.7, pool=100)
    local = build_in_memory(chunks, embedder, alpha=0.7, pool=100)
    assert len(store) == len(local) == len(chunks)
    for query in QUERIES:
        for filters in FILTERS:
            expected = local.search(query, k=5, filters=filters, mode=mode)
            got = store.search(query, k=5, filters=filters, mode=mode)
            assert ranked(got) == ranked(expected), (query, filters)
            for g, e in zip(got, expected, strict=True):
                assert g.chunk == e.chunk
                assert g.extra["bm25" if mode != "dense" else "cosine"] == pytest.approx(
                    e.extra["bm25" if mode != "dense" else "cosine"], abs=1e-4
                )
    assert store.get([chunks[3].chunk_id, "unknown", chunks[0].chunk_id]) == [chunks[3], chunks[0]]


def test_small_pool_fuses_like_the_local_index(pg_url, chunks, embedder):
    load(pg_url, chunks, embedder)
    store = PgIndex.open(pg_url, embedder, alpha=0.5, pool=2)
    local = build_in_memory(chunks, embedder, alpha=0.5, pool=2)
    for query in QUERIES:
        assert ranked(store.search(query, k=4)) == ranked(local.search(query, k=4))


def test_a_chunk_above_the_clearance_is_never_returned(pg_url, chunks, embedder, restricted_texts):
    load(pg_url, chunks, embedder)
    store = PgIndex.open(pg_url, embedder, alpha=0.7, pool=100)
    query = "予算査定の内部検討"
    assert {h.chunk.text for h in store.search(query, k=3)} <= restricted_texts  # the best matches
    for mode in ("hybrid", "bm25", "dense", "rrf"):
        hits = store.search(query, k=3, filters=Filters(groups=[], max_classification=1), mode=mode)
        assert not {h.chunk.text for h in hits} & restricted_texts
        if mode != "bm25":  # BM25 returns only chunks sharing a word
            assert len(hits) == 3
    ceiling = store.search(query, k=20, filters=Filters(groups=["財政課"], max_classification=2))
    assert all(h.chunk.classification <= 2 for h in ceiling)
    assert any(h.chunk.groups == ["財政課"] for h in ceiling)
    other_group = store.search(query, k=20, filters=Filters(groups=["人事課"], max_classification=3))
    assert all(not h.chunk.groups or "人事課" in h.chunk.groups for h in other_group)


class FixedEmbedder:
    """Every text and query maps to one vector, plus a small per-text offset: the nearest chunks are known."""

    name = "fixed"
    dim = 32
    data_location = "organisation"

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        vec[0] = 1.0
        vec[1 + hash(text) % (self.dim - 1)] = 0.3 if text.startswith("秘") else 0.9
        return vec / np.linalg.norm(vec)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self._one(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        vec[0] = 1.0
        return vec


def test_k_results_even_when_the_nearest_hundreds_are_hidden(pg_url):
    """HNSW filters after its scan: 400 hidden chunks nearer than any visible one must not starve k."""
    chunks = [
        Chunk(
            make_chunk_id("秘.txt", i, f"秘{i}"),
            f"秘{i}",
            f"秘{i}",
            "秘.txt",
            "秘",
            ordinal=i,
            classification=3,
        )
        for i in range(400)
    ] + [
        Chunk(make_chunk_id("公.txt", i, f"公{i}"), f"公{i}", f"公{i}", "公.txt", "公", ordinal=i)
        for i in range(15)
    ]
    embedder = FixedEmbedder()
    load(pg_url, chunks, embedder)
    store = PgIndex.open(pg_url, embedder, alpha=1.0, pool=50)
    assert all(h.chunk.source == "秘.txt" for h in store.search("何か", k=10, mode="dense"))
    for mode in ("dense", "hybrid") * 4:  # repeated: psycopg prepares a statement from its 5th run on
        hits = store.search("何か", k=10, filters=Filters(max_classification=1), mode=mode)
        assert len(hits) == 10 and {h.chunk.source for h in hits} == {"公.txt"}


def changed(chunks: list[Chunk], source: str, texts: list[str]) -> list[Chunk]:
    """`chunks` with the chunks of `source` replaced by new ones holding `texts`."""
    kept = [c for c in chunks if c.source != source]
    title = next(c.title for c in chunks if c.source == source)
    return kept + [
        Chunk(make_chunk_id(source, i, t), t, f"{title}\n{t}", source, title, ordinal=i)
        for i, t in enumerate(texts)
    ]


def write(target: PgIndexTarget, chunks: list[Chunk], embedder) -> str:
    target.open_previous(rebuild=False)
    vectors = embedder.embed_documents([c.search_text for c in chunks])
    files = files_of(chunks)
    return target.write_generation(
        chunks, vectors, embedder_name=embedder.name, dim=embedder.dim, files=files
    )


def test_changes_are_written_per_file_and_statistics_follow(pg_url, chunks, embedder):
    target = load(pg_url, chunks, embedder)
    new = changed(chunks, "手数料条例.pdf", ["戸籍謄本の交付手数料は、1通につき450円とする。"])
    new = [c for c in new if c.source != "公用車.txt"]  # a file that disappeared
    write(target, new, embedder)
    store = PgIndex.open(pg_url, embedder, alpha=0.7, pool=100)
    local = build_in_memory(new, embedder, alpha=0.7, pool=100)
    assert len(store) == len(new)
    for query in [*QUERIES, "戸籍謄本の手数料"]:
        for mode in ("hybrid", "bm25"):
            assert ranked(store.search(query, k=5, mode=mode)) == ranked(local.search(query, k=5, mode=mode))
    previous = target.open_previous(rebuild=False)
    assert set(previous.manifest["files"]) == {c.source for c in new}
    by_id = {c.chunk_id: c for c in new}
    assert previous.chunk_count == len(new)
    stored, vectors = previous.stored({c.source for c in new})  # what an ingest reads back: only the files asked
    assert len(stored) == len(new) and all(by_id[c.chunk_id] == c for c in stored)
    assert vectors.shape == (len(new), embedder.dim)
    one, one_vectors = previous.stored({new[0].source})
    assert {c.source for c in one} == {new[0].source} and one_vectors.shape == (len(one), embedder.dim)
    assert previous.stored(set())[0] == []


def test_a_failure_mid_file_leaves_that_files_previous_chunks(pg_url, chunks, embedder, monkeypatch):
    target = load(pg_url, chunks, embedder)
    store = PgIndex.open(pg_url, embedder, alpha=0.7, pool=100)
    before = ranked(store.search("住民票の写しの交付手数料", k=5))
    original = pg_target._insert_chunks

    def half_then_crash(conn, chunks_, vectors, tokens):
        original(conn, chunks_[:1], vectors[:1], tokens[:1])  # part of the file is written …
        raise RuntimeError("the process died here")  # … then the run stops

    monkeypatch.setattr(pg_target, "_insert_chunks", half_then_crash)
    new = changed(
        chunks, "手数料条例.pdf", ["住民票の写しの交付手数料は無料とする。", "印鑑登録証明書は廃止する。"]
    )
    with pytest.raises(RuntimeError, match="died"):
        write(target, new, embedder)
    assert ranked(store.search("住民票の写しの交付手数料", k=5)) == before
    assert len(store) == len(chunks)
    old_ids = [c.chunk_id for c in chunks if c.source == "手数料条例.pdf"]
    assert [c.chunk_id for c in store.get(old_ids)] == old_ids
    assert target.open_previous(rebuild=False).manifest["files"]["手数料条例.pdf"]["chunk_ids"] == old_ids
    monkeypatch.setattr(pg_target, "_insert_chunks", original)
    write(target, new, embedder)  # the next run completes the change
    assert (
        store.search("住民票の写しの交付手数料", k=1)[0].chunk.text
        == "住民票の写しの交付手数料は無料とする。"
    )


def test_an_index_of_another_embedder_is_refused(pg_url, chunks, embedder, embedder_class):
    load(pg_url, chunks, embedder)
    with pytest.raises(IndexMismatch, match="fake-bigram"):
        PgIndex.open(pg_url, embedder_class(name="other", dim=128))


def test_the_ingest_pipeline_writes_through_the_target(pg_url, tmp_path, embedder):
    from ingest.pipeline import IngestPipeline

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("住民票の写しの交付手数料は、1通につき300円とする。", encoding="utf-8")
    (docs / "b.txt").write_text("粗大ごみの収集は事前申込制とする。", encoding="utf-8")
    import psycopg

    def backends() -> int:
        with psycopg.connect(pg_url, autocommit=True) as conn:  # this one excluded
            query = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            return conn.execute(query).fetchone()[0]

    before = backends()
    summary = IngestPipeline(PgIndexTarget(pg_url), embedder).run([docs])
    assert summary.files_ingested == 2
    assert backends() <= before  # the run's connections are closed (an API process ingests per upload)
    (docs / "b.txt").unlink()
    (docs / "c.txt").write_text("公用車の使用は前日までに申請する。", encoding="utf-8")
    summary = IngestPipeline(PgIndexTarget(pg_url), embedder).run([docs])
    assert (summary.files_ingested, summary.files_unchanged, summary.files_removed) == (1, 1, 1)
    store = PgIndex.open(pg_url, embedder, alpha=0.7, pool=100)
    assert {
        c.source for c in store.get([h.chunk.chunk_id for h in store.search("手数料 粗大ごみ 公用車", k=10)])
    } == {
        "docs/a.txt",
        "docs/c.txt",
    }


VERSION_A = ["住民票の交付は市民課で行う。", "住民票の郵送請求は可能である。"]
VERSION_B = ["住民票の交付は支所でも行う。", "住民票の請求は電子申請でもできる。", "住民票の手数料は300円。"]


def _reader(url: str, stop: str, out: multiprocessing.Queue) -> None:
    """Search for the file being rewritten until told to stop; report which versions were seen."""
    store = PgIndex.open(url, alpha=0.5, pool=50)
    seen = {"A": 0, "B": 0, "mixed": 0}
    store.search("住民票", k=1, mode="bm25")
    out.put("ready")
    while not Path(stop).exists() or sum(seen.values()) < 5:
        texts = {
            h.chunk.text for h in store.search("住民票", k=20, mode="bm25") if h.chunk.source == "住民.txt"
        }
        seen["A" if texts == set(VERSION_A) else "B" if texts == set(VERSION_B) else "mixed"] += 1
    out.put(seen)


@pytest.mark.slow
def test_two_processes_read_while_one_writes(pg_url, chunks, embedder, tmp_path):
    base = chunks + [
        Chunk(make_chunk_id("住民.txt", i, t), t, t, "住民.txt", "住民", ordinal=i)
        for i, t in enumerate(VERSION_A)
    ]
    target = load(pg_url, base, embedder)
    stop = tmp_path / "stop"
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    readers = [ctx.Process(target=_reader, args=(pg_url, str(stop), out)) for _ in range(2)]
    for r in readers:
        r.start()
    assert [out.get(timeout=120) for _ in readers] == ["ready", "ready"]  # both search before any write
    version_b = chunks + [
        Chunk(make_chunk_id("住民.txt", i, t), t, t, "住民.txt", "住民", ordinal=i)
        for i, t in enumerate(VERSION_B)
    ]
    for round_ in range(12):
        write(target, version_b if round_ % 2 == 0 else base, embedder)
    stop.touch()
    results = [out.get(timeout=120) for _ in readers]
    for r in readers:
        r.join(timeout=60)
    assert all(r["mixed"] == 0 for r in results), results
    assert sum(r["A"] for r in results) and sum(r["B"] for r in results)  # the writes were seen


def test_one_setting_selects_the_postgresql_index(pg_url, chunks, embedder, tmp_path):
    from assistant.config import Settings
    from assistant.retrieval.local_target import LocalIndexTarget
    from assistant.retrieval.stores import index_target, open_index

    settings = Settings(home=tmp_path, index_url=pg_url)
    target = index_target(settings)
    assert isinstance(target, PgIndexTarget) and "postgresql" in target.location
    load(pg_url, chunks, embedder, target)
    store = open_index(settings, embedder=embedder, alpha=0.7, pool=100)
    assert isinstance(store, PgIndex) and len(store) == len(chunks)
    assert [c.chunk_id for c in store.chunks_of("手数料条例.pdf")] == [
        c.chunk_id for c in chunks if c.source == "手数料条例.pdf"
    ]
    assert set(store.manifest["files"]) == {c.source for c in chunks}
    assert sorted(c.chunk_id for c in store.chunks) == sorted(c.chunk_id for c in chunks)
    assert isinstance(index_target(settings, tmp_path / "folder"), LocalIndexTarget)
    assert isinstance(index_target(Settings(home=tmp_path)), LocalIndexTarget)


def test_one_query_is_embedded_while_the_lexical_search_runs(pg_url, chunks, embedder, monkeypatch):
    import threading

    from assistant.retrieval import pg_store

    load(pg_url, chunks, embedder)
    started = threading.Event()
    real_bm25_sql = pg_store.bm25_sql

    def bm25_sql(conn, tokens, params):
        started.set()  # the search is in the database before it has the query's vector
        return real_bm25_sql(conn, tokens, params)

    monkeypatch.setattr(pg_store, "bm25_sql", bm25_sql)
    gated = GatedEmbedder(embedder, started)
    store = PgIndex.open(pg_url, gated, alpha=0.7, pool=100)
    local = build_in_memory(chunks, embedder, alpha=0.7, pool=100)
    assert ranked(store.search(QUERIES[0], k=5)) == ranked(local.search(QUERIES[0], k=5))
    assert gated.waited is True  # embedding and lexical search overlapped

    started.clear()
    failing = PgIndex.open(pg_url, GatedEmbedder(embedder, started, fail=True), alpha=0.7, pool=100)
    with pytest.raises(RuntimeError, match="embedder down"):
        failing.search(QUERIES[1], k=5)  # the embedder's error reaches the caller, the transaction ends
    assert ranked(store.search(QUERIES[1], k=5)) == ranked(local.search(QUERIES[1], k=5))


def test_the_index_build_memory_must_be_a_size():
    from pydantic import ValidationError

    from assistant.config import Settings
    from assistant.retrieval.pg_schema import create_search_indexes

    with pytest.raises(ValueError, match="memory size"):
        create_search_indexes(None, "1GB'; DROP SCHEMA yakuba_index; --")  # never reaches SQL
    with pytest.raises(ValidationError, match="index_build_memory"):
        Settings(index_build_memory="lots")
    assert Settings(index_build_memory="512MB").index_build_memory == "512MB"


def test_document_summaries_and_counts_follow_the_filters(pg_url, chunks, embedder):
    from dataclasses import astuple

    load(pg_url, chunks, embedder)
    store = PgIndex.open(pg_url, embedder)
    local = build_in_memory(chunks, embedder)
    assert any(c.doc_type == "inquiry" and c.fields for c in chunks)  # records are counted, not chunks
    for filters in [*FILTERS, Filters(sources=["手数料条例.pdf"])]:
        expected = listed(chunks, filters)
        assert [astuple(s) for s in local.documents(filters)] == expected, filters
        assert [astuple(s) for s in store.documents(filters)] == expected, filters
        visible = sum(1 for c in chunks if filters is None or filters.allows(c))
        assert store.count(filters) == local.count(filters) == visible


def test_document_frequencies_are_the_local_index_s(pg_url, chunks, embedder):
    """Answerability weighs a question's words by their df over the whole index, on either store."""
    from assistant.answerability import index_document_frequency
    from assistant.retrieval.tokenizer import get_tokenizer

    target = load(pg_url, chunks, embedder)
    store = PgIndex.open(pg_url, embedder)
    local = build_in_memory(chunks, embedder)
    terms = {t for q in QUERIES for t in get_tokenizer().tokenize(q)} | {"存在しない語彙"}
    assert any(local.document_frequency(t) > 1 for t in terms)
    assert {t: store.document_frequency(t) for t in terms} == {t: local.document_frequency(t) for t in terms}
    df = index_document_frequency(store)
    assert df("存在しない語彙") is None and df(max(terms, key=local.document_frequency)) > 1
    kept = [c for c in chunks if c.source != "手数料条例.pdf"]
    write(target, kept, embedder)  # a removed file's words no longer count
    smaller = build_in_memory(kept, embedder)
    assert {t: store.document_frequency(t) for t in terms} == {t: smaller.document_frequency(t) for t in terms}
