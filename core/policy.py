"""The classification policy: which data locations (or backend addresses) may see which 機密性 level.

This module is the only place that answers "may text of level N go there?". The router asks it before a model
call, the ingest pipeline before an external embedder sees a file, and the upload route through the same
ingest builder. A policy maps each level to allowed entries; an entry is a data location ("japan") or an
address pattern ("offline/*", "bedrock/claude-*").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatch
from typing import Protocol

# Where the text of a request is processed, from most to least contained.
DATA_LOCATIONS = ("organisation", "japan", "apac", "global")

LOCATION_LABELS = {
    "organisation": "庁内（組織内のサーバー）",
    "japan": "日本国内（東京・大阪リージョン）",
    "apac": "アジア太平洋地域（国外を含む）",
    "global": "全世界（国外を含む）",
}

Policy = Mapping[int, list[str]]


class Labelled(Protocol):
    classification: int


def check_location(value: str, where: str) -> str:
    """Return `value` if it is a known data location, else raise ValueError naming the setting."""
    if value not in DATA_LOCATIONS:
        raise ValueError(f"{where}: unknown data location {value!r}; use one of {', '.join(DATA_LOCATIONS)}")
    return value


def rules_for(policy: Policy, level: int) -> list[str]:
    """The entries allowed for `level`; a level above the configured ones gets the strictest rule."""
    rules = policy.get(level)
    if rules is None:
        rules = policy.get(max(policy), []) if policy else []
    return list(rules)


def allows(policy: Policy, level: int, location: str, address: str | None = None) -> bool:
    """True when text of 機密性 `level` may be processed at `location` (by the backend `address`)."""
    if location == "organisation" and not policy:
        return True
    return any(
        location == rule if rule in DATA_LOCATIONS else address is not None and fnmatch(address, rule)
        for rule in rules_for(policy, level)
    )


def allowed_places(policy: Policy, level: int) -> str:
    """Where text of `level` may go, in Japanese for a refusal message (「庁内、国内」, or 「なし」)."""
    return "、".join(LOCATION_LABELS[r] for r in rules_for(policy, level) if r in DATA_LOCATIONS) or "なし"


def level_of(items: Iterable[Labelled]) -> int:
    """The 機密性 of a set of sources: the highest among them (1 when there are none)."""
    return max((item.classification for item in items), default=1)
