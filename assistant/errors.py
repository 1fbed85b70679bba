"""Error types. Each carries a message a user can act on; the API maps them to status codes."""

from __future__ import annotations


class YakubaError(Exception):
    """Base class. `message` says what was wrong and what to do."""

    status_code = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnsupportedFile(YakubaError):
    """A file whose format no loader handles (unknown extension, binary named .txt …)."""

    status_code = 415


class CorruptFile(YakubaError):
    """A file a loader handles but cannot read (truncated, encrypted, empty)."""

    status_code = 422


class FileTooLarge(YakubaError):
    status_code = 413


class ColumnMappingError(YakubaError):
    """An inquiry-record table whose columns cannot be mapped to the known fields."""

    status_code = 422


class IndexNotFound(YakubaError):
    status_code = 404


class IndexMismatch(YakubaError):
    """An index opened with an embedder (or format) other than the one it was built with."""

    status_code = 409


class UnknownEmbedderError(YakubaError):
    status_code = 400


class UnknownBackendError(YakubaError):
    status_code = 400


class AccessDenied(YakubaError):
    status_code = 403


class PolicyRefused(YakubaError):
    """The classification policy forbids sending this request to the chosen backend."""

    status_code = 403


class BackendUnavailable(YakubaError):
    """Every backend in the chain failed (throttling, outage, timeout)."""

    status_code = 503


class PromptTemplateError(YakubaError):
    """A prompt template that is missing, malformed, or rendered with the wrong values."""

    status_code = 500


class RecordNotFound(YakubaError):
    """A stored record (conversation, message, user …) that does not exist."""

    status_code = 404


class RecordConflict(YakubaError):
    """A record that would clash with an existing one (e.g. a user name already taken)."""

    status_code = 409


class InvalidRecord(YakubaError):
    """A record whose values break a rule of the schema (e.g. clearance outside 1..3)."""

    status_code = 422
