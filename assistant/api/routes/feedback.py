"""POST /feedback: rate an answer in one of the caller's conversations."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api.deps import CurrentUser, WriteSessionDep
from assistant.api.errors import error_responses
from assistant.api.schemas import FeedbackOut, FeedbackRequest
from assistant.records import add_feedback
from core.errors import AccessDenied, RecordNotFound

router = APIRouter(tags=["feedback"])
NOT_FOUND = "評価の対象となる回答が見つかりません。"


@router.post("/feedback", response_model=FeedbackOut, responses=error_responses(401, 404, 413, 422))
def give_feedback(body: FeedbackRequest, user: CurrentUser, session: WriteSessionDep) -> FeedbackOut:
    """Record (or replace) the caller's rating of an answer. A message in someone else's
    conversation is reported as not found, like a missing one."""
    try:
        feedback = add_feedback(session, user, body.message_id, body.rating, body.comment)
    except (AccessDenied, RecordNotFound):
        raise RecordNotFound(NOT_FOUND) from None
    session.commit()
    return FeedbackOut(
        id=feedback.id,
        message_id=feedback.message_id,
        rating=feedback.rating,
        comment=feedback.comment,
        created_at=feedback.created_at,
    )
