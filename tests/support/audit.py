"""Helpers for reading the JSON-lines audit sink in task tests."""

from __future__ import annotations

import json
from pathlib import Path


def events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
