"""A deterministic, fast embedder for tests: hashed character bigrams, L2-normalised.

Similar texts get similar vectors, so ranking tests mean something, without loading a model.
"""

from __future__ import annotations

import zlib

import numpy as np


class BigramEmbedder:
    data_location = "organisation"  # runs in the test process, like the offline embedders

    def __init__(self, name: str = "test-bigram", dim: int = 256):
        self.name = name
        self.dim = dim
        self.calls = 0  # how many texts were embedded (tests assert "no embedding work")

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for a, b in zip(text, text[1:], strict=False):
            vec[zlib.crc32((a + b).encode()) % self.dim] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.calls += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._one(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._one(text)
