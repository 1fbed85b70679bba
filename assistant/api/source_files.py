"""The original file of an indexed source: which file it is, whether a user may open it, how it is
served (media type, inline or download, where to open it) and the signed links the web UI hands to
the browser.

A file is served only when (1) the index knows its source and has a manifest entry for it, (2) every
chunk of that source is visible to the user (groups and 機密性, the rule of `access.may_see`), and
(3) it resolves, symlinks followed, to a regular file inside one of the configured source roots whose
size is the one recorded at ingest. Any failure is the same 404, so a refusal says nothing about
whether the document exists.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from assistant.api.access import may_see
from assistant.retrieval.stores import chunks_of
from core.errors import RecordNotFound

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.records.models import User
    from assistant.retrieval.local_store import LocalIndex
    from assistant.retrieval.pg_store import PgIndex
    from core.model import Chunk

NOT_FOUND = "指定された資料の原本は見つかりません。資料の所管課又は管理者にお問い合わせください。"
LINK_EXPIRED = "原本を開くためのリンクの有効期限が切れています。回答の画面から、もう一度開いてください。"
LINK_SALT = "yakuba-source-link"
KEY_FILE = "source-links.key"

# Media types of the formats the loaders read. Only PDF is shown in the browser (its viewer opens at
# `#page=N`); every other format is downloaded: HTML must not run its scripts on the API's origin, and
# text files may be cp932, which a browser would show garbled.
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".html": "text/html",
    ".htm": "text/html",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".jsonl": "application/jsonl",
}
INLINE_SUFFIXES = frozenset({".pdf"})


class LinkExpired(RecordNotFound):
    """A link to an original file whose signature is valid but whose time is up (a 404 like the others)."""


@dataclass(frozen=True)
class SourceFile:
    """An original file a user may open, and where in it the cited chunk is."""

    chunk: Chunk
    path: Path
    level: int  # highest 機密性 among the source's chunks

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.chunk.source).name

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.path.suffix.lower(), "application/octet-stream")

    @property
    def inline(self) -> bool:
        return self.path.suffix.lower() in INLINE_SUFFIXES

    @property
    def fragment(self) -> str:
        """`#page=N` for a PDF page (the browsers' PDF viewers open there); sheets and slides have no
        fragment a browser honours, so the UI shows their location instead."""
        if self.inline and self.chunk.page:
            return f"#page={self.chunk.page}"
        return ""

    @property
    def opens_at(self) -> str | None:
        return "page" if self.fragment else None


def source_roots(settings: Settings) -> list[Path]:
    return list(settings.source_roots) or [settings.home / "uploads", settings.home]


def _resolve(settings: Settings, source: str) -> Path | None:
    relative = PurePosixPath(source)
    if not source or relative.is_absolute() or ".." in relative.parts or "\\" in source or "\x00" in source:
        return None
    for root in source_roots(settings):
        base = Path(root).resolve()
        candidate = (base / relative).resolve()
        if candidate.is_relative_to(base) and candidate.is_file():
            return candidate
    return None


def find_source_file(settings: Settings, store: LocalIndex | PgIndex, user: User, chunk_id: str) -> SourceFile:
    """The original file of chunk `chunk_id` for `user`; RecordNotFound (one message for every reason)."""
    found = store.get([chunk_id]) if chunk_id else []
    if not found:
        raise RecordNotFound(NOT_FOUND)
    chunk = found[0]
    siblings = chunks_of(store, chunk.source)  # on PostgreSQL one indexed query, not a scan of the index
    if not all(may_see(user, c) for c in siblings):
        raise RecordNotFound(NOT_FOUND)
    entry = (store.manifest.get("files") or {}).get(chunk.source)
    path = _resolve(settings, chunk.source) if entry else None
    if path is None or path.stat().st_size != entry.get("size"):  # gone, moved or changed since ingest
        raise RecordNotFound(NOT_FOUND)
    return SourceFile(chunk=chunk, path=path, level=max(c.classification for c in siblings))


# --- signed links ------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _stored_key(path: Path) -> str:
    """The key in `path`, created once with a random value (written aside and linked into place, so
    concurrent API processes agree on one key and none reads a half-written file)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(scratch, path)
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    return path.read_text().strip()


def _serializer(settings: Settings):
    from itsdangerous import URLSafeTimedSerializer

    secret = settings.source_link_secret or _stored_key(settings.home / KEY_FILE)
    return URLSafeTimedSerializer(secret, salt=LINK_SALT)


def sign_link(settings: Settings, user: User, chunk_id: str) -> str:
    """A token that lets `user`'s browser open the file of `chunk_id` for `source_link_minutes`. It is not
    the user's key and grants nothing else; the user's rights are checked again when it is used."""
    return _serializer(settings).dumps({"u": user.name, "c": chunk_id})


def read_link(settings: Settings, token: str) -> tuple[str, str]:
    """(user name, chunk id) of a valid token; LinkExpired or RecordNotFound otherwise."""
    from itsdangerous import BadSignature, SignatureExpired

    try:
        data = _serializer(settings).loads(token, max_age=settings.source_link_minutes * 60)
    except SignatureExpired as exc:
        raise LinkExpired(LINK_EXPIRED) from exc
    except BadSignature as exc:
        raise RecordNotFound(NOT_FOUND) from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), str) or not isinstance(data.get("c"), str):
        raise RecordNotFound(NOT_FOUND)
    return data["u"], data["c"]
