"""Access rules of the API: which chunks a user may see and which backends they may use.

A chunk is visible when it has no groups or shares one with the user, and its 機密性
classification is at most the user's clearance. The same rule holds for administrators: being an
administrator lets a user manage the service, not read every document. It is applied inside the
store before the top-k cut (search, chat) and again to anything stored earlier (citations kept with
conversation messages), so a user whose rights shrank does not keep seeing what they lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from assistant.retrieval.base import Filters
from assistant.tasks.base import Principal

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.records.models import User
    from assistant.retrieval.base import Store
    from core.model import Chunk

HIDDEN_ANSWER = (
    "（この回答は、現在閲覧する権限のない資料に基づいているため表示できません。"
    "必要な場合は、資料の所管課または管理者にお問い合わせください。）"
)


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


def stored_citation(citation: dict[str, Any], chunk: Chunk) -> dict[str, Any]:
    """A citation as kept with a message: with the chunk's labels at answer time, so it can be
    checked again on read even after the chunk has left the index."""
    return {**citation, "classification": chunk.classification, "groups": list(chunk.groups)}


def _labels_allow(user: User, citation: dict[str, Any]) -> bool:
    if "classification" not in citation or "groups" not in citation:
        return False
    groups = citation["groups"] or []
    return int(citation["classification"]) <= user.clearance and (
        not groups or bool(set(groups) & set(user.groups or []))
    )


def visible_citations(
    user: User, citations: Iterable[dict[str, Any]], store: Store | None
) -> tuple[list[dict[str, Any]], bool]:
    """(the citations the reader may see now, whether any had to be withheld).

    Both the labels stored with the citation and, when the chunk is still indexed, its current
    labels must allow the reader.
    """
    citations = list(citations)
    current = {}
    if store is not None and citations:
        current = {c.chunk_id: c for c in store.get([c.get("chunk_id", "") for c in citations])}
    kept = []
    for citation in citations:
        chunk = current.get(citation.get("chunk_id", ""))
        if _labels_allow(user, citation) and (chunk is None or may_see(user, chunk)):
            kept.append(citation)
    return kept, len(kept) < len(citations)
