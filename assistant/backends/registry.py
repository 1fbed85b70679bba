"""The backend registry: provider name → provider object, imported only when first used.

This is the one place that knows which providers exist; everything else works with
`provider/name` addresses and `BackendSpec`s.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.backends.base import Backend, BackendSpec, Provider, split_address
from core.errors import UnknownBackendError
from core.policy import check_location

if TYPE_CHECKING:
    from assistant.config import Settings

# Values are "module:attribute" strings until first use, so no SDK is imported at start-up.
_PROVIDERS: dict[str, str | Provider] = {
    "bedrock": "assistant.backends.bedrock:PROVIDER",
    "openai": "assistant.backends.openai_compat:PROVIDER",
    "offline": "assistant.backends.offline:PROVIDER",
}


def register_provider(name: str, provider: str | Provider) -> None:
    """Add or replace a provider, given as an object or a lazy "module:attribute" reference."""
    _PROVIDERS[name] = provider


def provider_names() -> list[str]:
    return list(_PROVIDERS)


def get_provider(name: str) -> Provider:
    entry = _PROVIDERS.get(name)
    if entry is None:
        raise UnknownBackendError(
            f"モデルの提供元「{name}」は登録されていません。"
            f"利用できる提供元は {', '.join(_PROVIDERS)} です。`yakuba models` で確認してください。"
        )
    if isinstance(entry, str):
        module_name, _, attr = entry.partition(":")
        entry = getattr(importlib.import_module(module_name), attr)
        _PROVIDERS[name] = entry
    return entry


def _apply_overrides(settings: Settings, spec: BackendSpec) -> BackendSpec:
    """Per-address settings that apply to every provider: data location and price."""
    changes: dict[str, object] = {}
    location = settings.backend_data_locations.get(spec.address)
    if location:
        changes["data_location"] = check_location(location, f"backend_data_locations[{spec.address}]")
    price = settings.model_prices.get(spec.address)
    if price:
        changes["input_per_mtok"] = float(price.get("input", 0.0))
        changes["output_per_mtok"] = float(price.get("output", 0.0))
    return replace(spec, **changes) if changes else spec


def resolve(settings: Settings, address: str) -> BackendSpec:
    """The spec of `address`; raises UnknownBackendError with a message the user can act on."""
    provider_name, name = split_address(address)
    if not name:
        raise UnknownBackendError(
            f"モデルの指定「{address}」は「提供元/モデル名」の形式ではありません"
            "（例: bedrock/claude-haiku-4-5）。`yakuba models` で利用できるモデルを確認してください。"
        )
    return _apply_overrides(settings, get_provider(provider_name).spec(settings, name))


def list_specs(settings: Settings) -> list[BackendSpec]:
    """Every backend offered under the current configuration, provider by provider."""
    return [
        _apply_overrides(settings, spec)
        for name in provider_names()
        for spec in get_provider(name).specs(settings)
    ]


def create_backend(settings: Settings, spec: BackendSpec) -> Backend:
    return get_provider(spec.provider).create(settings, spec)
