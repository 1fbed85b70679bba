"""A backend around any LangChain chat model (Bedrock Converse, OpenAI-compatible servers).

Text calls stream through `model.stream`. Structured calls (`Generation.schema` set) go through
LangChain's `with_structured_output(schema, method="function_calling", include_raw=True)`: one
forced tool whose input schema is the pydantic model's JSON schema. On Bedrock Converse that is
`toolConfig` + a `toolUse` block; on OpenAI-compatible servers it is `tools` + `tool_calls`, the
form with the widest support across vLLM, Ollama and llama.cpp (unlike `response_format`
json_schema). Structured calls are not streamed: `on_text` is never called for them, because a
half-written JSON object is nothing a user should see; the caller gets the validated object at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.backends.base import BackendSpec, Generation, InvalidOutput, Reply, TokenUsage

if TYPE_CHECKING:
    from pydantic import BaseModel

_TRUNCATED_REASONS = {"max_tokens", "length"}  # Bedrock stopReason / OpenAI finish_reason
_MALFORMED_REASONS = {"malformed_tool_use", "malformed_model_output"}  # Bedrock stopReason


class ChatModelBackend:
    """Runs a system + user message through a LangChain chat model and counts tokens."""

    def __init__(
        self,
        spec: BackendSpec,
        model: Any,
        transient: Callable[[BaseException], bool],
        structured_method: str = "function_calling",
    ):
        self.spec = spec
        self.model = model
        self._transient = transient
        self._structured_method = structured_method

    def generate(self, call: Generation, usage: TokenUsage, on_text: Callable[[str], None]) -> Reply:
        messages = _messages(call)
        model = self.model
        if call.max_tokens is not None:  # a copy sharing the client: the shared model keeps its ceiling
            model = model.model_copy(update={"max_tokens": call.max_tokens})
        if call.schema is None:
            return self._stream_text(model, messages, usage, on_text)
        return self._structured(model, messages, call.schema, usage)

    def is_transient(self, exc: BaseException) -> bool:
        return self._transient(exc)

    # --- text ----------------------------------------------------------------------------------
    def _stream_text(
        self, model: Any, messages: list[Any], usage: TokenUsage, on_text: Callable[[str], None]
    ) -> Reply:
        pieces: list[str] = []
        for chunk in model.stream(messages):
            usage.add(chunk.usage_metadata)
            if chunk.text:
                pieces.append(chunk.text)
                on_text(chunk.text)
        return Reply(text="".join(pieces), data=None)

    # --- structured output ---------------------------------------------------------------------
    def _structured(
        self, model: Any, messages: list[Any], schema: type[BaseModel], usage: TokenUsage
    ) -> Reply:
        runnable = model.with_structured_output(schema, method=self._structured_method, include_raw=True)
        result = runnable.invoke(messages)
        raw = result.get("raw")
        usage.add(getattr(raw, "usage_metadata", None))
        parsed = result.get("parsed")
        error = result.get("parsing_error")
        if parsed is not None and error is None:
            try:
                data = parsed if isinstance(parsed, schema) else schema.model_validate(parsed)
            except ValueError as exc:  # pydantic's ValidationError is a ValueError
                error = exc
            else:
                return Reply(text=data.model_dump_json(), data=data)
        raise InvalidOutput(_invalid_message(self.spec.address, schema, raw, error), _raw_output(raw))


def _messages(call: Generation) -> list[Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    messages: list[Any] = [SystemMessage(call.system)] if call.system.strip() else []
    messages.append(HumanMessage(call.prompt))
    return messages


def _raw_output(raw: Any) -> str:
    """What the model actually sent: the tool arguments (as JSON text) or, failing that, its text."""
    if raw is None:
        return ""
    tool_calls = getattr(raw, "tool_calls", None) or []
    if tool_calls:
        return json.dumps(tool_calls[0].get("args"), ensure_ascii=False)
    invalid = getattr(raw, "invalid_tool_calls", None) or []
    if invalid:
        return str(invalid[0].get("args") or "")
    return str(getattr(raw, "text", "") or "")


def _invalid_message(address: str, schema: type[BaseModel], raw: Any, error: BaseException | None) -> str:
    name = schema.__name__
    if error is not None:
        message = f"{address} returned structured output that does not match {name}: {error}"
    elif raw is not None and getattr(raw, "invalid_tool_calls", None):
        message = f"{address} returned tool arguments for {name} that are not valid JSON."
    else:
        message = f"{address} did not call the {name} tool; it answered without structured output."
    metadata = getattr(raw, "response_metadata", None) or {}
    reason = metadata.get("stopReason") or metadata.get("stop_reason") or metadata.get("finish_reason")
    if reason in _MALFORMED_REASONS:
        message += f" The provider reported stop reason {reason!r}."
    elif reason in _TRUNCATED_REASONS:
        message += " The output was cut off at the token limit (llm_max_tokens)."
    return message
