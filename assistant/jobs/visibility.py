"""What a reader may see of a batch item's result: the same rule as chat (a source is visible when it has no groups
or shares one with the reader, and its 機密性 is at most the reader's clearance), applied when results are read
(item lists, downloads), so an administrator looking at another user's job, or an owner whose rights shrank,
sees nothing above their rights.

A result whose text rests on a source the reader may not see (its cited `sources` / `citations`, or a draft
classified above the reader's clearance) is withheld whole; entries listed beside it (`similar`, `related`) are
filtered one by one. A cited entry must be allowed by the labels stored with it and, when its chunk is still
indexed, by the chunk's current labels; an entry with neither cannot be checked and counts as not visible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.retrieval.base import Store
    from assistant.tasks.base import Principal
    from core.model import Chunk

CITED = ("sources", "citations")
BESIDE = ("similar", "related")
WITHHELD = (
    "この行の回答案は、現在閲覧する権限のない資料に基づいているため表示できません。"
    "必要な場合は、資料の所管課または管理者にお問い合わせください。"
)


def _labels_allow(reader: Principal, classification: Any, groups: Any) -> bool:
    if reader.clearance is not None and int(classification or 1) > reader.clearance:
        return False
    return reader.groups is None or not groups or bool(set(groups) & set(reader.groups))


def _entry_allowed(reader: Principal, entry: dict[str, Any], current: dict[str, Chunk]) -> bool:
    chunk = current.get(entry.get("chunk_id", ""))
    labelled = "classification" in entry and "groups" in entry
    if labelled and not _labels_allow(reader, entry["classification"], entry["groups"]):
        return False
    if chunk is not None and not reader.filters().allows(chunk):
        return False
    return labelled or chunk is not None


def visible_result(
    result: dict[str, Any] | None, reader: Principal, store: Store | None = None
) -> tuple[dict[str, Any] | None, bool]:
    """(the result as `reader` may see it, whether it was withheld). None in → (None, False)."""
    if result is None:
        return None, False
    entries = [e for key in (*CITED, *BESIDE) for e in result.get(key) or [] if isinstance(e, dict)]
    current: dict[str, Chunk] = {}
    if store is not None and entries:
        current = {c.chunk_id: c for c in store.get([e.get("chunk_id", "") for e in entries])}
    level = result.get("classification")
    if level is not None and reader.clearance is not None and int(level) > reader.clearance:
        return None, True
    for key in CITED:
        if any(not _entry_allowed(reader, e, current) for e in result.get(key) or []):
            return None, True
    shown = dict(result)
    for key in BESIDE:
        if key in shown and shown[key]:
            shown[key] = [e for e in shown[key] if _entry_allowed(reader, e, current)]
    return shown, False
