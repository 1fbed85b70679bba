"""What the router needs from a model backend, and the value types shared by all providers.

A backend is addressed as `provider/name` (`bedrock/claude-haiku-4-5`, `openai/qwen3`,
`offline/extractive`). A provider turns configuration into `BackendSpec`s cheaply (no SDK import)
and builds a `Backend` only when a request is actually sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pydantic import BaseModel

    from assistant.config import Settings

def split_address(address: str) -> tuple[str, str]:
    provider, sep, name = address.partition("/")
    return provider, name if sep else ""


@dataclass(frozen=True)
class BackendSpec:
    """Everything known about a backend from configuration alone."""

    address: str
    provider: str
    model_id: str
    mode: str  # "llm" | "extractive"
    data_location: str
    input_per_mtok: float | None = None  # USD per 1M input tokens; None = price unknown
    output_per_mtok: float | None = None
    configured: bool = True
    note: str | None = None  # Japanese explanation when the backend cannot be used as configured

    def cost(self, input_tokens: int, output_tokens: int) -> float | None:
        if self.mode == "extractive":
            return 0.0
        if self.input_per_mtok is None or self.output_per_mtok is None:
            return None
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000

    def describe(self, reachable: bool | None, note: str | None = None) -> dict[str, Any]:
        """One row of `yakuba models`."""
        return {
            "address": self.address,
            "provider": self.provider,
            "model_id": self.model_id,
            "data_location": self.data_location,
            "mode": self.mode,
            "configured": self.configured,
            "reachable": reachable,
            "input_per_mtok": self.input_per_mtok,
            "output_per_mtok": self.output_per_mtok,
            "note": note or self.note,
        }


@dataclass
class Reply:
    """What a backend returns for one call: the text and, for structured calls, the validated object."""

    text: str
    data: Any = None  # a `call.schema` instance (LLM), or the task's own typed output (offline)


@dataclass
class Generation:
    """One call as a backend sees it (system and prompt already masked where required).

    `schema`: when set, an LLM backend returns a validated instance of it (tool use / function calling)
    instead of streaming text. `offline`: the task's own extractive path, run by organisation-internal
    offline backends; it returns the text shown and the task's typed output as `Reply.data`. It is never
    handed to a backend outside the organisation.
    """

    system: str
    prompt: str
    schema: type[BaseModel] | None = None
    offline: Callable[[], Reply] | None = None
    max_tokens: int | None = None  # the task's own output ceiling; None = settings.llm_max_tokens


class InvalidOutput(Exception):
    """A model's structured output that does not validate against the requested schema."""

    def __init__(self, message: str, raw: str = ""):
        super().__init__(message)
        self.raw = raw


@dataclass
class TokenUsage:
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, usage: dict[str, Any] | None) -> None:
        """Add a LangChain `usage_metadata` dict (absent on most streamed chunks)."""
        if usage:
            self.input_tokens += int(usage.get("input_tokens") or 0)
            self.output_tokens += int(usage.get("output_tokens") or 0)


class Backend(Protocol):
    spec: BackendSpec

    def generate(self, call: Generation, usage: TokenUsage, on_text: Callable[[str], None]) -> Reply:
        """Answer `call`: text is passed to `on_text` as it is generated (streamed); with `call.schema`
        the validated object is returned in `Reply.data` (InvalidOutput when it does not validate).
        Token counts are added to `usage`."""
        ...

    def is_transient(self, exc: BaseException) -> bool:
        """True for throttling, 5xx, timeouts and dropped connections (worth a retry)."""
        ...


class Provider(Protocol):
    name: str

    def specs(self, settings: Settings) -> list[BackendSpec]:
        """The backends this provider offers under the current configuration."""
        ...

    def spec(self, settings: Settings, name: str) -> BackendSpec:
        """The backend `name`; raises UnknownBackendError when it is not configured."""
        ...

    def create(self, settings: Settings, spec: BackendSpec) -> Backend: ...

    def probe(
        self, settings: Settings, specs: list[BackendSpec], timeout: float
    ) -> dict[str, tuple[bool | None, str | None]]:
        """Cheap reachability check per address: (reachable, Japanese note when not usable)."""
        ...
