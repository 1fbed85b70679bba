"""POST /search: hybrid search over the chunks the caller may see."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api.access import user_filters
from assistant.api.deps import ContextDep, RateLimitedUser, StoreDep
from assistant.api.errors import error_responses
from assistant.api.schemas import SearchHitOut, SearchRequest, SearchResponse
from assistant.audit import auditing_queries

router = APIRouter(tags=["search"])


@router.post("/search", response_model=SearchResponse, responses=error_responses(401, 413, 422, 429, 503))
def search(body: SearchRequest, user: RateLimitedUser, store: StoreDep, ctx: ContextDep) -> SearchResponse:
    """The k best chunks for `query`; access filters are applied before the top-k cut, so the
    results (and their number) say nothing about chunks the caller may not see."""
    scope = body.filters
    filters = user_filters(
        user,
        doc_type=scope.doc_type if scope else None,
        date_from=scope.date_from.isoformat() if scope and scope.date_from else None,
        date_to=scope.date_to.isoformat() if scope and scope.date_to else None,
    )
    with auditing_queries(user.name, "search", ctx.audit_sink):  # an external query embedder's call
        hits = store.search(body.query, k=body.k, filters=filters)
    return SearchResponse(
        hits=[
            SearchHitOut(
                chunk_id=h.chunk.chunk_id,
                title=h.chunk.title,
                source=h.chunk.source,
                location=h.chunk.location,
                doc_type=h.chunk.doc_type,
                classification=h.chunk.classification,
                date=h.chunk.date,
                text=h.chunk.text,
                score=round(float(h.score), 6),
            )
            for h in hits
        ]
    )
