"""Files attached to one conversation: read by the ingest loaders (in the same sandboxed workers, under the same
limits as uploads), kept in `conversation_attachments` with their chunks, searched only in that conversation's
chat turns and never written to the shared index.

- Chunk ids are `att-<attachment id>-<n>` and sources `attachments/<attachment id>/<file name>`: they cannot
  collide with the index's (20 hex digits) nor name an indexed file.
- Every chunk carries the 機密性 the user chose and no groups; only the conversation's owner ever searches it.
- The chunks are embedded with the index's embedder only when the classification policy lets that embedder
  see the level; otherwise the attachment is searched lexically (BM25) only.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
from sqlalchemy import select

from assistant.records import AuditEntry, append_audit, create_conversation
from assistant.records.models import Conversation, ConversationAttachment
from core.errors import AccessDenied, RecordNotFound, YakubaError
from core.policy import allows

if TYPE_CHECKING:
    from assistant.api.context import ApiContext
    from assistant.records.models import User
    from assistant.retrieval.base import Embedder
    from assistant.retrieval.local_store import LocalIndex
    from core.model import Chunk

log = logging.getLogger(__name__)

NOT_FOUND = "指定された添付ファイルは見つかりません。"
CONVERSATION_NOT_FOUND = "指定された会話は見つかりません。"
PREFIX = "att-"


def attachment_chunk_id(attachment_id: str, n: int) -> str:
    return f"{PREFIX}{attachment_id}-{n}"


def is_attachment_chunk(chunk_id: str) -> bool:
    return chunk_id.startswith(PREFIX)


def own_conversation(session, user: User, conversation_id: str) -> Conversation:
    """The caller's own conversation that is not deleted; RecordNotFound otherwise."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.deleted_at is not None or conversation.user_id != user.id:
        raise RecordNotFound(CONVERSATION_NOT_FOUND)
    return conversation


def _embedder_may_see(ctx: ApiContext, embedder: Embedder, level: int) -> bool:
    location = getattr(embedder, "data_location", "organisation")
    if location == "organisation":
        return True
    return allows(dict(ctx.settings.classification_policy), level, location, embedder.name)


def _load(ctx: ApiContext, name: str, stream: IO[bytes], classification: int) -> list[Chunk]:
    """The file's chunks, parsed by the ingest loaders in a sandboxed worker under the upload limits."""
    from assistant.ingesting import load_limits
    from ingest.sandbox import shared_pool

    settings = ctx.settings
    folder = Path(tempfile.mkdtemp(prefix="yakuba-attach-"))
    try:
        path = folder / name
        with path.open("wb") as out:
            shutil.copyfileobj(stream, out)
        loaded = shared_pool(settings.ingest_workers).load(
            path, folder, classification=classification, groups=[],
            chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap, limits=load_limits(settings),
        )  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not loaded.chunks:
        raise YakubaError(
            f"ファイル「{name}」から文章を読み取れませんでした（空のファイルか、画像だけの資料です）。"
        )
    return loaded.chunks


def attach(
    ctx: ApiContext,
    user: User,
    conversation_id: str | None,
    name: str,
    stream: IO[bytes],
    classification: int,
) -> ConversationAttachment:
    """Read the file and keep it with the caller's conversation (a new one when `conversation_id` is None)."""
    if classification > user.clearance:
        raise AccessDenied(
            f"取扱可能な機密性区分（機密性{user.clearance}）を超える区分（機密性{classification}）は指定できません。"
        )
    if conversation_id is not None:
        with ctx.sessions() as session:
            own_conversation(session, user, conversation_id)
    chunks = _load(ctx, name, stream, classification)
    embedder = ctx.stores.ingest_embedder()
    embedded = _embedder_may_see(ctx, embedder, classification)
    with ctx.write_sessions.begin() as session:
        if conversation_id is None:
            conversation_id = create_conversation(session, user).id
        else:
            own_conversation(session, user, conversation_id)
        row = ConversationAttachment(
            conversation_id=conversation_id, user_id=user.id, name=name, classification=classification
        )
        session.add(row)
        session.flush()
        for n, chunk in enumerate(chunks):
            chunk.chunk_id = attachment_chunk_id(row.id, n)
            chunk.source = f"attachments/{row.id}/{name}"
            chunk.title = name
            chunk.classification = classification
            chunk.groups = []
        row.chunks = [c.to_dict() for c in chunks]
        if embedded:
            vectors = np.asarray(embedder.embed_documents([c.search_text for c in chunks]), dtype=np.float32)
            row.vectors, row.embedder, row.dim = vectors.tobytes(), embedder.name, int(vectors.shape[1])
        session.flush()
        session.expunge(row)
    _audit(ctx, user, "attach", row)
    return row


def attachments_of(ctx: ApiContext, user: User, conversation_id: str) -> list[ConversationAttachment]:
    """The attachments of the caller's own conversation, oldest first."""
    with ctx.sessions() as session:
        own_conversation(session, user, conversation_id)
        rows = list(
            session.scalars(
                select(ConversationAttachment)
                .where(ConversationAttachment.conversation_id == conversation_id)
                .order_by(ConversationAttachment.created_at)
            )
        )
        for row in rows:
            session.expunge(row)
    return rows


def remove(ctx: ApiContext, user: User, attachment_id: str) -> ConversationAttachment:
    with ctx.write_sessions.begin() as session:
        row = session.get(ConversationAttachment, attachment_id)
        if row is None or row.user_id != user.id:
            raise RecordNotFound(NOT_FOUND)
        own_conversation(session, user, row.conversation_id)
        session.delete(row)
        session.flush()
        session.expunge(row)
    _audit(ctx, user, "detach", row)
    return row


def _audit(ctx: ApiContext, user: User, reason: str, row: ConversationAttachment) -> None:
    append_audit(
        ctx.engine,
        AuditEntry(
            user=user.name, task="attachment", outcome="ok", level=row.classification, reason=reason,
            chunk_ids=[c["chunk_id"] for c in row.chunks or []],
            extra={"attachment": row.id, "conversation": row.conversation_id, "name": row.name,
                   "embedded": row.vectors is not None},
        ),
    )  # fmt: skip


@dataclass
class AttachedIndex:
    """One attachment searched in memory: hybrid when its vectors are the index's embedder's, else BM25."""

    index: LocalIndex
    mode: str


def indexes(ctx: ApiContext, rows: list[ConversationAttachment]) -> list[AttachedIndex]:
    from assistant.retrieval.local_store import build_in_memory
    from assistant.retrieval.query_masking import MaskedQueryEmbedder
    from core.model import Chunk

    if not rows:
        return []
    embedder = ctx.stores.ingest_embedder()
    if getattr(embedder, "data_location", "organisation") != "organisation":
        embedder = MaskedQueryEmbedder(embedder)  # personal data never leaves in a query
    built = []
    for row in rows:
        chunks = [Chunk.from_dict(data) for data in row.chunks or []]
        if not chunks:
            continue
        usable = row.vectors is not None and row.embedder == embedder.name and row.dim == embedder.dim
        vectors = (
            np.frombuffer(row.vectors, dtype=np.float32).reshape(len(chunks), row.dim)
            if usable
            else np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        )
        index = build_in_memory(
            chunks, embedder, vectors=vectors, policy=dict(ctx.settings.classification_policy),
            alpha=ctx.settings.fusion_alpha, pool=ctx.settings.candidate_pool,
        )  # fmt: skip
        built.append(AttachedIndex(index, "hybrid" if usable else "bm25"))
    return built
