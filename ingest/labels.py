"""Access labels (機密性 classification and access groups) for ingested files.

A folder may hold a sidecar file `.yakuba.json`, e.g. `{"classification": 2, "groups": ["財政課"]}`, that sets
the labels of every file in it and below; a nearer sidecar overrides a farther one key by key. The labels given to
an ingest run (`--classification`, `--groups`) are the run's defaults. Classification never goes down: a file gets
the highest level among the run and its sidecars, so a sidecar cannot declassify what the operator labelled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import YakubaError

SIDECAR_NAME = ".yakuba.json"
LEVELS = (1, 2, 3)


class LabelError(YakubaError):
    """A sidecar or a run label that is not a valid 機密性 level or group list."""


@dataclass(frozen=True)
class Labels:
    classification: int = 1
    groups: tuple[str, ...] = field(default_factory=tuple)


def parse_groups(text: str | None) -> tuple[str, ...]:
    """`"財政課, 総務課"` → `("財政課", "総務課")`; empty or None → no groups (visible to everyone)."""
    if not text:
        return ()
    return tuple(sorted({g.strip() for g in text.split(",") if g.strip()}))


def check_level(level: int) -> int:
    if level not in LEVELS:
        raise LabelError(f"classification must be 1, 2 or 3 (機密性1〜3), got {level!r}")
    return level


def _read_sidecar(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise LabelError(
            f"{path}: sidecar is not valid JSON ({exc}); expected e.g. "
            '{"classification": 2, "groups": ["財政課"]}'
        ) from exc
    if not isinstance(data, dict) or set(data) - {"classification", "groups"}:
        raise LabelError(f"{path}: sidecar may only set 'classification' and 'groups'")
    if "classification" in data:
        check_level(data["classification"])
    if "groups" in data and not (
        isinstance(data["groups"], list) and all(isinstance(g, str) for g in data["groups"])
    ):
        raise LabelError(f"{path}: 'groups' must be a list of group names")
    return data


class LabelResolver:
    """Resolves the labels of files under one ingest root, caching each folder's sidecar."""

    def __init__(self, root: Path, run_labels: Labels):
        self.root = root.absolute()
        self.run = run_labels
        self._folder_cache: dict[Path, dict] = {}

    def _folder(self, folder: Path) -> dict:
        if folder not in self._folder_cache:
            merged: dict = {}
            if folder != self.root and self.root in folder.parents:
                merged.update(self._folder(folder.parent))
            sidecar = folder / SIDECAR_NAME
            if sidecar.is_file():
                merged.update(_read_sidecar(sidecar))
            self._folder_cache[folder] = merged
        return self._folder_cache[folder]

    def labels_for(self, path: Path) -> Labels:
        found = self._folder(path.absolute().parent)
        level = max(self.run.classification, found.get("classification", 1))
        groups = tuple(sorted(set(found["groups"]))) if "groups" in found else self.run.groups
        return Labels(classification=level, groups=groups)
