"""The `choice` task: a multiple-choice question (lawqa_jp's 4 choices a–d) answered from the indexed documents.

Sources: retrieval with the question and all option texts under the caller's filters plus the run's scope (no
relevance gate: a multiple-choice question is always answered, the options themselves carry the topic).
LLM path: a structured object {choice, reason, sources}; a letter outside a–d fails validation and the router
re-asks once. Offline path (no model, a real baseline): each option is scored by how much of what sets it apart
from the other options is written in the best single retrieved chunk — the IDF-weighted share of its content
words and adjacent word pairs (pairs keep 「第5条第1項」 apart from 「第1条第5項」) found there, leaving out what
every option shares. A question asking for the wrong statement (「誤っているものはどれか」, 「正しくないもの」,
「該当しないもの」 …) takes the least supported option instead of the best supported one. Ties never give None:
the first best option is taken and the reason says the evidence is weak.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.citations import Citation, resolve
from assistant.prompts import load_prompt, neutralise, render_sources
from assistant.tasks.ask import _QUESTION_WORDS
from assistant.tasks.base import Sources, Task, TaskContext, TaskOutput

if TYPE_CHECKING:
    from assistant.backends.base import Reply
    from assistant.router import ModelResult
    from core.model import Chunk

LETTERS = ("a", "b", "c", "d")
Letter = Literal["a", "b", "c", "d"]

NO_SOURCES = "選択肢を判断する根拠となる資料が見つからなかったため、回答を選べませんでした。"
# A question asking for the statement that is NOT right: the answer is the option the sources support least.
NEGATIVE = re.compile(
    r"(誤って(?:い|お)る|誤りの?|正しくない|適切でない|適切ではない|不適切な|妥当でない|該当しない|含まれない|当たらない)"
)
# Best and runner-up closer than this (share of distinctive words) → the reason says the evidence is weak.
LOW_MARGIN = 0.05


class ChoiceInput(BaseModel):
    """A multiple-choice question over the indexed documents."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=4000, description="The question, in Japanese.")
    options: dict[str, str] = Field(
        description="Option letter (a–d) → option text; at least two options.", min_length=2, max_length=4
    )
    k: int = Field(5, ge=1, le=20, description="Number of chunks retrieved as sources.")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("question is blank")
        return value

    @field_validator("options")
    @classmethod
    def _letters(cls, value: dict[str, str]) -> dict[str, str]:
        options = {key.strip().lower(): text.strip() for key, text in value.items()}
        if len(options) != len(value) or not set(options) <= set(LETTERS):
            raise ValueError(f"option keys must be distinct letters among {', '.join(LETTERS)}")
        if not all(options.values()):
            raise ValueError("an option text is blank")
        return dict(sorted(options.items()))


class ChoiceOutput(TaskOutput):
    """The chosen option, why, and the sources it rests on."""

    choice: Letter | None = Field(
        None, description="Letter of the chosen option; None when it cannot decide."
    )
    reason: str = Field("", description="Why (Japanese), with `[n]` markers that refer to `citations`.")
    citations: list[Citation] = Field(default_factory=list, description="Cited sources, ordered by n.")
    scores: dict[str, float] = Field(
        default_factory=dict, description="Offline path only: support of each option in the sources (0–1)."
    )


class ChoiceAnswer(BaseModel):
    """What an LLM backend returns (validated; an invalid letter is re-asked once by the router)."""

    model_config = ConfigDict(extra="forbid")

    choice: Letter = Field(description="正解と判断した選択肢の記号（a, b, c, d のいずれか）。")
    reason: str = Field(description="その選択肢を選んだ理由。根拠とした資料の番号を [1] のように示す。")
    sources: list[int] = Field(description="根拠とした資料（source ブロック）の id の一覧。")


def asks_for_wrong(question: str) -> bool:
    """True when the question asks for the incorrect / non-applicable option (「誤っているもの」 …)."""
    return bool(NEGATIVE.search(question))


def _query(inp: ChoiceInput) -> str:
    return "\n".join([inp.question, *inp.options.values()])


def _render_options(options: dict[str, str]) -> str:
    return "\n".join(f"{letter}: {neutralise(' '.join(text.split()))}" for letter, text in options.items())


# --------------------------------------------------------------------------- offline scoring


@dataclass
class Support:
    """How well the sources support each option."""

    scores: dict[str, float]  # letter → IDF-weighted share of its distinctive features in the best chunk
    best_chunk: dict[str, int]  # letter → index of that chunk among the sources


def _features(tokens: list[str]) -> set[str]:
    """Content words and adjacent word pairs (pairs keep the order of numbers and names)."""
    words = [t for t in tokens if t not in _QUESTION_WORDS]
    return set(words) | {f"{a}\x00{b}" for a, b in zip(words, words[1:], strict=False)}


def score_options(options: dict[str, str], chunks: list[Chunk]) -> Support:
    """Score each option against each chunk; an option's score is that of its best chunk."""
    from assistant.quote_units import chunk_units
    from assistant.retrieval.tokenizer import get_tokenizer

    tokenizer = get_tokenizer()
    own = {letter: _features(tokenizer.tokenize(text)) for letter, text in options.items()}
    shared = set.intersection(*own.values()) if own else set()
    distinct = {letter: (features - shared) or features for letter, features in own.items()}
    chunk_features = [_features(tokenizer.tokenize(c.text)) for c in chunks]
    # IDF over the sentences of the sources: a word written everywhere says little, one written nowhere a lot
    units = [_features(tokenizer.tokenize(u)) for c in chunks for u in chunk_units(c.text)] or chunk_features
    df: dict[str, int] = {}
    for features in units:
        for f in features:
            df[f] = df.get(f, 0) + 1
    n = len(units)

    def idf(feature: str) -> float:
        return math.log(1 + (n + 1) / (df.get(feature, 0) + 0.5))

    scores: dict[str, float] = {}
    best_chunk: dict[str, int] = {}
    for letter, features in distinct.items():
        total = sum(idf(f) for f in features)
        per_chunk = [
            sum(idf(f) for f in features & cf) / total if total else 0.0 for cf in chunk_features
        ] or [0.0]
        best = max(range(len(per_chunk)), key=per_chunk.__getitem__)
        scores[letter], best_chunk[letter] = round(per_chunk[best], 4), best
    return Support(scores, best_chunk)


def _best_sentence(option: str, chunk: Chunk) -> str | None:
    """The sentence of `chunk` sharing most of the option's words (quoted as the evidence)."""
    from assistant.quote_units import chunk_units
    from assistant.retrieval.tokenizer import get_tokenizer

    tokenizer = get_tokenizer()
    words = set(tokenizer.tokenize(option)) - _QUESTION_WORDS
    best, best_score = None, 0
    for unit in chunk_units(chunk.text):
        score = len(words & set(tokenizer.tokenize(unit)))
        if score > best_score:
            best, best_score = unit, score
    return best


def decide(question: str, options: dict[str, str], chunks: list[Chunk]) -> tuple[str, Support, bool]:
    """(chosen letter, support, low confidence): the best supported option, or the least supported one when
    the question asks for the wrong statement. Ties go to the first letter."""
    support = score_options(options, chunks)
    scores = support.scores
    negative = asks_for_wrong(question)
    ranked = sorted(scores, key=lambda letter: (scores[letter] if negative else -scores[letter], letter))
    margin = abs(scores[ranked[0]] - scores[ranked[1]]) if len(ranked) > 1 else 1.0
    return ranked[0], support, margin < LOW_MARGIN


class ChoiceTask(Task[ChoiceInput, ChoiceOutput]):
    name = "choice"
    version = 1
    input_model: ClassVar[type[BaseModel]] = ChoiceInput
    output_model: ClassVar[type[TaskOutput]] = ChoiceOutput
    schema: ClassVar[type[BaseModel] | None] = ChoiceAnswer

    def gather(self, inp: ChoiceInput, ctx: TaskContext) -> Sources:
        filters = ctx.principal.filters(**ctx.scope)
        hits = ctx.store().search(_query(inp), k=inp.k, filters=filters)
        return Sources(chunks=[h.chunk for h in hits])

    def without_model(self, inp: ChoiceInput, sources: Sources) -> ChoiceOutput | None:
        return None if sources.chunks else ChoiceOutput(choice=None, reason=NO_SOURCES)

    def prompts(self, inp: ChoiceInput, sources: Sources) -> tuple[str, str]:
        system = load_prompt("choice_system").render()
        prompt = load_prompt("choice_user").render(
            question=neutralise(inp.question),
            options=_render_options(inp.options),
            sources=render_sources(sources.chunks),
        )
        return system, prompt

    def offline(self, inp: ChoiceInput, sources: Sources) -> Reply:
        from assistant.backends.base import Reply

        letter, support, weak = decide(inp.question, inp.options, sources.chunks)
        n = support.best_chunk[letter] + 1
        chunk = sources.chunks[n - 1]
        sentence = _best_sentence(inp.options[letter], chunk)
        listing = "、".join(f"{k} {v:.2f}" for k, v in support.scores.items())
        if asks_for_wrong(inp.question):
            why = f"誤っているもの（該当しないもの）を問う設問のため、資料の記載との一致が最も少ない選択肢 {letter} を選びました"
        else:
            why = f"資料の記載と最もよく一致する選択肢 {letter} を選びました"
        reason = f"{why}（各選択肢に固有の語が資料[{n}]に現れる割合: {listing}）。"
        if weak:
            reason += "ただし、選択肢間の差がわずかなため、確度は低いです。"
        lines = [f"選択肢 {letter}：{inp.options[letter]}", reason]
        if sentence:
            lines += ["関連する資料の記述:", f"・{sentence}[{n}]"]
        text = "\n".join(lines)
        _, citations = resolve(text, sources.chunks, extractive=True)
        output = ChoiceOutput(choice=letter, reason=reason, citations=citations, scores=support.scores)
        return Reply(text=text, data=output)

    def from_model(self, inp: ChoiceInput, sources: Sources, result: ModelResult) -> ChoiceOutput:
        data: ChoiceAnswer = result.data
        reason, _ = resolve(data.reason, sources.chunks)
        markers = "".join(f"[{n}]" for n in data.sources)
        _, citations = resolve(f"{data.reason}{markers}", sources.chunks)
        choice = (
            data.choice if data.choice in inp.options else None
        )  # a letter beyond a 2- or 3-option question
        return ChoiceOutput(choice=choice, reason=reason, citations=citations)


CHOICE = ChoiceTask()
