"""Shared test set-up: fakes at the wire, isolated settings, and the optional ../shared datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["tests.fakes.fixtures"]

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Every test gets its own YAKUBA_HOME, so nothing writes into the project's ./var."""
    from assistant.config import get_settings

    home = tmp_path / "yakuba-home"
    monkeypatch.setenv("YAKUBA_HOME", str(home))
    for name in ("YAKUBA_INDEX_DIR", "YAKUBA_DATABASE_URL", "YAKUBA_EMBEDDER", "YAKUBA_BEDROCK_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def shared_dataset():
    """Path to a file under ../shared/datasets, or skip: a fresh clone has no ../shared."""

    def get(relative: str) -> Path:
        path = SHARED / "datasets" / relative
        if not path.exists():
            pytest.skip(f"needs ../shared/datasets/{relative}, which is not present in this checkout")
        return path

    return get
