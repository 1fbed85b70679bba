"""Addresses, configuration overrides and lazy imports (one `LazyRegistry` for chat providers and embedders)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.backends import registry
from assistant.backends.base import BackendSpec
from assistant.config import Settings
from core.errors import UnknownBackendError, UnknownEmbedderError


@pytest.fixture
def settings(tmp_path):
    return Settings(home=tmp_path)


@pytest.mark.parametrize("address", ["claude", "azure/gpt", "bedrock/no-such-alias", "offline/llm"])
def test_unknown_addresses_raise_with_a_japanese_message(settings, address):
    with pytest.raises(UnknownBackendError) as err:
        registry.resolve(settings, address)
    assert "ありません" in err.value.message or "登録" in err.value.message or "形式" in err.value.message


def test_unknown_bedrock_alias_says_how_to_add_one(settings):
    with pytest.raises(UnknownBackendError) as err:
        registry.resolve(settings, "bedrock/llama")
    assert "YAKUBA_BEDROCK_EXTRA_MODELS" in err.value.message


def test_data_location_and_price_overrides(settings):
    settings = settings.model_copy(
        update={
            "backend_data_locations": {"bedrock/nova-lite": "japan"},
            "model_prices": {"bedrock/nova-lite": {"input": 0.1, "output": 0.4}},
        }
    )
    spec = registry.resolve(settings, "bedrock/nova-lite")
    assert (spec.data_location, spec.input_per_mtok, spec.output_per_mtok) == ("japan", 0.1, 0.4)


def test_invalid_data_location_is_rejected(settings):
    settings = settings.model_copy(update={"backend_data_locations": {"bedrock/nova-lite": "tokyo"}})
    with pytest.raises(ValueError, match="unknown data location"):
        registry.resolve(settings, "bedrock/nova-lite")


def test_a_provider_can_be_registered(settings, monkeypatch):
    spec = BackendSpec("lab/echo", "lab", "echo", "llm", "organisation")

    class LabProvider:
        name = "lab"

        def specs(self, settings):
            return [spec]

        def spec(self, settings, name):
            return spec

    monkeypatch.setattr(registry, "PROVIDERS", registry.PROVIDERS.copy())
    registry.register_provider("lab", LabProvider())
    assert registry.resolve(settings, "lab/echo") == spec
    assert spec in registry.list_specs(settings)


def test_routing_modules_import_no_sdk():
    code = (
        "import sys, assistant.router, assistant.backends.catalog, assistant.backends.registry;"
        "print(sorted(m for m in ('boto3', 'botocore', 'langchain_aws', 'langchain_openai', 'openai')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_registry_imports_an_entry_on_first_use(tmp_path, monkeypatch):
    (tmp_path / "yakuba_lazy_entry.py").write_text("VALUE = object()\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    lazy = registry.LazyRegistry(lambda name, known: UnknownEmbedderError(f"{name} not in {known}"))
    lazy.register("x", "yakuba_lazy_entry:VALUE")
    assert "x" in lazy and not lazy.is_loaded("x") and "yakuba_lazy_entry" not in sys.modules
    value = lazy.get("x")
    assert value is sys.modules["yakuba_lazy_entry"].VALUE and lazy.is_loaded("x") and lazy.get("x") is value
    copy = lazy.copy()
    copy.register("y", 1)
    assert "y" not in lazy and copy.names() == ["x", "y"]
    with pytest.raises(UnknownEmbedderError, match=r"z not in \['x'\]"):
        lazy.get("z")
    monkeypatch.delitem(sys.modules, "yakuba_lazy_entry")


def test_chat_providers_and_embedders_share_the_mechanism():
    from assistant.backends import embedders

    assert isinstance(registry.PROVIDERS, registry.LazyRegistry)
    assert isinstance(embedders.EMBEDDERS, registry.LazyRegistry)
    assert {"bedrock", "offline"} <= set(registry.PROVIDERS) & set(embedders.EMBEDDERS)
