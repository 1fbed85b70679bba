"""Retrieval evaluation over a SQuAD-format file: the project's hybrid index against baselines.

Every paragraph becomes a document (its article title as the heading) that goes through the real chunker and
the real local store, in memory (evals/index.py); each question is searched and the gold item is the question's
own paragraph. Baselines run
in the same process on the same data: BM25 only and dense only (same index), and a naive LangChain pipeline
(RecursiveCharacterTextSplitter 500/50 + LangChain's FAISS vector store + the same embedder).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from evals.datasets.squad import Paragraph, Question
from evals.index import build_eval_index
from evals.metrics import latency_percentiles, rank_of, ranking_metrics

EVAL_VERSION = 1


def _dedupe(pids: list[str]) -> list[str]:
    seen: set[str] = set()
    return [p for p in pids if not (p in seen or seen.add(p))]


def _score(questions: list[Question], search: Callable[[str], list[str]], k: int) -> dict:
    ranks: list[int | None] = []
    seconds: list[float] = []
    for q in questions:
        started = time.perf_counter()
        ranked = search(q.question)
        seconds.append(time.perf_counter() - started)
        ranks.append(rank_of(q.pid, ranked[:k]))
    return {**ranking_metrics(ranks), **latency_percentiles(seconds)}


class _LangChainEmbeddings:
    """Adapter giving LangChain's vector store our embedder (so the baseline uses the same model)."""

    def __init__(self, embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()


def naive_langchain(paragraphs: list[Paragraph], questions: list[Question], embedder, k: int) -> dict:
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document as LCDocument
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    class Adapter(_LangChainEmbeddings, Embeddings):
        pass

    started = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    docs = splitter.split_documents(
        [LCDocument(page_content=p.text, metadata={"pid": p.pid}) for p in paragraphs]
    )
    store = FAISS.from_documents(docs, Adapter(embedder))
    index_seconds = time.perf_counter() - started

    def search(query: str) -> list[str]:
        found = store.similarity_search(query, k=k * 3)
        return _dedupe([d.metadata["pid"] for d in found])

    return {**_score(questions, search, k), "index_seconds": round(index_seconds, 2)}


def evaluate_squad(path: Path, embedder_name: str, *, k: int = 10, limit: int | None = None,
                   chunk_size: int = 400, chunk_overlap: int = 1, alpha: float | None = None,
                   baselines: bool = True) -> dict:
    """Run the hybrid index and the baselines; return one JSON-ready dict."""
    built = build_eval_index(path, embedder_name, chunk_size=chunk_size, chunk_overlap=chunk_overlap,
                             alpha=alpha)
    paragraphs, questions, store = built.paragraphs, built.questions, built.index
    if limit:
        questions = questions[:limit]
    index_seconds = round(built.seconds, 2)

    def searcher(mode: str) -> Callable[[str], list[str]]:
        def search(query: str) -> list[str]:
            return built.paragraph_ids(store.search(query, k=k * 3, mode=mode))

        return search

    result = {
        "version": EVAL_VERSION,
        "dataset": str(path),
        "embedder": built.embedder.name,
        "n_paragraphs": len(paragraphs),
        "n_chunks": len(store),
        **_score(questions, searcher("hybrid"), k),
        "index_seconds": index_seconds,
    }
    if baselines:
        result["baselines"] = {
            "bm25": {**_score(questions, searcher("bm25"), k), "index_seconds": index_seconds},
            "dense": {**_score(questions, searcher("dense"), k), "index_seconds": index_seconds},
            "langchain_naive": naive_langchain(paragraphs, questions, built.embedder, k),
        }
    return result
