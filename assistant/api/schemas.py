"""Request and response models of the HTTP API (kept apart from the storage models).

Every model forbids unknown fields, so a misspelt field is a 422, not silently ignored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# What the records database holds: ids are `Integer` columns (32-bit on PostgreSQL), and OFFSET takes a
# 64-bit integer on SQLite and PostgreSQL. A number past these is a 422, never an overflow in the driver.
ROW_ID_MAX = 2**31 - 1
OFFSET_MAX = 2**63 - 1
RowId = Annotated[int, Field(ge=1, le=ROW_ID_MAX, description="Id of a stored record.")]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors ---------------------------------------------------------------------------------


class ErrorDetail(ApiModel):
    loc: list[str | int] = Field(description='Where the problem is, e.g. ["body", "message"].')
    msg: str = Field(
        description="What is wrong (English, from the validator; for developers — `message` of the "
        "ErrorBody says it in Japanese)."
    )
    type: str = Field(description="Machine-readable kind of problem.")


# Every `error` code the API sends (`assistant/api/errors.py` maps exceptions and statuses to them). Stable: a client
# may branch on the code; the Japanese `message` beside it is for people and may be reworded.
ErrorCode = Literal[
    "bad_request",  # 400: malformed request
    "unknown_backend",  # 400: no backend with that address
    "unauthorized",  # 401: missing or invalid API key
    "forbidden",  # 403: insufficient rights
    "policy_refused",  # 403: the classification policy refuses the chosen model
    "not_found",  # 404: no such record or URL (also another user's record)
    "method_not_allowed",  # 405
    "conflict",  # 409: the record changed or was decided meanwhile
    "payload_too_large",  # 413
    "unsupported_media_type",  # 415
    "validation_error",  # 422: a request field is missing or out of range (`details` say which)
    "corrupt_file",  # 422: an upload that cannot be read
    "column_mapping",  # 422: a table whose columns cannot be mapped
    "invalid_record",  # 422: a record with missing or inconsistent fields
    "ingest_failed",  # 422: no uploaded file could be ingested
    "unprocessable",  # 422: invalid access labels
    "rate_limited",  # 429: see Retry-After
    "http_error",  # any other 4xx raised by the web framework
    "internal_error",  # 500: logged on the server; the message says nothing of its insides
    "invalid_model_output",  # 502: the model's structured output did not match, even after a retry
    "index_not_found",  # 503: nothing ingested yet
    "index_unreachable",  # 503: the index database (YAKUBA_INDEX_URL) cannot be reached
    "index_mismatch",  # 503: the index was built with another embedder
    "backend_unavailable",  # 503: no model could answer
    "cancelled",  # 503: the work was cancelled
    "timeout",  # 504: the model did not answer in time
]


class ErrorBody(ApiModel):
    """Every error response has this shape."""

    error: ErrorCode = Field(
        description="Stable machine-readable error code (English), e.g. `not_found`, `rate_limited`, "
        "`validation_error`; the list is this schema's enum."
    )
    message: str = Field(description="What went wrong and what to do, in Japanese (shown to users).")
    details: list[ErrorDetail] | None = Field(None, description="Field errors of a 422 validation error.")


# --- account --------------------------------------------------------------------------------


class AccountOut(ApiModel):
    name: str
    groups: list[str] = Field(description="Access groups: documents labelled with one of them are visible.")
    clearance: int = Field(description="Highest 機密性 level the caller may see (1..3).")
    is_admin: bool
    can_upload: bool = Field(description="May add documents with POST /documents.")


# --- chat -----------------------------------------------------------------------------------


class ChatFiltersIn(ApiModel):
    """Where a chat question is searched (checked by the chat route, which answers a 422 in Japanese)."""

    doc_type: str | None = Field(None, description="Only `policy` documents or `inquiry` records.")
    date_from: str | None = Field(None, description="Only sources dated on or after this day (YYYY-MM-DD).")
    date_to: str | None = Field(None, description="Only sources dated on or before this day (YYYY-MM-DD).")
    sources: list[str] = Field(
        default_factory=list,
        description="Search only these files (`source` from GET /documents) or folders (ending in `/`); "
        "empty = every document the caller may see.",
    )


class ChatRequest(ApiModel):
    message: str = Field(
        min_length=1,
        description="The question, in Japanese; at most `max_question_chars` characters (setting, default 8,000).",
    )
    conversation_id: str | None = Field(
        None, description="Continue this conversation (one of the caller's own); None starts a new one."
    )
    backend: str | None = Field(
        None, description="Backend address (see GET /models); None = the configured default."
    )
    stream: bool = Field(False, description="Answer as server-sent events instead of one JSON body.")
    allow_auto: bool = Field(
        False, description="Let the router switch to an allowed backend when policy refuses the choice."
    )
    filters: ChatFiltersIn | None = Field(
        None, description="Search only documents of this type, period, files or folders (stored with the turn)."
    )

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message is blank")
        return value.strip()


class CitationOut(ApiModel):
    n: int = Field(description="Marker number used in the answer (`[n]`).")
    chunk_id: str = Field(description="Id of the cited chunk.")
    title: str = Field(description="Title of the source document.")
    source: str = Field(description="Path of the source file.")
    location: str = Field(description="Place in the document in Japanese (page, article, section …).")
    quote: str = Field(description="The cited text.")
    classification: int = Field(description="機密性 level of the cited chunk (1..3).")
    groups: list[str] = Field(
        default_factory=list, description="Access groups of the cited chunk; empty = open to every user."
    )


def highest_classification(citations: list[CitationOut]) -> int | None:
    """The 機密性 an answer carries: the highest level among the sources it cites (None: it cites none)."""
    return max((c.classification for c in citations), default=None)


class UsageOut(ApiModel):
    input_tokens: int = Field(0, description="Tokens sent to the model.")
    output_tokens: int = Field(0, description="Tokens generated by the model.")
    cost: float | None = Field(0.0, description="Cost in USD; None when the backend's price is unknown.")


class ChatResponse(ApiModel):
    answer: str = Field(description="Answer text with `[n]` markers that refer to `citations`.")
    citations: list[CitationOut] = Field(description="Cited sources, ordered by n.")
    related: list[CitationOut] = Field(
        default_factory=list,
        description="関連する可能性のある資料: with a 「見当たりません」 answer, the nearest documents the reader may "
        "see (quote empty). Not cited and not evidence for the answer.",
    )
    classification: int | None = Field(
        None,
        description="機密性 of the answer: the highest level among its citations (None when it cites nothing). "
        "Show it with the answer and keep it with any copy.",
    )
    backend: str = Field(description="Address of the backend that produced the answer.")
    model_id: str = Field(description="Model ID or inference profile used.")
    mode: Literal["llm", "extractive"] = Field(description="llm = generated; extractive = quoted.")
    usage: UsageOut = Field(description="Tokens and cost of this answer.")
    notice: str | None = Field(None, description="A note shown with the answer (Japanese).")
    requested_backend: str | None = Field(
        None, description="The backend chosen first, when another one answered (re-routing or fallback)."
    )
    substitution: str | None = Field(
        None, description="Why another backend answered (Japanese); shown with the answer. None = as chosen."
    )
    conversation_id: str = Field(description="The conversation the question and answer were stored in.")
    message_id: int = Field(description="Id of the stored answer (for POST /feedback).")
    filters_label: str | None = Field(
        None, description="The filters the question was searched with, in Japanese (None: no filters)."
    )

    @model_validator(mode="after")
    def _label(self) -> ChatResponse:
        self.classification = highest_classification(self.citations)  # always derived: never out of step
        return self


# --- conversations --------------------------------------------------------------------------


class ConversationSummary(ApiModel):
    id: str
    title: str = Field(description="The name the owner gave it, else the first question, shortened.")
    created_at: datetime
    updated_at: datetime


class MessageOut(ApiModel):
    id: int
    role: Literal["user", "assistant"]
    text: str = Field(
        description="The question or answer (an answer based on sources the reader may "
        "no longer see is replaced by a notice)."
    )
    citations: list[CitationOut] = Field(description="Sources the reader may still see.")
    classification: int | None = Field(
        None, description="機密性 of an answer: the highest level among its citations (None: none cited)."
    )
    level: int | None = Field(
        None,
        description="機密性 of the turn: the highest level among every source the answer was built from, cited "
        "or not (1: none); a question carries its turn's level. None for messages stored before sources were "
        "kept, and for a withheld message.",
    )
    backend: str | None = None
    model_id: str | None = None
    mode: str | None = None
    usage: UsageOut | None = None
    created_at: datetime

    @model_validator(mode="after")
    def _label(self) -> MessageOut:
        self.classification = highest_classification(self.citations)  # always derived: never out of step
        return self


class ConversationDetail(ConversationSummary):
    messages: list[MessageOut]


# --- search ---------------------------------------------------------------------------------


class SearchFiltersIn(ApiModel):
    doc_type: Literal["policy", "inquiry"] | None = Field(None, description="Only this kind of document.")
    date_from: date | None = Field(None, description="Only chunks dated on or after this day.")
    date_to: date | None = Field(None, description="Only chunks dated on or before this day.")


class SearchRequest(ApiModel):
    query: str = Field(min_length=1, max_length=1000, description="What to look for.")
    k: int = Field(5, ge=1, le=50, description="How many results.")
    filters: SearchFiltersIn | None = None


class SearchHitOut(ApiModel):
    chunk_id: str
    title: str
    source: str
    location: str = Field(description="Place in the document in Japanese.")
    doc_type: str
    classification: int = Field(description="機密性 level of the chunk (1..3).")
    date: str | None = None
    text: str
    score: float


class SearchResponse(ApiModel):
    hits: list[SearchHitOut]


# --- documents ------------------------------------------------------------------------------


class DocumentOut(ApiModel):
    source: str = Field(description="Path of the source file in the index (an id: not shown to users).")
    title: str = Field(description="The document's title; a records file: its file name and record count.")
    file_name: str = Field("", description="File name without folders.")
    doc_type: str
    classification: int = Field(description="Highest 機密性 level among its chunks.")
    groups: list[str] = Field(default_factory=list, description="Access groups; empty = every user.")
    chunks: int = Field(description="Chunks of this file the caller may see.")
    records: int | None = Field(None, description="Inquiry records in a records file; None for other files.")
    uploaded: bool = Field(
        False, description="Uploaded through the API: administrators may delete, replace and reclassify it."
    )
    uploaded_at: datetime | None = Field(None, description="When it was uploaded (uploads only).")
    updated_at: datetime | None = Field(None, description="When its file last changed (uploads only).")


class DocumentList(ApiModel):
    documents: list[DocumentOut]


class FileIssueOut(ApiModel):
    source: str
    reason: str


class IngestSummaryOut(ApiModel):
    """The summary of the ingest run that took the upload (see `yakuba ingest --json`)."""

    generation: str | None
    files_ingested: int
    files_unchanged: int
    files_skipped: int
    files_failed: int
    files_removed: int
    chunks_added: int
    chunks_removed: int
    chunks_total: int
    chunks_embedded: int
    seconds: float
    embed_seconds: float
    skipped: list[FileIssueOut]
    failed: list[FileIssueOut]
    usage_error: str | None
    version: int
    exit_code: int = Field(description="0: all good; 1: some files failed; 2: nothing ingested.")


# --- models ---------------------------------------------------------------------------------


class ModelOut(ApiModel):
    address: str = Field(description="Backend address to pass as `backend` to POST /chat.")
    provider: str
    model_id: str
    mode: str = Field(description="llm | extractive.")
    data_location: str = Field(description="organisation | japan | apac | global.")
    data_location_label: str = Field(description="Where requests are processed, in Japanese.")
    max_level: int = Field(description="Highest 機密性 level this backend may receive (0 = none).")
    default: bool = Field(description="The backend used when none is chosen.")
    available: bool = Field(description="Configured, reachable and allowed by policy.")
    reason: str | None = Field(None, description="Why it is unavailable or restricted (Japanese).")


class ModelList(ApiModel):
    models: list[ModelOut]


# --- feedback, usage, audit, health ---------------------------------------------------------


class FeedbackRequest(ApiModel):
    message_id: RowId = Field(description="Id of an answer in one of the caller's conversations.")
    rating: Literal["good", "bad"]
    comment: str | None = Field(None, max_length=2000)


class FeedbackOut(ApiModel):
    id: int
    message_id: int
    rating: Literal["good", "bad"]
    comment: str | None
    created_at: datetime


class UsageRowOut(ApiModel):
    user: str
    backend: str | None
    model_id: str | None
    requests: int = Field(description="Audited requests, refused and failed ones included.")
    input_tokens: int
    output_tokens: int
    cost: float


class UsageDayOut(ApiModel):
    day: date = Field(description="Calendar day in the requested time zone.")
    requests: int
    cost: float = Field(description="USD.")


class UsageResponse(ApiModel):
    rows: list[UsageRowOut]
    requests: int = Field(description="Sum over the rows.")
    cost: float = Field(description="Sum over the rows (USD).")
    usd_jpy_rate: float = Field(description="Yen per dollar used for `cost_jpy` (setting `usd_jpy_rate`).")
    cost_jpy: float = Field(description="`cost` in yen at `usd_jpy_rate`.")
    daily: list[UsageDayOut] = Field(description="Use per day of the period, days without use included.")


class AuditRowOut(ApiModel):
    id: int
    time: str = Field(description="UTC ISO 8601.")
    user: str
    task: str
    backend: str | None
    model_id: str | None
    mode: str | None
    level: int | None = Field(description="機密性 level of the request.")
    reason: str | None
    outcome: Literal["ok", "refused", "error"]
    error: str | None
    chunk_ids: Any = Field(
        description="Chunk ids sent to the model (a list, or lists by role): only those the reader may see."
    )
    withheld: bool = Field(
        False,
        description="Details withheld from this reader: the request was above their clearance (level, reason, "
        "error and chunks not shown), or some of its chunks are outside their clearance or groups.",
    )
    input_tokens: int
    output_tokens: int
    cost: float
    latency_ms: int | None


class AuditPage(ApiModel):
    items: list[AuditRowOut] = Field(description="Newest first.")
    total: int = Field(description="Rows matching the filters.")
    limit: int
    offset: int


class HealthOut(ApiModel):
    status: Literal["ok", "degraded"] = Field(description="degraded: no index yet, or the database is down.")
    version: str
    index_present: bool
    database_ok: bool
