"""`offline/extractive`: answers built from source sentences, no model server involved."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import TYPE_CHECKING

from assistant.backends.base import Backend, BackendSpec, Generation, TokenUsage
from assistant.errors import UnknownBackendError

if TYPE_CHECKING:
    from assistant.config import Settings

_SPEC = BackendSpec(
    address="offline/extractive",
    provider="offline",
    model_id="extractive",
    mode="extractive",
    data_location="organisation",
    input_per_mtok=0.0,
    output_per_mtok=0.0,
)


class ExtractiveBackend:
    spec = _SPEC

    def stream(self, call: Generation, usage: TokenUsage) -> Iterator[str]:
        from assistant.extractive import extract_answer

        yield extract_answer(call.question, call.chunks)

    def is_transient(self, exc: BaseException) -> bool:
        return False


class OfflineProvider:
    name = "offline"

    def specs(self, settings: Settings) -> list[BackendSpec]:
        return [_SPEC]

    def spec(self, settings: Settings, name: str) -> BackendSpec:
        if name != "extractive":
            raise UnknownBackendError(
                f"オフラインのモデル「{name}」はありません。利用できるのは offline/extractive です。"
            )
        return _SPEC

    def create(self, settings: Settings, spec: BackendSpec) -> Backend:
        return ExtractiveBackend()

    def probe(
        self, settings: Settings, specs: list[BackendSpec], timeout: float
    ) -> dict[str, tuple[bool | None, str | None]]:
        if importlib.util.find_spec("assistant.extractive") is None:
            return {
                s.address: (False, "抜粋回答の機能（assistant.extractive）が見つかりません。") for s in specs
            }
        return {s.address: (True, None) for s in specs}


PROVIDER = OfflineProvider()
