"""Access rules of the API: which chunks a user may see and which backends they may use.

A chunk is visible when it has no groups or shares one with the user, and its 機密性
classification is at most the user's clearance. The same rule holds for administrators: being an
administrator lets a user manage the service, not read every document. It is applied inside the
store before the top-k cut (search, chat) and again to anything stored earlier (the sources and citations kept
with conversation messages, the chunks named in the audit log), so a user whose rights shrank does not keep
seeing what they lost, and an administrator sees other users' records only as far as their own rights reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from assistant.retrieval.base import Filters
from assistant.tasks.base import Principal

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.records.models import Message, User
    from assistant.retrieval.base import Store
    from core.model import Chunk

HIDDEN_ANSWER = (
    "（この回答は、現在閲覧する権限のない資料に基づいているため表示できません。"
    "必要な場合は、資料の所管課または管理者にお問い合わせください。）"
)
HIDDEN_QUESTION = "（この質問は、閲覧する権限のない資料に関わるやり取りのため表示できません。）"
HIDDEN_TITLE = "（閲覧する権限のない資料に関わる会話）"
UNKNOWN_TURN_LEVEL = 3  # the highest 機密性: a question whose turn's sources were not recorded


def user_filters(user: User, **scope: Any) -> Filters:
    """The user's access filters, plus optional scope filters (doc_type, date_from, date_to)."""
    return principal_of(user).filters(**scope)


def may_see(user: User, chunk: Chunk) -> bool:
    return user_filters(user).allows(chunk)


def principal_of(user: User) -> Principal:
    """The user as the task runner sees them: the same groups and clearance rule everywhere."""
    return Principal(
        name=user.name, groups=list(user.groups or []), clearance=user.clearance, is_admin=user.is_admin
    )


def may_use_backend(settings: Settings, user: User, address: str) -> bool:
    """False when `backend_groups` restricts the backend to groups the user is not in."""
    return principal_of(user).may_use(settings, address)


def source_labels(chunk: Chunk) -> dict[str, Any]:
    """A source as kept with a message: the chunk id with its labels at answer time."""
    return {"chunk_id": chunk.chunk_id, "classification": chunk.classification, "groups": list(chunk.groups)}


def stored_citation(citation: dict[str, Any], chunk: Chunk) -> dict[str, Any]:
    """A citation as kept with a message: with the chunk's labels at answer time, so it can be
    checked again on read even after the chunk has left the index."""
    return {**citation, "classification": chunk.classification, "groups": list(chunk.groups)}


def turn_labels(message: Message) -> list[dict[str, Any]] | None:
    """The labels of everything a message's turn was built from: its stored sources and its citations. For a
    message stored before sources were kept (migration 0007): an answer's citations, all that is known of it,
    and None (unknown) for a question."""
    citations = list(message.citations or [])
    if message.sources is None:
        return citations if message.role == "assistant" else None
    return [*message.sources, *citations]


def turn_level(message: Message) -> int:
    """The 機密性 a question carries: the highest level among its turn's sources (1: none); a question whose
    turn is unknown counts as the highest level."""
    labels = turn_labels(message)
    if labels is None:
        return UNKNOWN_TURN_LEVEL
    return max((int(label.get("classification", UNKNOWN_TURN_LEVEL)) for label in labels), default=1)


def _labels_allow(user: User, labels: dict[str, Any]) -> bool:
    if "classification" not in labels or "groups" not in labels:
        return False
    groups = labels["groups"] or []
    return int(labels["classification"]) <= user.clearance and (
        not groups or bool(set(groups) & set(user.groups or []))
    )


class Reader:
    """What one reader may see of stored labels: the labels kept with a record and, while the chunk is still
    indexed, its current labels must both allow the reader (rights that shrank, or a document reclassified since,
    take effect on the next read). The chunks named are looked up in the index once."""

    def __init__(self, user: User, store: Store | None, chunk_ids: Iterable[str] = ()):
        self.user = user
        wanted = list(dict.fromkeys(chunk_ids))
        self.indexed = {c.chunk_id: c for c in store.get(wanted)} if store is not None and wanted else {}

    def allows(self, labels: Iterable[dict[str, Any]] | None) -> bool:
        """True when every labelled source allows the reader; False for unknown labels (None)."""
        if labels is None:
            return False
        for label in labels:
            chunk = self.indexed.get(label.get("chunk_id", ""))
            if not _labels_allow(self.user, label) or (chunk is not None and not may_see(self.user, chunk)):
                return False
        return True

    def sees_chunk(self, chunk_id: str) -> bool:
        """A chunk named without labels (the audit log): visible only while indexed and visible to the reader."""
        chunk = self.indexed.get(chunk_id)
        return chunk is not None and may_see(self.user, chunk)
