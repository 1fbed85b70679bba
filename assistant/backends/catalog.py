"""The backend list behind `yakuba models [--json]`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.backends.registry import get_provider, list_specs

if TYPE_CHECKING:
    from assistant.config import Settings


def describe_backends(settings: Settings, check: bool = True, timeout: float = 2.0) -> list[dict[str, Any]]:
    """Every configured backend: address, provider, model_id, data_location, mode, configured,
    reachable (None when not checked), prices and a Japanese `note` when it cannot be used."""
    specs = list_specs(settings)
    status: dict[str, tuple[bool | None, str | None]] = {}
    if check:
        for provider_name in dict.fromkeys(spec.provider for spec in specs):
            group = [spec for spec in specs if spec.provider == provider_name]
            status.update(get_provider(provider_name).probe(settings, group, timeout))
    return [spec.describe(*status.get(spec.address, (None, None))) for spec in specs]
