"""One chat turn on the API: the caller's principal and earlier questions → the `ask` task through the shared
runner → the question and answer stored in the conversation, each with everything the turn was built from.

The turn searches under the question's filters (`chat_filters.py`, kept with the answer) and, in a conversation
with attached files, searches them together with the shared index (`attached_store.py`).

Runs on the API's chat worker threads (the runner and the backends are synchronous). The async route in
`routes/chat.py` waits for it, or streams its tokens as server-sent events. Auditing is the runner's job.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.api import attachments, chat_filters
from assistant.api.access import Reader, principal_of, source_labels, stored_citation, turn_labels, turn_level
from assistant.api.attached_store import AttachedStore
from assistant.api.schemas import ChatRequest, ChatResponse, CitationOut, UsageOut
from assistant.records import add_message, create_conversation, list_messages
from assistant.records.models import Conversation
from assistant.tasks.ask import HISTORY_QUESTIONS, AskInput, AskTask
from assistant.tasks.base import Sources
from core.errors import Cancelled, RecordNotFound
from core.policy import level_of

if TYPE_CHECKING:
    from assistant.api.context import ApiContext
    from assistant.records.models import User
    from assistant.tasks.base import TaskContext

CONVERSATION_NOT_FOUND = "指定された会話は見つかりません。"
HISTORY_WITHHELD = (
    "この会話の以前の質問のうち{n}件は、機密性の高い資料に関わるため、回答したモデルには送信していません"
    "（文脈として用いていません）。"
)


def check_conversation(ctx: ApiContext, user: User, conversation_id: str | None) -> None:
    """A conversation to continue must be the caller's own; anything else is 'not found'."""
    if conversation_id is None:
        return
    with ctx.sessions() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.deleted_at is not None or conversation.user_id != user.id:
            raise RecordNotFound(CONVERSATION_NOT_FOUND)


class TurnAsk(AskTask):
    """The `ask` task for one chat turn. It keeps the sources it gathered (stored with the turn, cited or not),
    and gives the model as history only the earlier questions whose level is within this request's level, the
    level the router routes by (and checks every fallback against): a question asked in a 機密性3 turn never
    reaches a model not allowed level 3. Questions left out are counted for a notice."""

    def __init__(self, history: list[tuple[str, int]], store: Callable[[], object] | None = None):
        self.history = history  # (question, level of its turn), oldest first
        self.store = store  # the shared index with the conversation's attachments; None = the shared index
        self.sources = Sources()
        self.withheld = 0

    def gather(self, inp: AskInput, ctx: TaskContext) -> Sources:
        if self.store is not None:
            ctx = dataclasses.replace(ctx, store=self.store)
        self.sources = super().gather(inp, ctx)
        return self.sources

    def prompts(self, inp: AskInput, sources: Sources) -> tuple[str, str]:
        level = level_of(sources.chunks)
        sent = [question for question, asked_at in self.history if asked_at <= level]
        self.withheld = len(self.history) - len(sent)
        return super().prompts(inp.model_copy(update={"history": sent}), sources)


class ChatJob:
    def __init__(self, ctx: ApiContext, user: User, body: ChatRequest):
        self.ctx = ctx
        self.user = user
        self.body = body
        self.filters = chat_filters.checked(body.filters)  # InvalidInput (422) before anything runs
        self._cancel = threading.Event()

    def abandon(self) -> None:
        """The caller went away or the API stopped waiting: generation stops at the next token."""
        self._cancel.set()

    def _earlier_questions(self) -> list[tuple[str, int]]:
        """The user's earlier questions in this conversation (context for follow-ups), oldest first, with the
        level of their turn; a question whose turn the user may no longer see is left out."""
        if self.body.conversation_id is None:
            return []
        with self.ctx.sessions() as session:
            messages = list_messages(session, self.user, self.body.conversation_id)
        questions = [m for m in messages if m.role == "user"][-HISTORY_QUESTIONS:]
        labels = [label for m in questions for label in turn_labels(m) or []]
        reader = Reader(
            self.user, self.ctx.stores.get_or_none(), [label.get("chunk_id", "") for label in labels]
        )
        return [
            (m.text, turn_level(m))
            for m in questions
            if turn_labels(m) is None or reader.allows(turn_labels(m))
        ]  # a question stored before its turn's sources were kept goes only where the highest level may go

    def _store(self) -> AttachedStore | None:
        """The shared index with this conversation's attachments (None: it has none)."""
        if self.body.conversation_id is None:
            return None
        rows = attachments.attachments_of(self.ctx, self.user, self.body.conversation_id)
        if not rows:
            return None
        return AttachedStore(self.ctx.stores.get_or_none(), attachments.indexes(self.ctx, rows))

    def run(self, on_token: Callable[[str], None] | None = None) -> ChatResponse:
        """Answer and store; raises YakubaError subclasses the API maps to statuses (Cancelled once
        `abandon` was called)."""
        history = self._earlier_questions()
        attached = self._store()
        task = TurnAsk(history, (lambda: attached) if attached is not None else None)
        scope = {"sources": self.filters["sources"]} if self.filters.get("sources") else None
        inp = AskInput(
            question=self.body.message, history=[question for question, _ in history],
            doc_type=self.filters.get("doc_type"), date_from=self.filters.get("date_from"),
            date_to=self.filters.get("date_to"),
        )  # fmt: skip
        result = self.ctx.runner.run(
            task, inp, principal_of(self.user),
            backend=self.body.backend, allow_auto=self.body.allow_auto, on_token=on_token, cancel=self._cancel,
            timeout=self.ctx.settings.chat_timeout_seconds, scope=scope,
        )  # fmt: skip
        if self._cancel.is_set():
            raise Cancelled("処理は取り消されました。")
        chunks = {c.chunk_id: c for c in task.sources.chunks}
        store = attached or self.ctx.stores.get_or_none()
        if store is not None:  # related documents are no sources: their labels come from the index
            chunks.update({c.chunk_id: c for c in store.get([r.chunk_id for r in result.related])})
        # Each citation carries its chunk's labels (機密性, groups), in the response as in the stored message.
        stored = [
            stored_citation(c.model_dump(), chunks[c.chunk_id])
            for c in result.citations
            if c.chunk_id in chunks
        ]
        sources = [source_labels(c) for c in task.sources.chunks]
        notice = result.notice
        if self.filters and not result.citations:  # say what the search was limited to, not just 見当たりません
            found_any = bool(task.sources.chunks or task.sources.extra.get("related"))
            notice = " ".join(filter(None, [chat_filters.nothing_found(self.filters, found_any), notice]))
        if task.withheld and result.mode == "llm":
            notice = " ".join(filter(None, [notice, HISTORY_WITHHELD.format(n=task.withheld)]))
        usage = UsageOut(**result.usage.model_dump())
        stored_filters = {chat_filters.STORED_KEY: self.filters} if self.filters else {}
        with self.ctx.write_sessions.begin() as session:
            conversation_id = self.body.conversation_id or create_conversation(session, self.user).id
            add_message(session, self.user, conversation_id, "user", self.body.message, sources=sources)
            answer = add_message(
                session, self.user, conversation_id, "assistant", result.answer,
                citations=stored, sources=sources, backend=result.backend, model_id=result.model_id,
                mode=result.mode, usage=usage.model_dump() | stored_filters,
            )  # fmt: skip
            message_id = answer.id
            if self._cancel.is_set():  # the caller stopped waiting meanwhile: it was told so, store nothing
                raise Cancelled("処理は取り消されました。")
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
            notice=notice,
            requested_backend=result.requested_backend,
            substitution=result.substitution,
            conversation_id=conversation_id,
            message_id=message_id,
            filters_label=chat_filters.label(self.filters),
        )
