"""The `reply` task (照会回答): a draft reply to an inquiry from another body, in the official layout.

Sources (all under the caller's access filters and the run's scope, applied inside the store before the top-k
cut): the inquiry's 照会内容 is split into question items (`assistant.inquiry.parse.split_items`); triage searches
past inquiry records for the 5 most similar and suggests the 所管課 (`assistant.inquiry.triage`); each item is
searched on its own (件名 + preamble + item), kept through the ask task's relevance gate and answerability
decision (`assistant.answerability`), at most PER_ITEM chunks per item. The sources are the union, numbered in
item order.

Offline path: each item quotes the sentences `assistant.extractive.extract` picks from its own sources; an item
with none is 要確認. LLM path: structured output `LLMReply`; an item the model marks in_sources=false, leaves
out, or answers without a valid `[n]` marker is 要確認. No item has a source → the all-要確認 draft without a
model call. Both paths produce the same `ReplyDraft`; its 機密性 is the highest among the cited sources.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from assistant.inquiry import compose
from assistant.inquiry.parse import split_items
from assistant.prompts import load_prompt, neutralise, render_sources
from assistant.tasks.base import Sources, Task, TaskContext, TaskOutput
from assistant.tasks.reply_models import AnswerItem, LLMReply, QuestionItem, ReplyDraft, ReplyInput

if TYPE_CHECKING:
    from assistant.backends.base import Reply
    from assistant.retrieval.base import Hit, Store
    from assistant.router import ModelResult
    from core.model import Chunk

PER_ITEM = 4  # sources kept per question item
MIN_TERMS = 2  # an item with fewer content words is judged together with the 件名 and the preamble
MISSING_IN_OUTPUT = "モデルの出力にこの照会事項への回答が含まれていませんでした。所管課で確認してください。"
NO_MARKER = "モデルの回答に出典が示されていないため、採用していません。所管課で確認してください。"


def _key_terms(text: str) -> list[str]:
    from assistant.answerability import key_terms
    from assistant.retrieval.tokenizer import get_tokenizer

    return key_terms(get_tokenizer().tokenize(text))


def item_query(inp: ReplyInput, preamble: str, item: QuestionItem) -> str:
    """What an item is searched with: its 件名, the preamble of the questions and the item itself."""
    return "\n".join(part for part in (inp.subject, preamble, item.text) if part.strip())


def supporting_hits(item: QuestionItem, query: str, hits: list[Hit], store: Store) -> list[Hit]:
    """The item's hits when one passage answers it (gate + answerability decision), else []. An item too short
    to judge alone (「その他」) is judged with its query (件名 and preamble)."""
    from assistant.tasks.ask import answering_hits, relevant_hits

    question = item.text if len(_key_terms(item.text)) >= MIN_TERMS else query
    return answering_hits(question, relevant_hits(question, hits), store)[:PER_ITEM]


def lead_passage(hits: list[Hit]) -> int | None:
    """Index of the best-ranked hit that answers the item on its own (answerability coverage and focus), or None."""
    from assistant.answerability import MIN_COVERAGE, MIN_FOCUS

    return next(
        (
            i
            for i, h in enumerate(hits)
            if h.extra.get("coverage", 0) >= MIN_COVERAGE and h.extra.get("focus", 0) >= MIN_FOCUS
        ),
        None,
    )


def _items(inp: ReplyInput) -> tuple[str, list[QuestionItem]]:
    preamble, items = split_items(inp.content)
    return preamble, items or [QuestionItem(number="1", text=inp.content.strip())]


def _label(number: str) -> str:
    return "".join(unicodedata.normalize("NFKC", number).split())


def render_inquiry(inp: ReplyInput) -> str:
    fields = [("件名", inp.subject), ("照会元", f"{inp.sender}{inp.sender_section}")]
    return "\n".join(
        f"{name}：{neutralise(' '.join(value.split()))}" for name, value in fields if value.strip()
    )


def render_items(items: list[QuestionItem], preamble: str) -> str:
    lines = [f"<preamble>{neutralise(' '.join(preamble.split()))}</preamble>"] if preamble else []
    for item in items:
        attr = neutralise(item.number).replace('"', "”")
        lines.append(f'<item number="{attr}">\n{neutralise(item.text)}\n</item>')
    return "\n".join(lines)


class ReplyTask(Task[ReplyInput, ReplyDraft]):
    name = "reply"
    version = 1
    input_model: ClassVar[type[BaseModel]] = ReplyInput
    output_model: ClassVar[type[TaskOutput]] = ReplyDraft
    schema: ClassVar[type[BaseModel] | None] = LLMReply

    def gather(self, inp: ReplyInput, ctx: TaskContext) -> Sources:
        from assistant.inquiry.triage import triage

        store = ctx.store()
        filters = ctx.principal.filters(**ctx.scope)
        preamble, items = _items(inp)
        similar, suggestions = triage(store, "\n".join(p for p in (inp.subject, inp.content) if p), filters)
        scoped = replace(filters, doc_type=inp.doc_type)
        chunks: list[Chunk] = []
        numbers: dict[str, int] = {}
        per_item: list[list[int]] = []
        leads: list[int | None] = []
        queries: list[str] = []
        for item in items:
            query = item_query(inp, preamble, item)
            hits = supporting_hits(item, query, store.search(query, k=inp.k, filters=scoped), store)
            mine = []
            for hit in hits:
                if hit.chunk.chunk_id not in numbers:
                    chunks.append(hit.chunk)
                    numbers[hit.chunk.chunk_id] = len(chunks)
                mine.append(numbers[hit.chunk.chunk_id])
            per_item.append(mine)
            leads.append(lead_passage(hits))
            queries.append(query)
        extra: dict[str, Any] = {
            "items": items, "preamble": preamble, "per_item": per_item, "leads": leads, "queries": queries,
            "similar": similar, "suggestions": suggestions, "frame": compose.frame(inp, ctx.settings),
        }  # fmt: skip
        return Sources(chunks=chunks, extra=extra)

    def _draft(
        self, inp: ReplyInput, sources: Sources, items: list[AnswerItem], quotes: dict[int, list[str]]
    ) -> ReplyDraft:
        extra = sources.extra
        return compose.assemble(
            inp, extra["frame"], items, sources.chunks, quotes,
            section_suggestions=extra["suggestions"], similar=extra["similar"],
        )  # fmt: skip

    def without_model(self, inp: ReplyInput, sources: Sources) -> ReplyDraft | None:
        if sources.chunks:
            return None
        items = [compose.offline_item(item, "", [], [])[0] for item in sources.extra["items"]]
        return self._draft(inp, sources, items, {})

    def prompts(self, inp: ReplyInput, sources: Sources) -> tuple[str, str]:
        system = load_prompt("reply_system").render()
        prompt = load_prompt("reply_user").render(
            inquiry=render_inquiry(inp),
            items=render_items(sources.extra["items"], sources.extra["preamble"]),
            sources=render_sources(sources.chunks),
        )
        return system, prompt

    def offline(self, inp: ReplyInput, sources: Sources) -> Reply:
        from assistant.backends.base import Reply

        extra = sources.extra
        answers: list[AnswerItem] = []
        quotes: dict[int, list[str]] = {}
        rows = zip(extra["items"], extra["per_item"], extra["leads"], extra["queries"], strict=True)
        for item, mine, lead, query in rows:
            chunks = [sources.chunks[n - 1] for n in mine]
            answer, quoted = compose.offline_item(item, query, chunks, mine, lead)
            answers.append(answer)
            for n, texts in quoted.items():
                quotes.setdefault(n, []).extend(t for t in texts if t not in quotes.get(n, []))
        draft = self._draft(inp, sources, answers, quotes)
        return Reply(text=compose.render_letter(draft), data=draft)

    def from_model(self, inp: ReplyInput, sources: Sources, result: ModelResult) -> ReplyDraft:
        from assistant.citations import resolve

        data: LLMReply = result.data
        given = {_label(entry.number): entry for entry in data.items}
        answers: list[AnswerItem] = []
        for item in sources.extra["items"]:
            entry = given.get(_label(item.number))
            if entry is None:
                answers.append(_unsupported(item, MISSING_IN_OUTPUT))
                continue
            if not entry.in_sources or not entry.answer.strip():
                answers.append(_unsupported(item, entry.missing.strip() or compose.UNSUPPORTED))
                continue
            text, citations = resolve(entry.answer.strip(), sources.chunks)
            if not citations:
                answers.append(_unsupported(item, NO_MARKER))
                continue
            answers.append(
                AnswerItem(
                    number=item.number,
                    question=item.text,
                    answer=text,
                    status="回答",
                    sources=[c.n for c in citations],
                    note=entry.missing.strip(),
                )  # fmt: skip
            )
        return self._draft(inp, sources, answers, {})


def _unsupported(item: QuestionItem, note: str) -> AnswerItem:
    return AnswerItem(number=item.number, question=item.text, answer="", status="要確認", note=note)


REPLY = ReplyTask()
