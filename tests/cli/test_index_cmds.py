"""`yakuba index compact`: the local index's segments merged into one, removed chunks dropped, search unchanged."""

from __future__ import annotations

from typer.testing import CliRunner

from assistant.cli import app
from assistant.retrieval.local_store import LocalIndex
from tests.ingest.test_incremental_index import NO_MERGE, RecordingTarget, ingest, ranked
from tests.ingest.test_pipeline import write_tree
from tests.support.embedder import BigramEmbedder

runner = CliRunner()


def test_compact_merges_every_segment_and_keeps_the_results(tmp_path):
    docs = write_tree(tmp_path)
    index_dir = tmp_path / "index"
    ingest(RecordingTarget(index_dir, NO_MERGE), docs)
    (docs / "追加.md").write_text(
        "# 窓口\n\n新しい窓口の受付時間は午前八時半からとする。\n", encoding="utf-8"
    )
    ingest(RecordingTarget(index_dir, NO_MERGE), docs)
    (docs / "通知.txt").unlink()
    ingest(RecordingTarget(index_dir, NO_MERGE), docs)
    before = LocalIndex.open(index_dir, BigramEmbedder())
    assert len(before.segments) > 1
    results = ranked(before)

    done = runner.invoke(app, ["index", "compact", "--index", str(index_dir)])
    assert done.exit_code == 0, done.output
    assert "compacted into" in done.output
    after = LocalIndex.open(index_dir, BigramEmbedder())
    assert len(after.segments) == 1
    assert ranked(after) == results
    assert all("在宅勤務" not in c.text for c in after.chunks)  # the removed file's chunks are gone for good

    again = runner.invoke(app, ["index", "compact", "--index", str(index_dir)])
    assert again.exit_code == 0 and "nothing to compact" in again.output
