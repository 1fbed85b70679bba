"""One chat turn, the blocking part: retrieve with the user's access filters, answer through a
borrowed router, audit, and store the question and answer in the conversation.

Runs on the API's chat worker threads (the router and the backends are synchronous). The async
route in `routes/chat.py` waits for it, or streams its tokens as server-sent events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.api.access import may_use_backend, stored_citation, user_filters
from assistant.api.schemas import ChatRequest, ChatResponse, CitationOut, UsageOut
from assistant.records import add_message, create_conversation, list_messages
from assistant.records.models import Conversation
from assistant.tasks.ask import HISTORY_QUESTIONS, AskRequest, AskResult, run_ask
from core.errors import AccessDenied, PolicyRefused, RecordNotFound, YakubaError

if TYPE_CHECKING:
    from assistant.api.context import ApiContext, RouterPool
    from assistant.audit import AuditSink
    from assistant.records.models import User
    from assistant.retrieval.base import Store
    from assistant.router import Router

CONVERSATION_NOT_FOUND = "指定された会話は見つかりません。"
NO_MODEL_REASON = "質問に関連する資料が見つからないため、モデルを呼び出さずに回答"


class ChatAbandoned(Exception):
    """The caller went away or the API stopped waiting: generation stops at the next token."""


class _RequestAudit:
    """Passes the router's audit events to the database and notes that one was written."""

    def __init__(self, sink: AuditSink):
        self.sink = sink
        self.recorded = False

    def record(self, event: dict[str, Any]) -> None:
        self.recorded = True
        self.sink.record(event)


def check_conversation(ctx: ApiContext, user: User, conversation_id: str | None) -> None:
    """A conversation to continue must be the caller's own; anything else is 'not found'."""
    if conversation_id is None:
        return
    with ctx.sessions() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.user_id != user.id:
            raise RecordNotFound(CONVERSATION_NOT_FOUND)


def _ask_until_abandoned(
    request: AskRequest, store: Store, router: Router, token: Callable[[str], None]
) -> AskResult:
    try:
        return run_ask(request, store, router, on_token=token)
    except ChatAbandoned:
        pass
    # Raised again only out here: leaving the except block drops the traceback and with it the
    # router's suspended stream, which closes at once — while this request still holds the router —
    # so the router audits the cancelled model call.
    raise ChatAbandoned


class ChatJob:
    def __init__(self, ctx: ApiContext, user: User, body: ChatRequest, routers: RouterPool):
        self.ctx = ctx
        self.routers = routers
        self.user = user
        self.body = body
        self._abandoned = threading.Event()

    def abandon(self) -> None:
        self._abandoned.set()

    def _earlier_questions(self) -> list[str]:
        """The user's earlier questions in this conversation (context for follow-ups), oldest first."""
        if self.body.conversation_id is None:
            return []
        with self.ctx.sessions() as session:
            messages = list_messages(session, self.user, self.body.conversation_id)
        return [m.text for m in messages if m.role == "user"][-HISTORY_QUESTIONS:]

    def run(self, on_token: Callable[[str], None] | None = None) -> ChatResponse:
        """Answer, audit and store; raises YakubaError subclasses the API maps to statuses, or
        ChatAbandoned once `abandon` was called."""

        def token(piece: str) -> None:
            if self._abandoned.is_set():
                raise ChatAbandoned
            if on_token is not None:
                on_token(piece)

        audit = _RequestAudit(self.ctx.audit_sink)
        try:
            if self.body.backend and not may_use_backend(self.ctx.settings, self.user, self.body.backend):
                raise AccessDenied(
                    f"モデル「{self.body.backend}」を利用する権限がありません。"
                    "利用できるモデルはモデル一覧で確認してください。"
                )
            store = self.ctx.stores.get()
            request = AskRequest(
                history=self._earlier_questions(),
                question=self.body.message,
                backend=self.body.backend,
                filters=user_filters(self.user),
                allow_auto=self.body.allow_auto,
                user=self.user.name,
            )
            with self.routers.lease(audit) as router:
                result = _ask_until_abandoned(request, store, router, token)
        except Exception as exc:
            if not audit.recorded and not isinstance(exc, ChatAbandoned):
                self._record_failure(exc)
            raise
        if not audit.recorded:  # answered without calling a model (no relevant source)
            self._record(
                outcome="ok",
                backend=result.backend,
                model_id=result.model_id,
                mode=result.mode,
                reason=NO_MODEL_REASON,
            )
        if self._abandoned.is_set():
            raise ChatAbandoned
        chunks = {c.chunk_id: c for c in store.get([c.chunk_id for c in result.citations])}
        citations = [c.model_dump() for c in result.citations]
        stored = [stored_citation(c, chunks[c["chunk_id"]]) for c in citations if c["chunk_id"] in chunks]
        usage = UsageOut(**result.usage.model_dump())
        with self.ctx.write_sessions.begin() as session:
            conversation_id = self.body.conversation_id or create_conversation(session, self.user).id
            add_message(session, self.user, conversation_id, "user", self.body.message)
            answer = add_message(
                session, self.user, conversation_id, "assistant", result.answer,
                citations=stored, backend=result.backend, model_id=result.model_id, mode=result.mode,
                usage=usage.model_dump(),
            )  # fmt: skip
            message_id = answer.id
        return ChatResponse(
            answer=result.answer,
            citations=[CitationOut(**c) for c in citations],
            backend=result.backend,
            model_id=result.model_id,
            mode=result.mode,
            usage=usage,
            notice=result.notice,
            conversation_id=conversation_id,
            message_id=message_id,
        )

    def _record_failure(self, exc: Exception) -> None:
        refused = isinstance(exc, PolicyRefused | AccessDenied)
        message = exc.message if isinstance(exc, YakubaError) else f"internal error: {type(exc).__name__}"
        self._record(outcome="refused" if refused else "error", backend=self.body.backend, error=message)

    def _record(self, **fields: Any) -> None:
        self.ctx.audit_sink.record(
            {"user": self.user.name, "task": "ask", "requested": self.body.backend, "chunk_ids": [], **fields}
        )
