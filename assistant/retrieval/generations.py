"""Index generations on disk: a small manifest over immutable segments, switched atomically.

    INDEX_DIR/CURRENT              name of the live generation folder (one line)
    INDEX_DIR/gen-<utc>-<rand>/    manifest.json (segments, files, embedder …), tombstones.npz
    INDEX_DIR/segments/seg-…/      the segments (segments.py), shared by the generations that list them

Writing a change adds one segment (the new chunks) and a new generation folder listing the old segments
plus the new one, with the rows of replaced or removed files as tombstones: the cost follows the change,
not the index. A crash before the pointer switch leaves the previous generation live and whole; a folder
or segment that never became live is ignored by readers and removed by the next successful write. The
manifest is written last, so a generation folder without one is incomplete by construction.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.retrieval.segments import SEGMENT_PREFIX, SEGMENTS, fsync_dir, fsync_file

CURRENT = "CURRENT"
GENERATION_PREFIX = "gen-"
MANIFEST = "manifest.json"
TOMBSTONES = "tombstones.npz"


def current_generation(index_dir: Path | str) -> Path | None:
    """The live generation folder, or None when no index was ever written."""
    pointer = Path(index_dir) / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return Path(index_dir) / name if name else None


def read_manifest(gen: Path) -> dict[str, Any]:
    return json.loads((gen / MANIFEST).read_text(encoding="utf-8"))


def read_tombstones(gen: Path) -> dict[str, np.ndarray]:
    """Segment name → sorted rows removed from it in this generation."""
    path = gen / TOMBSTONES
    if not path.is_file():
        return {}
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


def write_generation_folder(
    index_dir: Path,
    manifest: dict[str, Any],
    tombstones: dict[str, np.ndarray],
    *,
    previous_segments: set[str] | None = None,
) -> Path:
    """Write, fsync and switch to a new generation over already written segments; keep it and the one it
    replaced (a reader may still be on it), and remove every other generation and unlisted segment.
    `previous_segments`: the segments of the generation being replaced, when the caller has read it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    gen = index_dir / f"{GENERATION_PREFIX}{stamp}-{secrets.token_hex(3)}"
    gen.mkdir()
    try:
        if tombstones:
            np.savez(gen / TOMBSTONES, **{k: v.astype(np.int64) for k, v in tombstones.items() if len(v)})
            fsync_file(gen / TOMBSTONES)
        write_json(gen / MANIFEST, manifest)
        fsync_dir(gen)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    previous = current_generation(index_dir)
    switch_current(index_dir, gen.name)
    listed = {s["name"] for s in manifest["segments"]}
    if previous_segments is None and previous is not None and (previous / MANIFEST).is_file():
        previous_segments = {s["name"] for s in read_manifest(previous).get("segments", [])}
    _collect_garbage(
        index_dir, {gen.name, previous.name if previous else ""}, listed | (previous_segments or set())
    )
    return gen


def _collect_garbage(index_dir: Path, names: set[str], listed: set[str]) -> None:
    for old in index_dir.glob(f"{GENERATION_PREFIX}*"):
        if old.name not in names:
            shutil.rmtree(old, ignore_errors=True)
    for seg in (index_dir / SEGMENTS).glob(f"{SEGMENT_PREFIX}*"):
        if seg.name not in listed:
            shutil.rmtree(seg, ignore_errors=True)


def build_bm25(corpus_tokens: list[list[str]]) -> Any:
    """A bm25s index of these token lists (the reference the local BM25 is compared with)."""
    import bm25s

    bm25 = bm25s.BM25()
    bm25.index(corpus_tokens, show_progress=False)
    return bm25


def write_json(path: Path, data: dict[str, Any]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, ensure_ascii=False))  # one C-encoded string: 10× faster than json.dump
        fh.flush()
        os.fsync(fh.fileno())


def switch_current(index_dir: Path, generation: str) -> None:
    tmp = index_dir / f"{CURRENT}.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(generation + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / CURRENT)
    fsync_dir(index_dir)
