"""A backend around any LangChain chat model (Bedrock Converse, OpenAI-compatible servers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from assistant.backends.base import BackendSpec, Generation, TokenUsage


class ChatModelBackend:
    """Streams a system + user message through a LangChain chat model and counts tokens."""

    def __init__(self, spec: BackendSpec, model: Any, transient: Callable[[BaseException], bool]):
        self.spec = spec
        self.model = model
        self._transient = transient

    def stream(self, call: Generation, usage: TokenUsage) -> Iterator[str]:
        from langchain_core.messages import HumanMessage, SystemMessage

        messages = [SystemMessage(call.system)] if call.system.strip() else []
        messages.append(HumanMessage(call.prompt))
        for chunk in self.model.stream(messages):
            usage.add(chunk.usage_metadata)
            if chunk.text:
                yield chunk.text

    def is_transient(self, exc: BaseException) -> bool:
        return self._transient(exc)
