"""The pipeline with hostile files among good ones: the run goes on, the hostile file fails with its reason, and
files prepared before the lock are not loaded again."""

from __future__ import annotations

from pathlib import Path

from assistant.retrieval.local_target import LocalIndexTarget
from ingest.labels import Labels
from ingest.limits import LoadLimits
from ingest.pipeline import IngestOptions, IngestPipeline
from ingest.sandbox import LoaderPool
from tests.builders import hostile
from tests.support.embedder import BigramEmbedder

GOOD = "# 窓口案内\n\n住民票の写しの交付手数料は、一通につき300円です。\n"


class CountingPool(LoaderPool):
    """A real pool that counts the files it was asked to load."""

    def __init__(self) -> None:
        super().__init__(workers=1)
        self.loaded: list[str] = []

    def load(self, path, root, **kwargs):
        self.loaded.append(Path(path).name)
        return super().load(path, root, **kwargs)


def folder_with_hostile_files(root: Path) -> Path:
    folder = root / "upload"
    folder.mkdir()
    (folder / "窓口案内.md").write_text(GOOD, encoding="utf-8")
    hostile.deep_html(folder / "deep.html", 20_000)
    hostile.xlsx_merged_everywhere(folder / "merged.xlsx")
    return folder


def test_a_hostile_file_fails_with_its_reason_and_the_others_are_ingested(tmp_path):
    folder = folder_with_hostile_files(tmp_path)
    pool = CountingPool()
    options = IngestOptions(labels=Labels(1), limits=LoadLimits(seconds=30))
    pipeline = IngestPipeline(LocalIndexTarget(tmp_path / "index"), BigramEmbedder(), options, loader=pool)
    try:
        summary = pipeline.run([folder])
    finally:
        pool.close()
    assert summary.files_ingested == 2 and summary.files_failed == 1 and summary.exit_code == 1
    assert summary.failed[0].source == "upload/deep.html"
    assert "入れ子が深すぎる" in summary.failed[0].reason


def test_files_prepared_before_the_lock_are_not_loaded_again(tmp_path):
    folder = folder_with_hostile_files(tmp_path)
    pool = CountingPool()
    pipeline = IngestPipeline(LocalIndexTarget(tmp_path / "index"), BigramEmbedder(), loader=pool)
    try:
        prepared = pipeline.prepare([folder])
        assert sorted(pool.loaded) == ["deep.html", "merged.xlsx", "窓口案内.md"]
        summary = pipeline.run([folder], prepared=prepared)
        assert len(pool.loaded) == 3
        (folder / "窓口案内.md").write_text(GOOD + "\n開庁時間は午前八時三十分からです。\n", encoding="utf-8")
        pipeline.run([folder], prepared=prepared)  # changed since it was prepared: loaded again
        assert pool.loaded[3:] == ["窓口案内.md"]
    finally:
        pool.close()
    assert summary.files_ingested == 2 and [i.source for i in summary.failed] == ["upload/deep.html"]
