"""On-disk cache of the map (and merge) steps of long minutes, so a retry or a style change redoes nothing done.

A key is the SHA-256 of everything that decides a step's answer and nothing else: the backend address and model
ID, the task's name and version, the schema, the rendered system and user prompts (the prompt versions and the
segment's turns, numbers and speakers included) and the 機密性. The style and the length limit are not in a map
prompt, so changing them reuses every map step. Entries are JSON files written atomically (a crash leaves either
the old entry or none); an unreadable entry counts as a miss.

The cache holds model summaries of the transcripts: it lives under $YAKUBA_HOME (or `minutes_cache_dir`) beside
the records database and is protected like it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.tasks.minutes_models import LLMMinutes

if TYPE_CHECKING:
    from assistant.config import Settings

log = logging.getLogger(__name__)
CACHE_VERSION = 1


def cache_dir(settings: Settings) -> Path:
    return settings.minutes_cache_dir or settings.home / "cache" / "minutes"


def step_key(**parts: object) -> str:
    """A stable key from named parts (JSON-serialisable values)."""
    text = json.dumps({"v": CACHE_VERSION, **parts}, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def schema_digest(schema: type) -> str:
    return hashlib.sha256(json.dumps(schema.model_json_schema(), sort_keys=True).encode()).hexdigest()[:16]


class MapCache:
    """`get` / `put` partial minutes (`LLMMinutes`) by key; thread-safe (one file per key, atomic writes)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> LLMMinutes | None:
        path = self._path(key)
        try:
            return LLMMinutes.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("unreadable minutes cache entry %s: %s", path.name, type(exc).__name__)
            return None

    def put(self, key: str, data: LLMMinutes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data.model_dump_json())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json")) if self.root.is_dir() else 0
