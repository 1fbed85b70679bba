"""In-process embedders run every inference on one thread of their own (an OpenMP runtime keeps a team of
threads per calling thread; calls from many threads would start competing teams on the same cores)."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from assistant.backends.embedders import _LockedBatchEmbedder


class _Recording(_LockedBatchEmbedder):
    name, dim = "testing/recording", 2

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        self.threads.add(threading.get_ident())
        return np.ones((len(texts), 2), dtype=np.float32)


def _embed_in_child(embedder: _Recording, out) -> None:
    out.put(embedder.embed_query("子プロセス").tolist())


def test_calls_from_many_threads_run_on_one_inference_thread():
    embedder = _Recording()
    with ThreadPoolExecutor(max_workers=4) as pool:
        vectors = list(pool.map(embedder.embed_query, [f"問{i}" for i in range(20)]))
    embedder.embed_documents(["本文"] * 70)
    assert len(vectors) == 20 and len(embedder.threads) == 1
    assert threading.get_ident() not in embedder.threads


def test_a_forked_child_gets_its_own_inference_thread():
    embedder = _Recording()
    embedder.embed_query("親")  # the parent's thread exists before the fork
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_embed_in_child, args=(embedder, out))
    child.start()
    assert out.get(timeout=30) == [1.0, 1.0]
    child.join(timeout=30)
