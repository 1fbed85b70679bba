"""Incremental local index: a change adds a segment and tombstones, and searches equal a full rebuild."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from assistant.retrieval import generations
from assistant.retrieval.base import Filters
from assistant.retrieval.local_bm25 import Postings
from assistant.retrieval.local_store import LocalIndex
from assistant.retrieval.local_writer import WriteSettings, compact, write_change, write_full
from assistant.retrieval.tokenizer import get_tokenizer
from core.model import Chunk, make_chunk_id

QUERIES = ["住民票の写しの手数料", "粗大ごみの申込", "児童手当の支給日", "予算査定", "納期", "公用車の申請"]
NO_MERGE = WriteSettings(ann_min_chunks=0, max_segments=100, dead_share=1.0)


def files_of(chunks: list[Chunk]) -> dict[str, dict]:
    files: dict[str, dict] = {}
    for c in chunks:
        files.setdefault(c.source, {"chunk_ids": []})["chunk_ids"].append(c.chunk_id)
    return files


def edited(chunk: Chunk, suffix: str) -> Chunk:
    text = chunk.text + suffix
    return Chunk(make_chunk_id(chunk.source, chunk.ordinal, text), text, chunk.search_text + suffix,
                 chunk.source, chunk.title, ordinal=chunk.ordinal, classification=chunk.classification,
                 groups=list(chunk.groups), date=chunk.date, doc_type=chunk.doc_type)  # fmt: skip


def results(index: LocalIndex, filters: Filters | None = None) -> list:
    out = []
    for mode in ("bm25", "dense", "hybrid"):
        for q in QUERIES:
            out.append(
                [
                    (h.chunk.chunk_id, round(h.score, 5))
                    for h in index.search(q, k=8, filters=filters, mode=mode)
                ]
            )
    return out


def write_in_steps(folder, chunks, embedder, settings=NO_MERGE):
    """Three changes: add half, add the rest, then replace one file and remove another."""
    vec = {
        c.chunk_id: v
        for c, v in zip(chunks, embedder.embed_documents([c.search_text for c in chunks]), strict=True)
    }
    first, rest = chunks[:6], chunks[6:]
    write_full(folder, first, np.array([vec[c.chunk_id] for c in first]), embedder_name=embedder.name,
               dim=embedder.dim, files=files_of(first), ann_min_chunks=0)  # fmt: skip
    write_change(folder, rest, np.array([vec[c.chunk_id] for c in rest]), embedder_name=embedder.name,
                 files=files_of(chunks), settings=settings)  # fmt: skip
    replaced = [edited(c, "（改正）") for c in chunks if c.source == "手数料条例.pdf"]
    final = [c for c in chunks if c.source not in ("手数料条例.pdf", "公用車.txt")] + replaced
    write_change(folder, replaced, embedder.embed_documents([c.search_text for c in replaced]),
                 embedder_name=embedder.name, files=files_of(final), settings=settings)  # fmt: skip
    return final


def test_incremental_changes_equal_a_full_rebuild(tmp_path, chunks, embedder):
    final = write_in_steps(tmp_path / "inc", chunks, embedder)
    inc = LocalIndex.open(tmp_path / "inc", embedder, alpha=0.6, pool=100)
    assert len(inc.manifest["segments"]) == 3 and len(inc) == len(final)
    write_full(tmp_path / "full", final, embedder.embed_documents([c.search_text for c in final]),
               embedder_name=embedder.name, dim=embedder.dim, files=files_of(final), ann_min_chunks=0)  # fmt: skip
    full = LocalIndex.open(tmp_path / "full", embedder, alpha=0.6, pool=100)
    assert sorted(c.chunk_id for c in inc.chunks) == sorted(c.chunk_id for c in full.chunks)
    assert results(inc) == results(full)
    scope = Filters(groups=["財政課"], max_classification=2)
    assert results(inc, scope) == results(full, scope)
    assert inc.get([final[-1].chunk_id, chunks[0].chunk_id]) == [final[-1]]  # the replaced version is gone
    assert inc.chunks_of("公用車.txt") == [] and len(inc.chunks_of("手数料条例.pdf")) == 2


def test_bm25_equals_bm25s_on_the_same_corpus(chunks):
    tokenizer = get_tokenizer()
    tokens = tokenizer.tokenize_many([c.search_text for c in chunks])
    from assistant.retrieval.generations import build_bm25
    from assistant.retrieval.local_bm25 import Bm25

    reference = build_bm25(tokens)
    ours = Bm25([Postings.build(tokens)], [0], [None])
    for q in QUERIES + ["住民票 住民票 交付"]:
        query = tokenizer.tokenize(q)
        expected = reference.get_scores_from_ids(reference.get_tokens_ids(query))
        np.testing.assert_allclose(ours.score(query), expected, rtol=1e-5, atol=1e-6)
        for term in query:
            i = reference.vocab_dict.get(term)
            if i is not None:  # the document frequencies answerability reads, as bm25s has them
                assert ours.df(term) == reference.scores["indptr"][i + 1] - reference.scores["indptr"][i]


def test_compaction_drops_tombstones_and_keeps_results(tmp_path, chunks, embedder):
    write_in_steps(tmp_path, chunks, embedder)
    before = LocalIndex.open(tmp_path, embedder, alpha=0.6, pool=100)
    gen = compact(tmp_path, NO_MERGE, full=True)
    after = LocalIndex.open(tmp_path, embedder, alpha=0.6, pool=100)
    assert after.generation == gen.name and len(after.manifest["segments"]) == 1
    assert after.manifest["segments"][0]["dead"] == 0 and len(after) == len(before)
    assert not (gen / generations.TOMBSTONES).exists()
    assert results(after) == results(before)
    assert compact(tmp_path, NO_MERGE) is None  # nothing to merge any more
    # only the live generation's and the previous one's segments stay on disk
    assert len(list((tmp_path / "segments").iterdir())) == 1 + 3


def test_thresholds_merge_small_segments_in_the_write(tmp_path, chunks, embedder):
    settings = WriteSettings(ann_min_chunks=0, max_segments=2, dead_share=0.5)
    final = write_in_steps(tmp_path, chunks, embedder, settings)
    index = LocalIndex.open(tmp_path, embedder)
    assert len(index.manifest["segments"]) <= 2 and len(index) == len(final)


KILL_MID_WRITE = """
import sys, numpy as np
from pathlib import Path
from assistant.retrieval import segments
from assistant.retrieval.local_writer import WriteSettings, write_change
from core.model import Chunk

def stuck(*args, **kwargs):
    Path(sys.argv[2]).touch()
    import time; time.sleep(60)

segments.Postings.save = stuck  # the new segment's chunks and vectors are on disk, then the process hangs
new = [Chunk("new-1", "新しい規程の本文", "新しい規程の本文", "新規.txt", "新規")]
write_change(Path(sys.argv[1]), new, np.ones((1, 256), np.float32) / 16, embedder_name="fake-bigram",
             files={"新規.txt": {}}, settings=WriteSettings(0, 100, 1.0))
"""


def test_killed_write_leaves_the_previous_generation_live(tmp_path, chunks, embedder):
    write_full(tmp_path, chunks, embedder.embed_documents([c.search_text for c in chunks]),
               embedder_name=embedder.name, dim=embedder.dim, files=files_of(chunks), ann_min_chunks=0)  # fmt: skip
    live = generations.current_generation(tmp_path)
    marker = tmp_path / "stuck"
    proc = subprocess.Popen([sys.executable, "-c", KILL_MID_WRITE, str(tmp_path), str(marker)])
    try:
        for _ in range(600):
            if marker.exists() or proc.poll() is not None:
                break
            import time

            time.sleep(0.05)
        assert marker.exists()
    finally:
        proc.kill()
        proc.wait()
    assert generations.current_generation(tmp_path) == live
    index = LocalIndex.open(tmp_path, embedder)
    assert len(index) == len(chunks) and index.get(["new-1"]) == []
    write_change(tmp_path, chunks[:1], embedder.embed_documents([chunks[0].search_text]),
                 embedder_name=embedder.name, files=files_of(chunks), settings=NO_MERGE)  # fmt: skip
    assert len(list((tmp_path / "segments").iterdir())) == 2  # the half-written segment was collected


# ---------------------------------------------------------------------- ANN


def clustered(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.standard_normal((50, dim)).astype(np.float32)
    x = centres[rng.integers(0, 50, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


class Fixed:
    """An embedder whose query vectors are given by the test."""

    name, dim, data_location = "fixed", 32, "organisation"

    def __init__(self):
        self.vectors: dict[str, np.ndarray] = {}

    def embed_query(self, text):
        return self.vectors[text]


@pytest.fixture
def ann_pair(tmp_path):
    rng = np.random.default_rng(3)
    n = 3000
    vectors = clustered(n, 32, rng)
    synthetic = [
        Chunk(f"c{i}", f"文書{i}", f"文書{i}", f"f{i // 10}.txt", "t", classification=1 + i % 3,
              groups=[] if i % 3 == 0 else [["総務課", "財政課"][i % 2]])
        for i in range(n)
    ]  # fmt: skip
    embedder = Fixed()
    for folder, ann_min in (("ann", 1000), ("exact", 0)):
        write_full(tmp_path / folder, synthetic, vectors, embedder_name="fixed", dim=32, files=files_of(synthetic),
                   ann_min_chunks=ann_min)  # fmt: skip
    queries = clustered(100, 32, rng)
    for i, q in enumerate(queries):
        embedder.vectors[f"q{i}"] = q
    ann = LocalIndex.open(tmp_path / "ann", embedder, alpha=1.0, pool=50, ef_search=64)
    exact = LocalIndex.open(tmp_path / "exact", embedder, alpha=1.0, pool=50)
    return ann, exact, synthetic


@pytest.mark.parametrize("filters", [None, Filters(groups=["総務課"], max_classification=2)])
def test_ann_recall_against_exact(ann_pair, filters):
    ann, exact, synthetic = ann_pair
    assert ann.segments[0][0].ann is not None and exact.segments[0][0].ann is None
    recalls = []
    for i in range(100):
        found = {h.chunk.chunk_id for h in ann.search(f"q{i}", k=10, filters=filters, mode="dense")}
        truth = {h.chunk.chunk_id for h in exact.search(f"q{i}", k=10, filters=filters, mode="dense")}
        assert len(found) == len(truth) == 10
        if filters is not None:
            assert all(filters.allows(c) for c in ann.get(sorted(found)))  # filtered before the cut
        recalls.append(len(found & truth) / 10)
    assert np.mean(recalls) >= 0.95


def test_ann_with_a_narrow_filter_scans_the_allowed_rows_exactly(ann_pair):
    ann, exact, _ = ann_pair
    narrow = Filters(sources=["f7.txt", "f42.txt"])
    for i in range(5):
        got = [h.chunk.chunk_id for h in ann.search(f"q{i}", k=10, filters=narrow, mode="dense")]
        assert got == [h.chunk.chunk_id for h in exact.search(f"q{i}", k=10, filters=narrow, mode="dense")]
        assert {c.source for c in ann.get(got)} <= {"f7.txt", "f42.txt"}


def test_ann_segment_plus_a_small_added_segment(ann_pair, tmp_path):
    ann, _, synthetic = ann_pair
    embedder = ann.embedder
    added = [Chunk("added", "追加", "追加", "added.txt", "t")]
    embedder.vectors["near"] = embedder.vectors["q0"]
    write_change(tmp_path / "ann", added, embedder.vectors["q0"].reshape(1, -1), embedder_name="fixed",
                 files=files_of(synthetic + added), settings=WriteSettings(1000, 100, 1.0))  # fmt: skip
    index = LocalIndex.open(tmp_path / "ann", embedder, alpha=1.0, pool=50, ef_search=64)
    assert [s.meta["ann"] for s, _ in index.segments] == [True, False]
    assert index.search("near", k=1, mode="dense")[0].chunk.chunk_id == "added"
    assert index.search("near", k=3, mode="hybrid")[0].chunk.chunk_id == "added"


def test_a_format_1_index_is_migrated_by_the_next_ingest_without_embedding(tmp_path, chunks, embedder):
    import json

    from assistant.retrieval.local_target import LocalIndexTarget
    from core.errors import IndexMismatch

    gen = tmp_path / "gen-20250101T000000000000Z-abcdef"
    gen.mkdir()
    with (gen / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in chunks)
    vectors = embedder.embed_documents([c.search_text for c in chunks])
    np.save(gen / "vectors.npy", vectors)
    manifest = {"version": 1, "embedder": {"name": embedder.name, "dim": embedder.dim},
                "tokenizer": "sudachi-c-norm-v1", "chunk_count": len(chunks), "files": files_of(chunks)}  # fmt: skip
    (gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "CURRENT").write_text(gen.name + "\n", encoding="utf-8")
    with pytest.raises(IndexMismatch, match="yakuba ingest"):
        LocalIndex.open(tmp_path, embedder)
    previous = LocalIndexTarget(tmp_path, settings=NO_MERGE).open_previous(rebuild=False)
    assert previous.chunk_count == len(chunks) and previous.manifest["files"] == files_of(chunks)
    stored, stored_vectors = previous.stored({"手数料条例.pdf"})
    assert [c.source for c in stored] == ["手数料条例.pdf"] * 2
    np.testing.assert_array_equal(stored_vectors, vectors[:2])
    migrated = LocalIndex.open(tmp_path, embedder)
    assert migrated.chunks == chunks and gen.exists()  # the old folder stays, as the previous generation


@pytest.mark.parametrize(
    "filters",
    [
        Filters(groups=["財政課"], max_classification=2),
        Filters(groups=[], doc_type="inquiry"),
        Filters(date_from="2023-01-01", date_to="2024-04-30"),
        Filters(sources=["照会記録.csv", "予算"], exclude_sources=["公用車.txt"]),
        Filters(max_classification=1, date_to="2023-12-31"),
    ],
)
def test_column_masks_follow_the_filter_rules(tmp_path, chunks, embedder, filters):
    write_full(tmp_path, chunks, embedder.embed_documents([c.search_text for c in chunks]),
               embedder_name=embedder.name, dim=embedder.dim, files=files_of(chunks), ann_min_chunks=0)  # fmt: skip
    segment = LocalIndex.open(tmp_path, embedder).segments[0][0]
    assert segment.mask(filters).tolist() == [filters.allows(c) for c in chunks]


def test_positive_top_equals_top_rows_of_the_positive_scores():
    from assistant.retrieval.dense_search import positive_top
    from assistant.retrieval.fusion import top_rows

    rng = np.random.default_rng(5)
    scores = np.where(rng.random(5000) < 0.7, 0, rng.random(5000)).astype(np.float32)
    allowed = rng.random(5000) < 0.5
    for mask in (None, allowed):
        for n in (1, 10, 100, 5000):
            expected = top_rows(scores, n, mask)
            assert positive_top(scores, n, mask).tolist() == expected[scores[expected] > 0].tolist()


def test_a_reopened_index_shares_its_unchanged_segments(ann_pair, tmp_path):
    ann, _, synthetic = ann_pair
    graph = ann.segments[0][0].ann
    added = [Chunk("added", "追加", "追加", "added.txt", "t")]
    write_change(tmp_path / "ann", added, ann.embedder.vectors["q0"].reshape(1, -1), embedder_name="fixed",
                 files=files_of(synthetic + added), settings=WriteSettings(1000, 100, 1.0))  # fmt: skip
    reopened = LocalIndex.open(tmp_path / "ann", ann.embedder, alpha=1.0, pool=50, ef_search=64)
    assert reopened.segments[0][0] is ann.segments[0][0] and reopened.segments[0][0].ann is graph


def test_document_summaries_skip_removed_rows(tmp_path, chunks, embedder):
    from dataclasses import astuple

    from tests.support.doc_listing import listed

    final = write_in_steps(tmp_path / "inc", chunks, embedder)
    index = LocalIndex.open(tmp_path / "inc", embedder)
    ordered = [c for seg, dead in index.segments for r, c in enumerate(map(seg.chunk, range(seg.rows)))
               if dead is None or not dead[r]]  # fmt: skip
    assert sorted(c.chunk_id for c in ordered) == sorted(c.chunk_id for c in final)
    for filters in (None, Filters(groups=["財政課"], max_classification=2), Filters(doc_type="inquiry")):
        assert [astuple(s) for s in index.documents(filters)] == listed(ordered, filters)
        assert index.count(filters) == sum(1 for c in ordered if filters is None or filters.allows(c))
    assert "公用車.txt" not in {s.source for s in index.documents()}
