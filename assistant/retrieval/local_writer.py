"""Writing the local index: a full generation, a change (one new segment + tombstones), compaction.

Every function ends with `generations.write_generation_folder`, so each write becomes visible in one
atomic pointer switch and a crash at any point leaves the previous generation live. Callers hold the
ingest lock (`LocalIndexTarget.lock`): one writer per index folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.retrieval.generations import (
    MANIFEST,
    current_generation,
    read_manifest,
    write_generation_folder,
)
from assistant.retrieval.local_store import FORMAT_VERSION, LocalIndex, _normalised
from assistant.retrieval.segments import merge_segments, write_segment
from assistant.retrieval.tokenizer import JapaneseTokenizer, get_tokenizer
from core.model import Chunk


@dataclass
class WriteSettings:
    """When a segment gets an ANN index and when segments are merged (Settings: ann_min_chunks,
    compact_max_segments, compact_dead_share, compact_inline_rows)."""

    ann_min_chunks: int
    max_segments: int
    dead_share: float
    inline_rows: int = 50_000  # a due merge of more live rows than this is left to a background compaction

    @classmethod
    def from_settings(cls) -> WriteSettings:
        from assistant.config import get_settings

        s = get_settings()
        return cls(s.ann_min_chunks, s.compact_max_segments, s.compact_dead_share, s.compact_inline_rows)


def write_full(
    index_dir: Path,
    chunks: list[Chunk],
    vectors: np.ndarray,
    *,
    embedder_name: str,
    dim: int,
    files: dict[str, dict[str, Any]],
    tokenizer: JapaneseTokenizer | None = None,
    ann_min_chunks: int | None = None,
    corpus_tokens: list[list[str]] | None = None,
) -> Path:
    """A new generation of exactly these chunks, in one segment (`corpus_tokens`: their tokens, if known)."""
    vectors = _normalised(vectors, len(chunks), dim)
    tokenizer = tokenizer or get_tokenizer()
    if ann_min_chunks is None:
        ann_min_chunks = WriteSettings.from_settings().ann_min_chunks
    segments = []
    if chunks:
        tokens = corpus_tokens or tokenizer.tokenize_many([c.search_text for c in chunks])
        segments.append(write_segment(index_dir, chunks, vectors, tokens, ann_min_chunks=ann_min_chunks))
    entries = [{"name": name, "rows": len(chunks), "dead": 0} for name in segments]
    manifest = _manifest(embedder_name, dim, tokenizer.name, entries, files)
    return write_generation_folder(index_dir, manifest, {})


def write_change(
    index_dir: Path,
    chunks: list[Chunk],
    vectors: np.ndarray,
    *,
    embedder_name: str,
    files: dict[str, dict[str, Any]],
    tokenizer: JapaneseTokenizer | None = None,
    settings: WriteSettings | None = None,
    previous: LocalIndex | None = None,
) -> Path:
    """The live generation (`previous`, if already open) with every chunk of the sources in `chunks` replaced by these, and every source
    missing from `files` (the complete per-source record) removed. Old rows become tombstones; the new
    chunks form one new segment; then the segments are compacted if a threshold is passed."""
    settings = settings or WriteSettings.from_settings()
    tokenizer = tokenizer or get_tokenizer()
    if previous is None or previous.generation != _live_name(index_dir):
        previous = LocalIndex.open(index_dir, alpha=0.0, pool=0, ef_search=0)
    manifest = previous.manifest
    dim = int(manifest["embedder"]["dim"])
    vectors = _normalised(vectors, len(chunks), dim)
    gone = {c.source for c in chunks} | (set(manifest.get("files", {})) - set(files))
    if manifest["tokenizer"] != tokenizer.name:  # term counts of another tokenizer: tokenise everything again
        kept = [c for c in previous.chunks if c.source not in gone]
        keep_rows = [i for i, c in enumerate(previous.chunks) if c.source not in gone]
        all_vectors = np.concatenate([previous.vectors[keep_rows], vectors]) if keep_rows else vectors
        return write_full(
            index_dir, kept + list(chunks), all_vectors, embedder_name=embedder_name, dim=dim,
            files=files, tokenizer=tokenizer, ann_min_chunks=settings.ann_min_chunks,
        )  # fmt: skip
    entries, tombstones = [], {}
    for seg, dead in previous.segments:
        removed = np.zeros(seg.rows, dtype=bool) if dead is None else dead.copy()
        removed[seg.source_rows(gone)] = True
        if removed.all():
            continue  # nothing of it is left: no longer listed
        tombstones[seg.name] = np.flatnonzero(removed)
        entries.append({"name": seg.name, "rows": seg.rows, "dead": int(removed.sum())})
    if chunks:
        tokens = tokenizer.tokenize_many([c.search_text for c in chunks])
        name = write_segment(index_dir, chunks, vectors, tokens, ann_min_chunks=settings.ann_min_chunks)
        entries.append({"name": name, "rows": len(chunks), "dead": 0})
    gen = write_generation_folder(
        index_dir,
        _manifest(embedder_name, dim, tokenizer.name, entries, files),
        {k: v for k, v in tombstones.items() if len(v)},
        previous_segments={s["name"] for s in manifest["segments"]},
    )
    picked = _pick(entries, settings, full=False)
    if not picked or _live_rows(entries, picked) > settings.inline_rows:
        return gen  # nothing due, or a merge too large to make this change wait: `compaction_due` tells
    return compact(index_dir, settings) or gen


def compaction_due(index_dir: Path, settings: WriteSettings) -> int:
    """Live rows a compaction of the live generation would merge now (0: none is due). Reads the manifest only."""
    gen = current_generation(index_dir)
    if gen is None:
        return 0
    entries = read_manifest(gen).get("segments", [])
    picked = _pick(entries, settings, full=False)
    return _live_rows(entries, picked) if picked else 0


def _live_rows(entries: list[dict], picked: set[int]) -> int:
    return sum(entries[i]["rows"] - entries[i]["dead"] for i in picked)


def compact(index_dir: Path, settings: WriteSettings | None = None, *, full: bool = False) -> Path | None:
    """Merge segments when a threshold is passed (or all of them, `full`) into one without their tombstoned
    rows; returns the new generation, or None when nothing needed merging.

    Picked: every segment whose removed share exceeds `dead_share`, and — when there are more than
    `max_segments` — every segment but the largest, so one added file never rewrites the bulk of the index.
    """
    settings = settings or WriteSettings.from_settings()
    index = LocalIndex.open(index_dir, alpha=0.0, pool=0, ef_search=0)
    segments = index.segments
    live = [seg.rows - (0 if dead is None else int(dead.sum())) for seg, dead in segments]
    picked = _pick(index.manifest["segments"], settings, full=full)
    if not picked:
        return None
    order = sorted(picked)
    entries, tombstones = [], {}
    for i, (seg, dead) in enumerate(segments):
        if i not in picked:
            entries.append(
                {"name": seg.name, "rows": seg.rows, "dead": int(0 if dead is None else dead.sum())}
            )
            if dead is not None:
                tombstones[seg.name] = np.flatnonzero(dead)
    if sum(live[i] for i in order):
        name = merge_segments(
            index_dir, [segments[i][0] for i in order], [segments[i][1] for i in order],
            ann_min_chunks=settings.ann_min_chunks,
        )  # fmt: skip
        entries.append({"name": name, "rows": sum(live[i] for i in order), "dead": 0})
    manifest = index.manifest
    new = _manifest(manifest["embedder"]["name"], manifest["embedder"]["dim"], manifest["tokenizer"],
                    entries, manifest.get("files", {}))  # fmt: skip
    return write_generation_folder(
        index_dir, new, tombstones, previous_segments={s["name"] for s in manifest["segments"]}
    )


def _pick(entries: list[dict], settings: WriteSettings, *, full: bool) -> set[int]:
    """The segments (manifest entries: rows, dead) a compaction merges; empty when none needs it."""
    picked = {i for i, e in enumerate(entries) if full or e["dead"] > settings.dead_share * e["rows"]}
    if len(entries) > settings.max_segments:
        largest = max(range(len(entries)), key=lambda i: entries[i]["rows"] - entries[i]["dead"])
        picked |= set(range(len(entries))) - {largest}
    if len(picked) == 1 and not entries[min(picked)]["dead"]:
        return set()  # one clean segment: merging it would only copy it
    return picked


def migrate_v1(index_dir: Path) -> Path | None:
    """Rewrite a format-1 index (one folder: chunks.jsonl, vectors.npy, a bm25s index) as segments, keeping its
    vectors (nothing is embedded again); returns the new generation, or None when the live one is not format 1."""
    gen = current_generation(index_dir)
    if gen is None or not (gen / MANIFEST).is_file():
        return None
    manifest = read_manifest(gen)
    if manifest.get("version") != 1:
        return None
    with (gen / "chunks.jsonl").open(encoding="utf-8") as fh:
        chunks = [Chunk.from_dict(json.loads(line)) for line in fh if line.strip()]
    built = manifest["embedder"]
    return write_full(index_dir, chunks, np.load(gen / "vectors.npy"), embedder_name=built["name"],
                      dim=int(built["dim"]), files=manifest.get("files", {}))  # fmt: skip


def _live_name(index_dir: Path) -> str | None:
    gen = current_generation(index_dir)
    return gen.name if gen else None


def _manifest(
    embedder_name: str, dim: int, tokenizer: str, segments: list[dict], files: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "embedder": {"name": embedder_name, "dim": dim},
        "tokenizer": tokenizer,
        "chunk_count": sum(s["rows"] - s["dead"] for s in segments),
        "segments": segments,
        "files": files,
    }
