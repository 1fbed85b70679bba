"""The embedding stage on its own: concurrency, the resume cache, its bounds, errors and the policy gate."""

from __future__ import annotations

import sqlite3
import threading
import time

import numpy as np
import pytest

from core.errors import BackendUnavailable, PolicyRefused
from core.model import Chunk
from ingest.embedding import CACHE_FILE, EmbedConfig, embed_missing
from tests.support.embedder import BigramEmbedder

POLICY = {1: ["organisation", "japan"], 2: ["organisation", "japan"], 3: ["organisation"]}


def chunks(n: int, level: int = 1, source: str = "docs/a.txt") -> list[Chunk]:
    return [
        Chunk(f"c{i}", f"第{i}条 文書の保存期間は{i}年とする。", f"第{i}条 文書の保存期間は{i}年とする。", source, "規程",
              classification=level)
        for i in range(n)
    ]  # fmt: skip


class Target:
    """A local index folder as the stage sees it (`index_dir`)."""

    def __init__(self, path):
        self.index_dir = path
        self.location = str(path)


class Remote(BigramEmbedder):
    """A slow, thread-counting embedder standing in for a remote one; fails on texts containing `poison` (as
    BedrockEmbedder reports an error it gave up on)."""

    def __init__(self, concurrency=4, batch_size=2, delay=0.02, location="japan"):
        super().__init__(name="remote/test")
        self.data_location = location
        self.embed_config = EmbedConfig(concurrency=concurrency, batch_size=batch_size)
        self.delay, self.poison = delay, None
        self.texts: list[str] = []
        self.in_flight = self.peak = 0
        self.reports = []
        self._lock = threading.Lock()

    def embed_documents(self, texts):
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(self.delay)
            if self.poison and any(self.poison in t for t in texts):
                raise BackendUnavailable("ValidationException: input is not valid")
            with self._lock:
                self.texts.extend(texts)
            return super().embed_documents(texts)
        finally:
            with self._lock:
                self.in_flight -= 1

    def record_embedding_run(self, report):
        self.reports.append(report)


def test_vectors_match_sequential_and_concurrency_is_bounded(tmp_path):
    items = chunks(40)
    embedder = Remote(concurrency=4)
    vectors = embed_missing(embedder, items, target=Target(tmp_path))
    expected = BigramEmbedder().embed_documents([c.search_text for c in items])
    assert np.allclose(vectors, expected)
    assert embedder.peak == 4  # 20 batches, never more than 4 at once
    assert sorted(embedder.texts) == sorted(c.search_text for c in items)  # each text sent once
    [report] = embedder.reports
    assert (report.texts, report.sent, report.cached, report.outcome) == (40, 40, 0, "ok")
    assert report.sources == ["docs/a.txt"]


def test_failed_run_keeps_finished_batches_and_rerun_embeds_only_the_rest(tmp_path):
    items = chunks(30)
    embedder = Remote(concurrency=3)
    embedder.poison = "第20条"
    with pytest.raises(BackendUnavailable, match="再実行すると、残りだけ") as caught:
        embed_missing(embedder, items, target=Target(tmp_path))
    assert "ValidationException" in caught.value.message
    kept = len(embedder.texts)
    assert kept >= 20 and embedder.reports[0].outcome == "error"
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        assert db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == kept  # nothing finished is lost

    embedder.poison, embedder.texts = None, []
    vectors = embed_missing(embedder, items, target=Target(tmp_path))
    assert len(embedder.texts) == 30 - kept  # only the remainder went out
    assert embedder.reports[1].cached == kept
    assert np.allclose(vectors, BigramEmbedder().embed_documents([c.search_text for c in items]))


def test_cache_is_bounded_and_dropped_after_the_generation_was_written(tmp_path):
    embedder = Remote()
    embed_missing(embedder, chunks(10), target=Target(tmp_path), base_generation="gen-1")
    db = tmp_path / CACHE_FILE

    def rows():
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]

    assert rows() == 10
    # the write failed (the live generation is still gen-1): the same run again reuses everything
    embedder.texts = []
    embed_missing(embedder, chunks(10), target=Target(tmp_path), base_generation="gen-1")
    assert embedder.texts == [] and rows() == 10
    # a later run (gen-2 was written since): the cache is dropped and holds only this run's texts
    embed_missing(embedder, chunks(3), target=Target(tmp_path), base_generation="gen-2")
    assert len(embedder.texts) == 3 and rows() == 3
    assert "保存期間" not in db.read_bytes().decode("utf-8", "replace")  # hashes and vectors, never text


def test_policy_forbidden_chunks_stop_the_stage_before_any_request(tmp_path):
    embedder = Remote()
    mixed = chunks(4) + chunks(2, level=3, source="docs/秘.txt")
    with pytest.raises(PolicyRefused, match="機密性3") as caught:
        embed_missing(embedder, mixed, target=Target(tmp_path), policy=POLICY)
    assert "docs/秘.txt" in caught.value.message and embedder.texts == []
    assert [(r.outcome, r.sent) for r in embedder.reports] == [("refused", 0)]  # audited, nothing sent
    inside = Remote(location="organisation")  # an in-house embedder may see every level
    assert embed_missing(inside, mixed, target=Target(tmp_path), policy=POLICY).shape == (6, 256)


def test_a_crash_is_raised_as_it_is_and_finished_batches_stay(tmp_path):
    embedder = Remote(concurrency=1)

    def crash(texts):
        raise MemoryError("power cut")

    embed_missing(embedder, chunks(4), target=Target(tmp_path))
    embedder.embed_documents = crash
    with pytest.raises(MemoryError):
        embed_missing(embedder, chunks(6), target=Target(tmp_path))
    assert embedder.reports[-1].outcome == "error" and embedder.reports[-1].cached == 4


def test_in_process_embedder_runs_sequentially_without_audit(tmp_path):
    embedder = BigramEmbedder()
    vectors = embed_missing(embedder, chunks(5), target=Target(tmp_path))
    assert vectors.shape == (5, 256) and embedder.calls == 5
    assert embed_missing(embedder, [], target=Target(tmp_path)).shape == (0, 256)


def test_no_local_folder_and_no_cache_dir_embeds_in_memory(tmp_path):
    embedder = Remote()
    embedder.embed_config = EmbedConfig(concurrency=2, batch_size=4)

    class PgTarget:
        location = "postgresql://db/yakuba"

    assert embed_missing(embedder, chunks(6), target=PgTarget()).shape == (6, 256)
    embedder.embed_config = EmbedConfig(concurrency=2, batch_size=4, cache_dir=tmp_path / "cache")
    embed_missing(embedder, chunks(6), target=PgTarget())
    assert len(list((tmp_path / "cache").glob("embed-*.sqlite"))) == 1
