"""One chat turn on the API: the caller's principal and earlier questions → the `ask` task through the shared
runner → the question and answer stored in the conversation.

Runs on the API's chat worker threads (the runner and the backends are synchronous). The async route in
`routes/chat.py` waits for it, or streams its tokens as server-sent events. Auditing is the runner's job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.api.access import principal_of, stored_citation
from assistant.api.schemas import ChatRequest, ChatResponse, CitationOut, UsageOut
from assistant.records import add_message, create_conversation, list_messages
from assistant.records.models import Conversation
from assistant.tasks.ask import ASK, HISTORY_QUESTIONS, AskInput
from core.errors import Cancelled, RecordNotFound

if TYPE_CHECKING:
    from assistant.api.context import ApiContext
    from assistant.records.models import User

CONVERSATION_NOT_FOUND = "指定された会話は見つかりません。"


def check_conversation(ctx: ApiContext, user: User, conversation_id: str | None) -> None:
    """A conversation to continue must be the caller's own; anything else is 'not found'."""
    if conversation_id is None:
        return
    with ctx.sessions() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.user_id != user.id:
            raise RecordNotFound(CONVERSATION_NOT_FOUND)


class ChatJob:
    def __init__(self, ctx: ApiContext, user: User, body: ChatRequest):
        self.ctx = ctx
        self.user = user
        self.body = body
        self._cancel = threading.Event()

    def abandon(self) -> None:
        """The caller went away or the API stopped waiting: generation stops at the next token."""
        self._cancel.set()

    def _earlier_questions(self) -> list[str]:
        """The user's earlier questions in this conversation (context for follow-ups), oldest first."""
        if self.body.conversation_id is None:
            return []
        with self.ctx.sessions() as session:
            messages = list_messages(session, self.user, self.body.conversation_id)
        return [m.text for m in messages if m.role == "user"][-HISTORY_QUESTIONS:]

    def run(self, on_token: Callable[[str], None] | None = None) -> ChatResponse:
        """Answer and store; raises YakubaError subclasses the API maps to statuses (Cancelled once
        `abandon` was called)."""
        inp = AskInput(question=self.body.message, history=self._earlier_questions())
        result = self.ctx.runner.run(
            ASK, inp, principal_of(self.user),
            backend=self.body.backend, allow_auto=self.body.allow_auto, on_token=on_token, cancel=self._cancel,
            timeout=self.ctx.settings.chat_timeout_seconds,
        )  # fmt: skip
        if self._cancel.is_set():
            raise Cancelled("処理は取り消されました。")
        store = self.ctx.stores.get_or_none()
        wanted = [c.chunk_id for c in [*result.citations, *result.related]]
        chunks = {c.chunk_id: c for c in store.get(wanted)} if store else {}
        # Each citation carries its chunk's labels (機密性, groups), in the response as in the stored message;
        # a chunk gone from the index since retrieval cannot be labelled, so it is listed in neither.
        stored = [
            stored_citation(c.model_dump(), chunks[c.chunk_id])
            for c in result.citations
            if c.chunk_id in chunks
        ]
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
            citations=[CitationOut(**c) for c in stored],
            related=[
                CitationOut(**stored_citation(r.model_dump(), chunks[r.chunk_id]))
                for r in result.related
                if r.chunk_id in chunks
            ],
            backend=result.backend,
            model_id=result.model_id,
            mode=result.mode,
            usage=usage,
            notice=result.notice,
            requested_backend=result.requested_backend,
            substitution=result.substitution,
            conversation_id=conversation_id,
            message_id=message_id,
        )
