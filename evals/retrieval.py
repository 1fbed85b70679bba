"""Retrieval evaluation over a SQuAD-format file: the project's hybrid index against baselines.

Every paragraph becomes a document (its article title as the heading) that goes through the real chunker and
the real local store; each question is searched and the gold item is the question's own paragraph. Baselines run
in the same process on the same data: BM25 only and dense only (same index), and a naive LangChain pipeline
(RecursiveCharacterTextSplitter 500/50 + LangChain's FAISS vector store + the same embedder).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from core.model import Document
from evals.metrics import latency_percentiles, rank_of, ranking_metrics
from evals.squad import Paragraph, Question, load_squad

EVAL_VERSION = 1


def _dedupe(pids: list[str]) -> list[str]:
    seen: set[str] = set()
    return [p for p in pids if not (p in seen or seen.add(p))]


def _documents(paragraphs: list[Paragraph]) -> list[Document]:
    return [Document(text=p.text, source=f"squad/{p.pid}", title=p.title) for p in paragraphs]


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
    from assistant.retrieval.embedders import get_embedder
    from assistant.retrieval.local_store import LocalIndex
    from ingest.chunking import chunk_documents

    paragraphs, questions = load_squad(path)
    if limit:
        questions = questions[:limit]
    embedder = get_embedder(embedder_name)

    with tempfile.TemporaryDirectory(prefix="yakuba-eval-") as tmp:
        started = time.perf_counter()
        chunks = chunk_documents(_documents(paragraphs), size=chunk_size, overlap=chunk_overlap)
        vectors = embedder.embed_documents([c.search_text for c in chunks])
        LocalIndex.write_generation(Path(tmp), chunks, vectors, embedder_name=embedder.name,
                                    dim=embedder.dim, files={})
        store = LocalIndex.open(Path(tmp), embedder=embedder, alpha=alpha)
        index_seconds = time.perf_counter() - started

        def searcher(mode: str) -> Callable[[str], list[str]]:
            def search(query: str) -> list[str]:
                hits = store.search(query, k=k * 3, mode=mode)
                return _dedupe([h.chunk.source.removeprefix("squad/") for h in hits])

            return search

        result = {
            "version": EVAL_VERSION,
            "dataset": str(path),
            "embedder": embedder.name,
            "n_paragraphs": len(paragraphs),
            "n_chunks": len(chunks),
            **_score(questions, searcher("hybrid"), k),
            "index_seconds": round(index_seconds, 2),
        }
        if baselines:
            result["baselines"] = {
                "bm25": {**_score(questions, searcher("bm25"), k), "index_seconds": result["index_seconds"]},
                "dense": {**_score(questions, searcher("dense"), k), "index_seconds": result["index_seconds"]},
                "langchain_naive": naive_langchain(paragraphs, questions, embedder, k),
            }
    return result
