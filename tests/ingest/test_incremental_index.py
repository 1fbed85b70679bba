"""The pipeline hands the local index only the change, and the result equals a fresh ingest of the same files."""

from __future__ import annotations

from pathlib import Path

from assistant.retrieval.base import Filters
from assistant.retrieval.local_store import LocalIndex
from assistant.retrieval.local_target import LocalIndexTarget
from assistant.retrieval.local_writer import WriteSettings
from ingest.pipeline import IngestOptions, IngestPipeline
from tests.ingest.test_pipeline import write_tree
from tests.support.embedder import BigramEmbedder

NO_MERGE = WriteSettings(ann_min_chunks=0, max_segments=100, dead_share=1.0)
QUERIES = ["在宅勤務の承認", "公文書の保存期間", "予算要求の提出", "公印の押印", "新しい窓口の受付時間"]


class RecordingTarget(LocalIndexTarget):
    """A local target that remembers what each write was given."""

    def __init__(self, index_dir: Path, settings: WriteSettings = NO_MERGE) -> None:
        super().__init__(index_dir, settings=settings)
        self.writes: list[list[str]] = []

    def write_generation(self, chunks, vectors, **kwargs):
        self.writes.append(sorted({c.source for c in chunks}))
        return super().write_generation(chunks, vectors, **kwargs)


def ingest(target, docs: Path, **options):
    return IngestPipeline(target, BigramEmbedder(), IngestOptions(**options)).run([docs])


def ranked(index: LocalIndex) -> list:
    out = []
    for mode in ("bm25", "dense", "hybrid"):
        for filters in (None, Filters(groups=["人事課"], max_classification=1)):
            for q in QUERIES:
                hits = index.search(q, k=5, filters=filters, mode=mode)
                out.append([(h.chunk.chunk_id, round(h.score, 5)) for h in hits])
    return out


def test_add_change_remove_write_only_the_change_and_equal_a_fresh_ingest(tmp_path):
    docs = write_tree(tmp_path)
    target = RecordingTarget(tmp_path / "index")
    assert ingest(target, docs).exit_code == 0
    (docs / "窓口.txt").write_text(
        "窓口案内\n\n新しい窓口の受付時間は午前八時三十分からとする。\n", encoding="utf-8"
    )
    added = ingest(target, docs)
    assert target.writes[-1] == ["docs/窓口.txt"] and added.files_ingested == 1
    (docs / "通知.txt").write_text(
        "テレワーク勤務について\n\n在宅勤務は週三日までとし、承認を要する。\n", encoding="utf-8"
    )
    (docs / "規程.md").unlink()
    changed = ingest(target, docs)
    assert target.writes[-1] == ["docs/通知.txt"]  # the removed file is only a tombstone
    assert changed.files_removed == 1 and changed.chunks_removed >= 1

    incremental = LocalIndex.open(tmp_path / "index", BigramEmbedder(), alpha=0.6, pool=100)
    assert len(incremental.manifest["segments"]) == 3
    assert changed.chunks_total == len(incremental)

    fresh_target = RecordingTarget(tmp_path / "fresh")
    ingest(fresh_target, docs)
    fresh = LocalIndex.open(tmp_path / "fresh", BigramEmbedder(), alpha=0.6, pool=100)
    assert sorted(c.chunk_id for c in incremental.chunks) == sorted(c.chunk_id for c in fresh.chunks)
    assert incremental.manifest["files"] == fresh.manifest["files"]
    assert ranked(incremental) == ranked(fresh)


def test_rebuild_writes_one_segment_of_everything(tmp_path):
    docs = write_tree(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "メモ.txt").write_text("別の資料です。\n", encoding="utf-8")
    target = RecordingTarget(tmp_path / "index")
    ingest(target, docs)
    ingest(target, other)
    summary = ingest(target, docs, rebuild=True)  # the other root's file is kept, embedded again
    index = LocalIndex.open(tmp_path / "index")
    assert len(index.manifest["segments"]) == 1 and summary.chunks_total == len(index)
    assert "other/メモ.txt" in target.writes[-1] and {c.source for c in index.chunks} >= {"other/メモ.txt"}


def test_segments_are_merged_once_past_the_threshold(tmp_path):
    docs = write_tree(tmp_path)
    target = RecordingTarget(
        tmp_path / "index", WriteSettings(ann_min_chunks=0, max_segments=2, dead_share=0.5)
    )
    ingest(target, docs)
    for i in range(3):
        (docs / f"追加{i}.txt").write_text(f"追加資料{i}\n\n第{i}号の通知の本文である。\n", encoding="utf-8")
        ingest(target, docs)
    index = LocalIndex.open(tmp_path / "index")
    assert len(index.manifest["segments"]) <= 2
    assert {f"docs/追加{i}.txt" for i in range(3)} <= {c.source for c in index.chunks}
    assert target.compact() is not None  # a full compaction on request (under the ingest lock)
    assert len(LocalIndex.open(tmp_path / "index").manifest["segments"]) == 1


def test_a_large_merge_runs_after_the_ingest_in_the_background(tmp_path, monkeypatch):
    """Past the threshold, a merge of more live chunks than `inline_rows` does not hold up the ingest: the
    change is live when the run returns, and a background thread (waiting for the ingest lock) merges after."""
    import threading

    from assistant.retrieval import local_target

    docs = write_tree(tmp_path)
    settings = WriteSettings(ann_min_chunks=0, max_segments=2, dead_share=0.5, inline_rows=1)
    target = RecordingTarget(tmp_path / "index", settings)
    ingest(target, docs)
    release = threading.Event()
    real = local_target._compact_quietly

    def held(index_dir, settings):  # the background merge waits until the test has looked
        release.wait(10)
        real(index_dir, settings)

    monkeypatch.setattr(local_target, "_compact_quietly", held)
    for i in range(3):
        (docs / f"追加{i}.txt").write_text(f"追加資料{i}\n\n第{i}号の通知の本文である。\n", encoding="utf-8")
        ingest(target, docs)
        assert f"docs/追加{i}.txt" in {c.source for c in LocalIndex.open(tmp_path / "index").chunks}
    [running] = local_target.background_compactions()  # one per folder, however many runs asked
    assert len(LocalIndex.open(tmp_path / "index").manifest["segments"]) == 4  # nothing merged inside the runs
    release.set()
    running.join(timeout=60)
    merged = LocalIndex.open(tmp_path / "index")
    assert len(merged.manifest["segments"]) <= 2 and not local_target.background_compactions()
    assert {f"docs/追加{i}.txt" for i in range(3)} <= {c.source for c in merged.chunks}


def test_a_small_due_merge_still_runs_inside_the_ingest(tmp_path):
    from assistant.retrieval import local_target

    docs = write_tree(tmp_path)
    target = RecordingTarget(tmp_path / "index", WriteSettings(0, 2, 0.5, inline_rows=10_000))
    for i in range(3):
        (docs / f"追加{i}.txt").write_text(f"追加資料{i}\n\n第{i}号の通知の本文である。\n", encoding="utf-8")
        ingest(target, docs)
        assert len(LocalIndex.open(tmp_path / "index").manifest["segments"]) <= 2
    assert not local_target.background_compactions()
