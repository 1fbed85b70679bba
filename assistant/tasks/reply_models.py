"""Types of the inquiry-reply task (照会回答): its input, the typed draft it produces, and the structured output
asked of LLM backends. Shared by the task, the review workflow, batch jobs, exports, the API and the UI.

The draft follows the layout of an official reply (回答文書): 文書番号, 日付, 宛先, 発信者, 件名「…について（回答）」,
本文 (reference to the inquiry), 記 (one numbered answer per question item), 根拠, 要確認事項, 担当.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.tasks.base import TaskOutput

MAX_INQUIRY_CHARS = 20_000  # hard ceiling of the model; the configured limit (`max_question_chars`) is lower


class ReplyInput(BaseModel):
    """One inquiry (照会) to answer. Only 照会内容 is required; the rest improves the draft."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field("", max_length=500, description="件名 of the inquiry.")
    sender: str = Field("", max_length=200, description="照会元: the sending body, e.g. 「東京都総務局」.")
    sender_section: str = Field("", max_length=200, description="照会元の課: the sending section.")
    asked_on: date | None = Field(None, description="照会日.")
    reference: str = Field("", max_length=200, description="照会番号 (文書番号 of the inquiry).")
    content: str = Field(
        min_length=1, max_length=MAX_INQUIRY_CHARS, description="照会内容: the questions, possibly numbered."
    )
    due_on: date | None = Field(None, description="回答期限.")
    section: str = Field("", max_length=200, description="所管課, when already known (else suggested).")
    k: int = Field(8, ge=1, le=30, description="Sources retrieved per question item.")
    doc_type: Literal["policy", "inquiry"] | None = Field(
        None, description="Restrict sources to one kind (None = policy documents and past answers)."
    )


class QuestionItem(BaseModel):
    """One question of an inquiry (1., (1), ①, 問1 …); an inquiry without numbering is one item."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(description="The item's label as written (「1」「(1)」「①」「問1」) or 「1」.")
    text: str = Field(description="The question text of this item.")


class ReplySource(BaseModel):
    """A cited source of a draft: a policy passage (with article/section) or a past answer (with its date,
    照会元 and section)."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(description="Marker number used in the draft (`[n]`).")
    chunk_id: str
    kind: Literal["policy", "past_answer"] = Field(description="policy = a document; past_answer = a record.")
    title: str
    source: str = Field(description="Path of the source file.")
    location: str = Field(description="Place in the document in Japanese (page, article, section …).")
    quote: str = Field(description="The cited text.")
    date: str | None = Field(None, description="Date of the document or of the past answer (ISO).")
    sender: str | None = Field(None, description="照会元 of a past answer.")
    section: str | None = Field(None, description="Section (所管課) that gave a past answer.")
    classification: int = Field(1, description="機密性 of the source (1..3).")
    groups: list[str] = Field(default_factory=list, description="Access groups of the source (empty = all).")


class AnswerItem(BaseModel):
    """One numbered answer under 記."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(description="Label of the question item it answers.")
    question: str = Field(description="The question item.")
    answer: str = Field(description="The answer in 公用文, with `[n]` markers; empty when 要確認.")
    status: Literal["回答", "要確認"] = Field(
        description="回答 = supported by the cited sources; 要確認 = no supporting source was found."
    )
    sources: list[int] = Field(default_factory=list, description="Numbers n of the sources this item cites.")
    note: str = Field("", description="Why the item needs checking, or what part is still open.")


class SimilarInquiry(BaseModel):
    """A past inquiry similar to this one, shown beside the draft."""

    model_config = ConfigDict(extra="forbid")

    chunk_id: str
    subject: str
    question: str
    answer: str
    sender: str | None = None
    section: str | None = None
    asked_on: str | None = Field(None, description="照会日 (ISO).")
    answered_on: str | None = Field(None, description="回答日 (ISO).")
    score: float = Field(description="Retrieval score (higher = more similar).")
    classification: int = 1
    groups: list[str] = Field(default_factory=list, description="Access groups of the record (empty = all).")
    source: str = ""


class SectionSuggestion(BaseModel):
    """A suggested 所管課 with a confidence (share of similarity mass among the similar past inquiries)."""

    model_config = ConfigDict(extra="forbid")

    section: str
    confidence: float = Field(ge=0.0, le=1.0)


class ReplyDraft(TaskOutput):
    """The typed draft of a reply (回答案), the same type from the LLM path and the offline path."""

    document_number: str = Field(description="文書番号 (a placeholder until the reply is sent).")
    date: str = Field(description="日付 in 和暦, e.g. 令和7年4月1日.")
    addressee: str = Field(description="宛先: 照会元 with the honorific (e.g. 「東京都総務局長　様」).")
    sender: str = Field(description="発信者: our body and section.")
    subject: str = Field(description="件名 「…について（回答）」.")
    opening: str = Field(description="本文: the reference to the inquiry.")
    items: list[AnswerItem] = Field(default_factory=list, description="記: one answer per question item.")
    answer: str = Field("", description="記 as plain text: the numbered answers (for lists and scoring).")
    sources: list[ReplySource] = Field(default_factory=list, description="根拠, ordered by n.")
    open_points: list[str] = Field(
        default_factory=list, description="要確認事項: what no source supports, stated as such."
    )
    contact: str = Field(description="担当 line.")
    classification: int = Field(1, description="機密性 of the draft: the highest among the cited sources.")
    section_suggestions: list[SectionSuggestion] = Field(
        default_factory=list, description="Suggested 所管課, most likely first."
    )
    similar: list[SimilarInquiry] = Field(
        default_factory=list, description="The most similar past inquiries with their answers."
    )
    inquiry: ReplyInput | None = Field(None, description="The inquiry this draft answers.")


class LLMAnswerItem(BaseModel):
    """What an LLM returns for one question item (structured output)."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(description="The label of the question item, exactly as given.")
    in_sources: bool = Field(
        description="true only if the sources answer this item; false = 資料に記載なし (the item needs checking)."
    )
    answer: str = Field(
        description="The answer in 公用文 (である調), each claim followed by its source marker such as [1]; "
        "empty when in_sources is false."
    )
    missing: str = Field("", description="What the sources do not say, when anything is missing.")


class LLMReply(BaseModel):
    """Structured output asked of LLM backends for a reply draft."""

    model_config = ConfigDict(extra="forbid")

    items: list[LLMAnswerItem] = Field(description="One entry per question item, in order.")
