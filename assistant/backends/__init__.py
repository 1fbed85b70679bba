"""Model backends addressed as `provider/name`, built through one registry (see registry.py)."""

from assistant.backends.base import (
    Backend,
    BackendSpec,
    Generation,
    TokenUsage,
)
from assistant.backends.registry import create_backend, list_specs, register_provider, resolve

__all__ = [
    "Backend",
    "BackendSpec",
    "Generation",
    "TokenUsage",
    "create_backend",
    "list_specs",
    "register_provider",
    "resolve",
]
