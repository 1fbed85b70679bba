"""Error types. Each carries a message a user can act on; `assistant/api/errors.py` maps them to HTTP status
codes in one place."""

from __future__ import annotations


class YakubaError(Exception):
    """Base class. `message` says what was wrong and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnsupportedFile(YakubaError):
    """A file whose format no loader handles (unknown extension, binary named .txt …)."""


class CorruptFile(YakubaError):
    """A file a loader handles but cannot read (truncated, encrypted, empty)."""


class FileTooLarge(YakubaError):
    pass


class ColumnMappingError(YakubaError):
    """An inquiry-record table whose columns cannot be mapped to the known fields."""


class IndexNotFound(YakubaError):
    pass


class IndexUnreachable(IndexNotFound):
    """The index database (YAKUBA_INDEX_URL) cannot be reached: not the same as an index not built yet."""


class IndexMismatch(YakubaError):
    """An index opened with an embedder (or format) other than the one it was built with."""


class UnknownEmbedderError(YakubaError):
    pass


class UnknownBackendError(YakubaError):
    pass


class AccessDenied(YakubaError):
    pass


class PolicyRefused(YakubaError):
    """The classification policy forbids sending this request to the chosen backend."""


class BackendUnavailable(YakubaError):
    """Every backend in the chain failed (throttling, outage, timeout)."""


class PromptTemplateError(YakubaError):
    """A prompt template that is missing, malformed, or rendered with the wrong values."""


class RecordNotFound(YakubaError):
    """A stored record (conversation, message, user …) that does not exist."""


class RecordConflict(YakubaError):
    """A record that would clash with an existing one (e.g. a user name already taken)."""


class InvalidRecord(YakubaError):
    """A record whose values break a rule of the schema (e.g. clearance outside 1..3)."""


class InvalidModelOutput(YakubaError):
    """A model's structured output did not match the task's schema, even after one retry."""


class Cancelled(YakubaError):
    """The caller cancelled the task (went away, or pressed stop); nothing more is generated."""


class TaskTimeout(Cancelled):
    """The task ran past its time limit and was stopped."""
