"""POST /chat: a question answered from the documents the caller may see, as JSON or as
server-sent events."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse, format_sse_event
from starlette.concurrency import run_in_threadpool

from assistant.api.chat_flow import ChatJob, check_conversation
from assistant.api.context import ApiContext
from assistant.api.deps import ContextDep, RateLimitedUser
from assistant.api.errors import ChatTimeout, check_question_length, error_payload, error_responses
from assistant.api.schemas import ChatRequest, ChatResponse
from core.errors import YakubaError

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat"])

TIMEOUT_MESSAGE = (
    "モデルからの回答が制限時間内に得られませんでした。しばらく待ってから再度お試しいただくか、"
    "別のモデル（例: offline/extractive）を選択してください。"
)
SSE_DESCRIPTION = (
    'With `stream: true`: `text/event-stream` with events `token` (`{"text": piece}`, answer pieces in '
    'order), then `citations` (`{"citations": [CitationOut]}`), `usage` (UsageOut) and `done` '
    "(ChatResponse, the final answer with markers normalised — show it in place of the pieces). A failure "
    "after the stream has started is sent as an `error` event (ErrorBody) and ends the stream."
)


def _event(name: str, data: Any) -> bytes:
    payload = (
        data.model_dump_json() if hasattr(data, "model_dump_json") else json.dumps(data, ensure_ascii=False)
    )
    return format_sse_event(event=name, data_str=payload)


def _error_event(exc: Exception) -> bytes:
    if not isinstance(exc, YakubaError):
        log.error("chat failed", exc_info=exc)
        exc = YakubaError("internal error")
    return _event("error", error_payload(exc)[1])


async def _stream(ctx: ApiContext, job: ChatJob) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    def on_token(piece: str) -> None:  # on the worker thread
        loop.call_soon_threadsafe(queue.put_nowait, ("token", piece))

    def on_done(future: asyncio.Future[Any]) -> None:
        if not future.cancelled():
            future.exception()  # retrieved here, so an abandoned job's error is not logged as lost
        queue.put_nowait(("end", ""))

    future = loop.run_in_executor(ctx.chat_executor, job.run, on_token)
    future.add_done_callback(on_done)
    deadline = loop.time() + ctx.settings.chat_timeout_seconds
    try:
        while True:
            try:
                kind, piece = await asyncio.wait_for(queue.get(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                yield _error_event(ChatTimeout(TIMEOUT_MESSAGE))
                return
            if kind == "end":
                break
            yield _event("token", {"text": piece})
        try:
            response = future.result()
        except Exception as exc:
            yield _error_event(exc)
            return
        yield _event("citations", {"citations": [c.model_dump() for c in response.citations]})
        yield _event("usage", response.usage)
        yield _event("done", response)
    finally:
        job.abandon()  # the client left or the deadline passed: stop generating (no-op when done)


@router.post(
    "/chat",
    response_model=ChatResponse,
    summary="Ask a question about the documents",
    responses={
        200: {
            "description": "The answer (JSON), or " + SSE_DESCRIPTION,
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **error_responses(400, 401, 403, 404, 413, 422, 429, 502, 503, 504),
    },
)
async def chat(body: ChatRequest, user: RateLimitedUser, ctx: ContextDep) -> Any:
    """Answer `message` from the chunks the caller may see; store the question and the answer in
    the conversation. The classification policy decides which backends may receive the sources.
    A question over `max_question_chars` characters is a 422 whose message states the limit."""
    check_question_length(body.message, ctx.settings.max_question_chars)
    await run_in_threadpool(check_conversation, ctx, user, body.conversation_id)
    job = ChatJob(ctx, user, body)
    if body.stream:
        return EventSourceResponse(_stream(ctx, job))
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(ctx.chat_executor, job.run)
    try:
        return await asyncio.wait_for(future, ctx.settings.chat_timeout_seconds)
    except TimeoutError:
        job.abandon()
        raise ChatTimeout(TIMEOUT_MESSAGE) from None
