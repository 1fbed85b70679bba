"""`offline/extractive`: answers built from source sentences, no model server involved."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.backends.base import Backend, BackendSpec, Generation, Reply, TokenUsage
from core.errors import UnknownBackendError

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
    """Runs the task's own extractive path (`Generation.offline`): every task brings its own."""

    spec = _SPEC

    def generate(self, call: Generation, usage: TokenUsage, on_text: Callable[[str], None]) -> Reply:
        if call.offline is None:
            raise UnknownBackendError("この業務には抽出モード（offline/extractive）の処理がありません。")
        reply = call.offline()
        on_text(reply.text)
        return reply

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
        return {s.address: (True, None) for s in specs}


PROVIDER = OfflineProvider()
