"""BM25 over index segments: term counts stored per segment, global statistics combined at query time.

Written by hand because bm25s (used before) stores precomputed BM25 weights, which depend on the
corpus-wide N, average length and document frequencies, so one added file would re-weight (and, as
stored, re-tokenise) the whole corpus. Here a segment keeps raw term frequencies (a term → rows CSC
layout, tokenised once when the segment is written); a query combines the live rows of every
segment into the same statistics a from-scratch build over the live chunks would have, so scores are
those of one BM25 over the whole corpus. The formula is bm25s's default ("lucene": idf =
ln(1 + (N − df + 0.5)/(df + 0.5)), tf / (tf + k1·(1 − b + b·dl/avgdl)), k1 = 1.5, b = 0.75, float32
weights, a repeated query term counted each time), so rankings match the previous index.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

K1 = 1.5
B = 0.75
POSTINGS = "terms.npz"
VOCAB = "vocab.json"


@dataclass(eq=False)
class Postings:
    """One segment's term counts: rows `rows[indptr[t]:indptr[t+1]]` hold term t `tf[…]` times."""

    vocab: dict[str, int]
    indptr: np.ndarray  # int64, len(vocab) + 1
    rows: np.ndarray  # int32 row numbers within the segment
    tf: np.ndarray  # float32 term frequencies
    lengths: np.ndarray  # float32 tokens per row

    @classmethod
    def build(cls, corpus_tokens: list[list[str]]) -> Postings:
        vocab: dict[str, int] = {}
        term_ids: list[int] = []
        row_ids: list[int] = []
        counts: list[int] = []
        for row, tokens in enumerate(corpus_tokens):
            for term, n in Counter(tokens).items():
                term_ids.append(vocab.setdefault(term, len(vocab)))
                row_ids.append(row)
                counts.append(n)
        lengths = np.array([len(t) for t in corpus_tokens], dtype=np.float32)
        return cls.from_triples(vocab, np.array(term_ids, np.int64), np.array(row_ids, np.int32),
                                np.array(counts, np.float32), lengths)  # fmt: skip

    @classmethod
    def from_triples(
        cls, vocab: dict[str, int], terms: np.ndarray, rows: np.ndarray, tf: np.ndarray, lengths: np.ndarray
    ) -> Postings:
        """From (term id, row, tf) triples in any order."""
        order = np.lexsort((rows, terms))
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(vocab)), out=indptr[1:])
        return cls(vocab, indptr, rows[order].astype(np.int32), tf[order].astype(np.float32), lengths)

    def save(self, folder: Path) -> None:
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / VOCAB).write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
        np.savez(folder / POSTINGS, indptr=self.indptr, rows=self.rows, tf=self.tf, lengths=self.lengths)

    @classmethod
    def load(cls, folder: Path) -> Postings:
        terms = json.loads((folder / VOCAB).read_text(encoding="utf-8"))
        with np.load(folder / POSTINGS) as data:
            arrays = {k: data[k] for k in ("indptr", "rows", "tf", "lengths")}
        return cls({t: i for i, t in enumerate(terms)}, **arrays)

    def triples(self, keep: np.ndarray, new_rows: np.ndarray, term_ids: np.ndarray):
        """(global term id, new row, tf) of the kept rows: the input of a merge (`keep`: bool per row)."""
        per_term = np.diff(self.indptr)
        terms = np.repeat(term_ids, per_term)
        live = keep[self.rows]
        return terms[live], new_rows[self.rows[live]], self.tf[live]


class Bm25:
    """BM25 scores over segments laid end to end (`offsets[i]`: the first global row of segment i)."""

    def __init__(self, segments: list[Postings], offsets: list[int], dead: list[np.ndarray | None]) -> None:
        self.segments = segments
        self.offsets = offsets
        self.dead = dead  # per segment: bool mask of tombstoned rows, or None
        live_lengths = [
            p.lengths if d is None else p.lengths[~d] for p, d in zip(segments, dead, strict=True)
        ]
        self.n = sum(len(x) for x in live_lengths)
        total = sum(float(x.sum(dtype=np.float64)) for x in live_lengths)
        self.avgdl = total / self.n if self.n else 1.0
        self.size = offsets[-1] + len(segments[-1].lengths) if segments else 0
        avgdl = np.float32(self.avgdl)  # the length normalisation of every row, computed once per opening
        self.norms = [
            np.float32(K1) * (np.float32(1 - B) + np.float32(B) * p.lengths / avgdl) for p in segments
        ]

    def score(self, query_tokens: list[str]) -> np.ndarray:
        """One float32 score per global row (tombstoned rows score too; callers mask them out)."""
        out = np.zeros(self.size, dtype=np.float32)
        for term in query_tokens:
            slices = []
            df = 0
            for i, (seg, dead) in enumerate(zip(self.segments, self.dead, strict=True)):
                tid = seg.vocab.get(term)
                if tid is None:
                    continue
                lo, hi = seg.indptr[tid], seg.indptr[tid + 1]
                rows = seg.rows[lo:hi]
                df += len(rows) if dead is None else int(np.count_nonzero(~dead[rows]))
                slices.append((i, rows, seg.tf[lo:hi]))
            if not df:
                continue
            idf = np.float32(math.log(1 + (self.n - df + 0.5) / (df + 0.5)))
            for i, rows, tf in slices:
                out[self.offsets[i] + rows] += idf * (tf / (self.norms[i][rows] + tf))
        return out

    def df(self, term: str) -> int:
        """How many live rows hold `term`."""
        total = 0
        for seg, dead in zip(self.segments, self.dead, strict=True):
            tid = seg.vocab.get(term)
            if tid is not None:
                rows = seg.rows[seg.indptr[tid] : seg.indptr[tid + 1]]
                total += len(rows) if dead is None else int(np.count_nonzero(~dead[rows]))
        return total
