"""The evaluation-index builder (evals/index.py) on a tiny SQuAD file, with the fast bigram embedder."""

from __future__ import annotations

import numpy as np
import pytest

import evals.index
from evals.index import build_eval_index, embed_in_batches, vector_cache_path
from evals.retrieval import EVAL_VERSION, evaluate_squad
from tests.evals.squad_data import TOPICS, squad_file
from tests.support.embedder import BigramEmbedder

LONG = "長い段落の文である。" * 30  # ~300 characters: several chunks at size 80


class RecordingEmbedder(BigramEmbedder):
    def __init__(self):
        super().__init__()
        self.batches: list[int] = []

    def embed_documents(self, texts):
        self.batches.append(len(texts))
        return super().embed_documents(texts)


@pytest.fixture
def squad(tmp_path):
    return squad_file(tmp_path / "s.json")


def test_paragraphs_go_through_chunker_and_map_back(squad):
    embedder = RecordingEmbedder()
    built = build_eval_index(squad, embedder, chunk_size=400, chunk_overlap=1)
    assert len(built.paragraphs) == len(TOPICS) == len(built.questions)
    assert len(built.chunks) == len(built.index) == len(TOPICS)  # short paragraphs: one chunk each
    assert set(built.pid_of.values()) == {p.pid for p in built.paragraphs}
    for chunk in built.chunks:
        paragraph = next(p for p in built.paragraphs if p.pid == built.pid_of[chunk.chunk_id])
        assert chunk.title == paragraph.title
        assert chunk.search_text.startswith(paragraph.title + "\n")  # the title is the heading
        assert "[SEP]" not in chunk.search_text
    assert embedder.calls == len(built.chunks)  # every chunk embedded exactly once
    assert built.titles == {p.pid: p.title for p in built.paragraphs}
    assert built.seconds >= built.embed_seconds >= 0


def test_questions_find_their_own_paragraph(squad):
    built = build_eval_index(squad, BigramEmbedder(), chunk_size=400, chunk_overlap=1)
    for mode in ("hybrid", "bm25", "dense"):
        hits = built.index.search_many([q.question for q in built.questions], k=3, mode=mode)
        tops = [built.paragraph_ids(h)[0] for h in hits]
        assert tops == [q.pid for q in built.questions], mode


def test_long_paragraph_splits_and_hits_merge_per_paragraph(tmp_path):
    path = squad_file(tmp_path / "long.json", {**TOPICS, "長文": (LONG, "長い段落とは")})
    built = build_eval_index(path, BigramEmbedder(), chunk_size=80, chunk_overlap=0)
    long_pid = built.questions[-1].pid
    long_chunks = [c for c in built.chunks if built.pid_of[c.chunk_id] == long_pid]
    assert len(long_chunks) > 1 and all(c.search_text.startswith("長文\n") for c in long_chunks)
    hits = built.index.search("長い段落の文", k=len(built.chunks), mode="bm25")
    pids = built.paragraph_ids(hits)
    assert pids[0] == long_pid and len(pids) == len(set(pids))


def test_embedding_in_batches(squad):
    embedder = RecordingEmbedder()
    built = build_eval_index(squad, embedder, chunk_size=400, chunk_overlap=1, batch_size=3)
    assert embedder.batches == [3, 1]
    one_call = BigramEmbedder().embed_documents([c.search_text for c in built.chunks])
    np.testing.assert_allclose(built.index.vectors, one_call, atol=1e-6)
    assert embed_in_batches(embedder, []).shape == (0, embedder.dim)
    with pytest.raises(ValueError):
        embed_in_batches(embedder, ["a"], batch_size=0)


def test_vector_cache_reused(squad, tmp_path):
    first = RecordingEmbedder()
    built = build_eval_index(squad, first, chunk_size=400, chunk_overlap=1, cache_dir=tmp_path / "cache")
    cache = vector_cache_path(tmp_path / "cache", first.name, [c.search_text for c in built.chunks])
    assert cache.exists() and first.calls == len(built.chunks)

    second = RecordingEmbedder()
    again = build_eval_index(squad, second, chunk_size=400, chunk_overlap=1, cache_dir=tmp_path / "cache")
    assert second.calls == 0 and again.embed_seconds == 0.0
    np.testing.assert_array_equal(again.index.vectors, built.index.vectors)
    # a different chunking gives other texts, hence another cache file
    assert vector_cache_path(tmp_path, "a", ["x"]) != vector_cache_path(tmp_path, "a", ["y"])
    assert vector_cache_path(tmp_path, "sentence-transformers:org/m", ["x"]).parent == tmp_path


def test_without_title_and_query_embedder(squad):
    built = build_eval_index(squad, BigramEmbedder(), chunk_size=400, chunk_overlap=1, with_title=False)
    for chunk in built.chunks:
        assert "\n" not in chunk.search_text  # no heading line
    other = RecordingEmbedder()
    swapped = built.with_query_embedder(other)
    assert other.calls == 0 and swapped.chunks == built.chunks
    np.testing.assert_array_equal(swapped.vectors, built.index.vectors)
    assert swapped.search(built.questions[0].question, k=1)[0].chunk.chunk_id == built.chunks[0].chunk_id


def test_settings_defaults_for_chunking(squad):
    built = build_eval_index(squad, BigramEmbedder())  # chunk size/overlap and alpha from the settings
    assert len(built.chunks) == len(TOPICS)


def test_evaluate_squad_uses_builder(squad, monkeypatch):
    monkeypatch.setattr(evals.index, "get_embedder", lambda address: BigramEmbedder(name=address))
    result = evaluate_squad(squad, "fake", k=10, baselines=False)
    assert list(result) == [
        "version",
        "dataset",
        "embedder",
        "n_paragraphs",
        "n_chunks",
        "n_queries",
        "recall@1",
        "recall@5",
        "recall@10",
        "mrr@10",
        "ndcg@10",
        "query_p50_ms",
        "query_p95_ms",
        "index_seconds",
    ]
    assert result["version"] == EVAL_VERSION == 1
    assert result["embedder"] == "fake" and result["n_paragraphs"] == result["n_chunks"] == len(TOPICS)
    assert result["recall@1"] == 1.0
