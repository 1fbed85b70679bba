"""File helpers shared by the dataset loaders: presence check and content hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from core.errors import YakubaError


def require_file(path: Path) -> Path:
    """The path itself, or DatasetMissing (a Japanese message naming the absent file)."""
    from evals.datasets import DatasetMissing

    path = Path(path)
    if not path.is_file():
        raise DatasetMissing(path)
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(path: Path) -> Any:
    """Parsed JSON of a UTF-8 file; unreadable or malformed files raise YakubaError in Japanese."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise YakubaError(f"{path}: JSON ファイルとして読み込めません（{exc}）。") from exc
