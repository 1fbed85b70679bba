"""The live generation switches atomically; crashes leave the previous index live and readable."""

import os

import pytest

from assistant.retrieval import generations
from assistant.retrieval.local_bm25 import Postings
from assistant.retrieval.local_store import LocalIndex, build_in_memory
from assistant.retrieval.local_writer import write_full


@pytest.fixture
def write(tmp_path, chunks, embedder):
    vectors = build_in_memory(chunks, embedder).vectors

    def _write(upto: int | None = None):
        return write_full(
            tmp_path, chunks[:upto], vectors[:upto], embedder_name=embedder.name, dim=embedder.dim, files={}
        )

    return _write


def live_generations(index_dir):
    return sorted(p.name for p in index_dir.glob("gen-*"))


def test_keeps_the_live_and_the_previous_generation(tmp_path, write):
    first = write(5)
    second = write(8)
    assert live_generations(tmp_path) == sorted([first.name, second.name])
    third = write()
    assert live_generations(tmp_path) == sorted([second.name, third.name])
    assert generations.current_generation(tmp_path) == third
    assert not (tmp_path / "CURRENT.tmp").exists()


def test_crash_while_writing_files_leaves_old_index_live(tmp_path, write, embedder, monkeypatch):
    old = write(5)

    def disk_full(postings, folder):
        assert (folder / "vectors.npy").exists()  # chunks and vectors are already on disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Postings, "save", disk_full)
    with pytest.raises(OSError):
        write()
    assert generations.current_generation(tmp_path) == old
    assert live_generations(tmp_path) == [old.name]
    assert len(list((tmp_path / "segments").iterdir())) == 1  # the half-written segment was removed
    opened = LocalIndex.open(tmp_path, embedder)
    assert len(opened) == 5
    assert opened.search("住民票の写し", k=1)[0].chunk.text.startswith("住民票の写し")


def test_crash_before_the_pointer_switch(tmp_path, write, chunks, embedder, monkeypatch):
    old = write(5)
    real_replace = os.replace

    def power_cut(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(generations.os, "replace", power_cut)
    with pytest.raises(OSError, match="power cut"):
        write()
    monkeypatch.setattr(generations.os, "replace", real_replace)
    assert generations.current_generation(tmp_path) == old
    assert len(LocalIndex.open(tmp_path, embedder)) == 5
    newest = write()  # the complete-but-never-live folder and CURRENT.tmp are cleaned up
    assert live_generations(tmp_path) == sorted([old.name, newest.name])
    assert len(LocalIndex.open(tmp_path, embedder)) == len(chunks)


def test_stray_half_written_folder_is_ignored_then_removed(tmp_path, write, embedder):
    old = write(5)
    stray = tmp_path / "gen-29990101T000000000000Z-dead00"
    stray.mkdir()
    (stray / "chunks.jsonl").write_text('{"broken": ', encoding="utf-8")
    assert len(LocalIndex.open(tmp_path, embedder)) == 5
    new = write()
    assert not stray.exists()
    assert live_generations(tmp_path) == sorted([old.name, new.name])


def test_open_keeps_reading_its_generation_after_a_new_one(tmp_path, write, embedder):
    write(5)
    before = LocalIndex.open(tmp_path, embedder)
    write()
    after = LocalIndex.open(tmp_path, embedder)
    assert len(before) == 5 and len(after) > 5
    assert before.search("住民票", k=1)
