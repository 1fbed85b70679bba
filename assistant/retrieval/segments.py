"""Immutable index segments: the unit a local index generation is made of.

    INDEX_DIR/segments/seg-<utc>-<rand>/
        chunks.jsonl + offsets.npy   chunk records, one JSON line each, read one row at a time
        vectors.npy                  float32 unit vectors, memory-mapped
        labels.npz + labels.json     access columns (機密性, groups, type, dates, source, chunk id) for masks
        terms.npz + vocab.json       BM25 term counts (local_bm25.Postings), tokenised once, at write
        hnsw.faiss                   an ANN index, for segments of at least `ann_min_chunks` rows
        segment.json                 written last: a folder without it is incomplete and never referenced

A segment is never changed once written; removing chunks is a tombstone in the generation that
lists the segment (generations.py), and compaction writes a new segment from old ones without
parsing chunk records or tokenising again.
"""

from __future__ import annotations

import json
import mmap
import os
import secrets
import shutil
import threading
import weakref
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.retrieval import ann
from assistant.retrieval.local_bm25 import Postings
from core.model import Chunk

if TYPE_CHECKING:
    from assistant.retrieval.base import Filters

SEGMENTS = "segments"
SEGMENT_PREFIX = "seg-"
SEGMENT_META = "segment.json"
CHUNKS = "chunks.jsonl"
OFFSETS = "offsets.npy"
VECTORS = "vectors.npy"
LABELS = "labels.npz"
LABEL_TABLES = "labels.json"


class Segment:
    """An opened segment: columns and vectors mapped from disk, chunk records read on demand; or one held
    in memory (`in_memory`: evaluations and tests that never touch the disk)."""

    def __init__(
        self,
        name: str,
        meta: dict[str, Any],
        vectors: np.ndarray,
        tables: dict[str, Any],
        columns: dict[str, np.ndarray],
        *,
        folder: Path | None = None,
        chunks: list[Chunk] | None = None,
        postings: Postings | None = None,
    ) -> None:
        self.name = name
        self.meta = meta
        self.rows = int(meta["rows"])
        self.vectors = vectors
        self.sources: list[str] = tables["sources"]
        self.group_sets: list[list[str]] = tables["group_sets"]
        self.columns = columns
        self.folder = folder
        self._chunks = chunks
        if postings is not None:
            self.postings = postings

    @classmethod
    def open(cls, folder: Path) -> Segment:
        meta = json.loads((folder / SEGMENT_META).read_text(encoding="utf-8"))
        rows = int(meta["rows"])
        dim = int(meta["dim"])
        vectors = np.load(folder / VECTORS, mmap_mode="r") if rows else np.zeros((0, dim), np.float32)
        tables = json.loads((folder / LABEL_TABLES).read_text(encoding="utf-8"))
        with np.load(folder / LABELS) as data:
            columns = {k: data[k] for k in data.files}
        return cls(folder.name, meta, vectors, tables, columns, folder=folder)

    @classmethod
    def in_memory(cls, chunks: list[Chunk], vectors: np.ndarray, corpus_tokens: list[list[str]]) -> Segment:
        columns, tables = _label_columns(chunks)
        meta = {"rows": len(chunks), "dim": int(vectors.shape[1]), "ann": False}
        postings = Postings.build(corpus_tokens)
        return cls("memory", meta, vectors, tables, columns, chunks=list(chunks), postings=postings)

    @cached_property
    def postings(self) -> Postings:
        assert self.folder is not None
        return Postings.load(self.folder)

    @cached_property
    def ann(self) -> Any:
        """The segment's FAISS HNSW index, or None (read on first dense search)."""
        return ann.load(self.folder) if self.meta.get("ann") and self.folder is not None else None

    @cached_property
    def _records(self) -> mmap.mmap | bytes:
        assert self.folder is not None
        with (self.folder / CHUNKS).open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    @cached_property
    def _offsets(self) -> np.ndarray:
        assert self.folder is not None
        return np.load(self.folder / OFFSETS)

    def record(self, row: int) -> bytes:
        """The chunk's JSON line, as stored."""
        if self._chunks is not None:
            return json.dumps(self._chunks[row].to_dict(), ensure_ascii=False).encode() + b"\n"
        return self._records[int(self._offsets[row]) : int(self._offsets[row + 1])]

    def chunk(self, row: int) -> Chunk:
        if self._chunks is not None:
            return self._chunks[row]
        return Chunk.from_dict(json.loads(self.record(row)))

    @property
    def ids(self) -> np.ndarray:
        return self.columns["ids"]

    @cached_property
    def _id_order(self) -> np.ndarray:
        return np.argsort(self.ids, kind="stable")

    def find(self, chunk_id: str) -> int | None:
        """The row of `chunk_id` in this segment, or None."""
        order = self._id_order
        at = int(np.searchsorted(self.ids, chunk_id, sorter=order))
        if at < len(order) and self.ids[order[at]] == chunk_id:
            return int(order[at])
        return None

    def source_rows(self, sources: set[str]) -> np.ndarray:
        wanted = np.array([s in sources for s in self.sources], dtype=bool)
        return np.flatnonzero(wanted[self.columns["source_id"]]) if len(wanted) else np.empty(0, np.int64)

    def mask(self, filters: Filters) -> np.ndarray:
        """Rows `filters` allows, computed on the columns (the same rules as `Filters.allows`)."""
        col = self.columns
        ok = np.ones(self.rows, dtype=bool)
        if filters.sources or filters.exclude_sources:
            keep = []
            for source in self.sources:
                inside = not filters.sources or any(
                    source == s or (s.endswith("/") and source.startswith(s)) for s in filters.sources
                )
                keep.append(inside and not (filters.exclude_sources and source in filters.exclude_sources))
            ok &= np.array(keep, dtype=bool)[col["source_id"]] if keep else ok
        if filters.max_classification is not None:
            ok &= col["classification"] <= filters.max_classification
        if filters.groups is not None:
            mine = set(filters.groups)
            visible = np.array([not g or bool(set(g) & mine) for g in self.group_sets], dtype=bool)
            ok &= visible[col["groups_id"]] if len(visible) else ok
        if filters.doc_type:
            ok &= col["inquiry"] == (filters.doc_type == "inquiry")
        if filters.date_from or filters.date_to:
            values = col["date_values"]
            inside = np.ones(len(values), dtype=bool)
            if filters.date_from:
                inside &= values >= filters.date_from
            if filters.date_to:
                inside &= values <= filters.date_to
            dated = np.zeros(self.rows, dtype=bool)
            dated[col["date_rows"][inside]] = True
            ok &= dated
        return ok


_OPEN: weakref.WeakValueDictionary[str, Segment] = weakref.WeakValueDictionary()
_OPEN_LOCK = threading.Lock()


def open_segment(folder: Path) -> Segment:
    """The segment in `folder`, shared with every open index that lists it: segments never change, so an index
    reopened after an ingest keeps the unchanged ones loaded (HNSW graph, term counts, columns) and reads only
    the new one."""
    key = str(folder.resolve())
    with _OPEN_LOCK:
        segment = _OPEN.get(key)
        if segment is None:
            segment = Segment.open(folder)
            _OPEN[key] = segment
    return segment


def new_segment_name() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{SEGMENT_PREFIX}{stamp}-{secrets.token_hex(3)}"


def write_segment(
    index_dir: Path,
    chunks: list[Chunk],
    vectors: np.ndarray,
    corpus_tokens: list[list[str]],
    *,
    ann_min_chunks: int,
) -> str:
    """Write a new segment of these chunks (vectors unit length, one token list per chunk); returns its name."""
    records = [json.dumps(c.to_dict(), ensure_ascii=False).encode() + b"\n" for c in chunks]
    columns, tables = _label_columns(chunks)
    return _write(index_dir, records, vectors, columns, tables, Postings.build(corpus_tokens), ann_min_chunks)


def merge_segments(
    index_dir: Path, segments: list[Segment], dead: list[np.ndarray | None], *, ann_min_chunks: int
) -> str:
    """One new segment holding the live rows of `segments` in order: records copied as bytes, term counts
    re-addressed, nothing parsed or tokenised again."""
    records: list[bytes] = []
    vector_parts, column_parts, postings_parts = [], [], []
    vocab: dict[str, int] = {}
    start = 0
    for seg, gone in zip(segments, dead, strict=True):
        keep = np.ones(seg.rows, dtype=bool) if gone is None else ~gone
        kept = np.flatnonzero(keep)
        new_rows = np.full(seg.rows, -1, dtype=np.int64)
        new_rows[kept] = start + np.arange(len(kept))
        records.extend(seg.record(r) for r in kept)
        if seg.rows:
            vector_parts.append(np.asarray(seg.vectors[kept]))
        column_parts.append((seg, kept, new_rows))
        term_ids = np.array([vocab.setdefault(t, len(vocab)) for t in seg.postings.vocab], dtype=np.int64)
        postings_parts.append((seg.postings.triples(keep, new_rows, term_ids), seg.postings.lengths[kept]))
        start += len(kept)
    dim = segments[0].meta["dim"]
    vectors = np.concatenate(vector_parts) if vector_parts else np.zeros((0, dim), np.float32)
    columns, tables = _merged_columns(column_parts)
    terms, rows, tf = (np.concatenate([p[0][i] for p in postings_parts]) for i in range(3))
    lengths = np.concatenate([p[1] for p in postings_parts])
    postings = Postings.from_triples(vocab, terms, rows.astype(np.int32), tf, lengths)
    return _write(index_dir, records, vectors, columns, tables, postings, ann_min_chunks)


def _write(
    index_dir: Path,
    records: list[bytes],
    vectors: np.ndarray,
    columns: dict[str, np.ndarray],
    tables: dict[str, Any],
    postings: Postings,
    ann_min_chunks: int,
) -> str:
    name = new_segment_name()
    folder = index_dir / SEGMENTS / name
    folder.mkdir(parents=True)
    try:
        with (folder / CHUNKS).open("wb") as fh:
            fh.writelines(records)
        offsets = np.zeros(len(records) + 1, dtype=np.int64)
        np.cumsum([len(r) for r in records], out=offsets[1:])
        np.save(folder / OFFSETS, offsets)
        np.save(folder / VECTORS, np.ascontiguousarray(vectors, dtype=np.float32))
        np.savez(folder / LABELS, **columns)
        (folder / LABEL_TABLES).write_text(json.dumps(tables, ensure_ascii=False), encoding="utf-8")
        postings.save(folder)
        with_ann = len(records) >= ann_min_chunks > 0
        if with_ann:
            ann.build(folder, vectors)
        for path in folder.iterdir():
            fsync_file(path)
        meta = {"rows": len(records), "dim": int(vectors.shape[1]), "ann": with_ann}
        (folder / SEGMENT_META).write_text(json.dumps(meta), encoding="utf-8")
        fsync_file(folder / SEGMENT_META)
        fsync_dir(folder)
        fsync_dir(folder.parent)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return name


def _label_columns(chunks: list[Chunk]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    sources: dict[str, int] = {}
    group_sets: dict[tuple[str, ...], int] = {}
    date_rows, date_values = [], []
    for row, c in enumerate(chunks):
        for d in [c.date] if c.date else c.dates:
            date_rows.append(row)
            date_values.append(d)
    columns = {
        "ids": np.array([c.chunk_id for c in chunks], dtype=str),
        "source_id": np.array([sources.setdefault(c.source, len(sources)) for c in chunks], dtype=np.int32),
        "groups_id": np.array(
            [group_sets.setdefault(tuple(sorted(c.groups)), len(group_sets)) for c in chunks], dtype=np.int32
        ),
        "classification": np.array([c.classification for c in chunks], dtype=np.int8),
        "inquiry": np.array([c.doc_type == "inquiry" for c in chunks], dtype=bool),
        "date_rows": np.array(date_rows, dtype=np.int32),
        "date_values": np.array(date_values, dtype=str),
    }
    return columns, {"sources": list(sources), "group_sets": [list(g) for g in group_sets]}


def _merged_columns(parts: list[tuple[Segment, np.ndarray, np.ndarray]]) -> tuple[dict, dict]:
    sources: dict[str, int] = {}
    group_sets: dict[tuple[str, ...], int] = {}
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("ids", "source_id", "groups_id", "classification",
                                                         "inquiry", "date_rows", "date_values")}  # fmt: skip
    for seg, kept, new_rows in parts:
        col = seg.columns
        source_map = np.array([sources.setdefault(s, len(sources)) for s in seg.sources], dtype=np.int32)
        group_map = np.array(
            [group_sets.setdefault(tuple(g), len(group_sets)) for g in seg.group_sets], dtype=np.int32
        )
        out["ids"].append(col["ids"][kept])
        out["source_id"].append(source_map[col["source_id"][kept]] if len(kept) else np.empty(0, np.int32))
        out["groups_id"].append(group_map[col["groups_id"][kept]] if len(kept) else np.empty(0, np.int32))
        out["classification"].append(col["classification"][kept])
        out["inquiry"].append(col["inquiry"][kept])
        live_dates = new_rows[col["date_rows"]] >= 0 if len(col["date_rows"]) else np.empty(0, bool)
        out["date_rows"].append(new_rows[col["date_rows"][live_dates]].astype(np.int32))
        out["date_values"].append(col["date_values"][live_dates])
    columns = {k: np.concatenate(v) if v else np.empty(0) for k, v in out.items()}
    return columns, {"sources": list(sources), "group_sets": [list(g) for g in group_sets]}


def fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
