"""OpenAI-compatible servers (vLLM, Ollama, llama.cpp …) as `openai/<model name>`.

Built on langchain-openai `ChatOpenAI` with the base URL and key from configuration. Without a
configured base URL nothing is sent: the client would otherwise default to api.openai.com.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.backends.base import Backend, BackendSpec
from core.errors import UnknownBackendError
from core.policy import check_location

if TYPE_CHECKING:
    from assistant.config import Settings

_NOT_CONFIGURED = (
    "OpenAI 互換サーバーの接続先が設定されていません。管理者が YAKUBA_OPENAI_BASE_URL を設定してください。"
)
_ANY_MODEL = "*"  # listed when no model names are configured


def _spec(settings: Settings, name: str) -> BackendSpec:
    configured = bool(settings.openai_base_url) and name != _ANY_MODEL
    note = None
    if not settings.openai_base_url:
        note = _NOT_CONFIGURED
    elif name == _ANY_MODEL:
        note = "モデル名を YAKUBA_OPENAI_MODELS に設定するか、openai/<モデル名> の形で指定してください。"
    return BackendSpec(
        address=f"openai/{name}",
        provider="openai",
        model_id=name,
        mode="llm",
        data_location=check_location(settings.openai_data_location, "openai_data_location"),
        configured=configured,
        note=note,
    )


def is_transient(exc: BaseException) -> bool:
    """429, 5xx, timeouts, connection failures, an error the server sends mid-stream (a bare `APIError`)
    and a streamed event that is not JSON (damaged in transit) are worth retrying."""
    import json

    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    if isinstance(exc, openai.APIResponseValidationError):
        return False
    return isinstance(exc, openai.APIError | json.JSONDecodeError | ConnectionError | TimeoutError)


class OpenAICompatProvider:
    name = "openai"

    def specs(self, settings: Settings) -> list[BackendSpec]:
        return [_spec(settings, name) for name in settings.openai_models or [_ANY_MODEL]]

    def spec(self, settings: Settings, name: str) -> BackendSpec:
        return _spec(settings, name)

    def create(self, settings: Settings, spec: BackendSpec) -> Backend:
        if not settings.openai_base_url:
            raise UnknownBackendError(_NOT_CONFIGURED)
        import httpx
        from langchain_openai import ChatOpenAI

        from assistant.backends.chat import ChatModelBackend

        model = ChatOpenAI(
            model=spec.model_id,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key or "not-required",
            timeout=httpx.Timeout(
                settings.backend_timeout_seconds, connect=settings.backend_connect_timeout_seconds
            ),
            max_retries=0,  # the router retries
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            stream_usage=True,
        )
        return ChatModelBackend(spec, model, is_transient)

    def probe(
        self, settings: Settings, specs: list[BackendSpec], timeout: float
    ) -> dict[str, tuple[bool | None, str | None]]:
        if not settings.openai_base_url:
            return {spec.address: (None, _NOT_CONFIGURED) for spec in specs}
        import httpx

        url = settings.openai_base_url.rstrip("/") + "/models"
        headers = {"Authorization": f"Bearer {settings.openai_api_key}"} if settings.openai_api_key else {}
        try:
            response = httpx.get(url, headers=headers, timeout=timeout)
            response.raise_for_status()
            served = [m.get("id", "") for m in response.json().get("data", [])]
        except (httpx.HTTPError, ValueError, AttributeError):
            note = f"OpenAI 互換サーバー（{settings.openai_base_url}）に接続できません。サーバーの稼働を確認してください。"
            return {spec.address: (False, note) for spec in specs}
        result: dict[str, tuple[bool | None, str | None]] = {}
        for spec in specs:
            if spec.model_id == _ANY_MODEL:
                result[spec.address] = (True, f"{spec.note} サーバーで利用できるモデル: {', '.join(served)}")
            elif spec.model_id not in served:
                note = f"サーバーにモデル「{spec.model_id}」がありません（利用できるモデル: {', '.join(served)}）。"
                result[spec.address] = (False, note)
            else:
                result[spec.address] = (True, None)
        return result


PROVIDER = OpenAICompatProvider()
