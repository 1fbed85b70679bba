"""Documents: the sources the caller may see, and uploads ingested into the index.

An upload is kept under `$YAKUBA_HOME/uploads/<upload id>/` and ingested as that folder, so its
source name (`<upload id>/<file name>`) never collides with another upload of the same file name.

The files are parsed (in worker processes under the ingest limits, see ingest/sandbox.py) before the upload
lock is taken: a slow or hostile file delays only its own request, never another user's upload.
"""

from __future__ import annotations

import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from assistant.api.access import may_see
from assistant.api.context import ApiContext
from assistant.api.deps import ContextDep, CurrentUser, RateLimitedUser
from assistant.api.errors import IngestFailed, InvalidInput, error_responses
from assistant.api.schemas import DocumentList, DocumentOut, IngestSummaryOut
from assistant.records.models import User
from core.errors import AccessDenied, FileTooLarge, UnsupportedFile

router = APIRouter(prefix="/documents", tags=["documents"])
UPLOAD_OVERHEAD_BYTES = 64 * 1024  # multipart headers and form fields around the files
MAX_NAME_BYTES = 240  # file systems allow 255 bytes per name (UTF-8: about 80 Japanese characters)


def upload_body_limit(max_upload_mb: float) -> int:
    """The request body limit of POST /documents (the other routes take `max_body_kb`)."""
    return int(max_upload_mb * 1024 * 1024) + UPLOAD_OVERHEAD_BYTES


@router.get("", response_model=DocumentList, responses=error_responses(401))
def list_documents(user: CurrentUser, ctx: ContextDep) -> DocumentList:
    """Source files with at least one chunk the caller may see (nothing is said about the others)."""
    store = ctx.stores.get_or_none()
    found: dict[str, DocumentOut] = {}
    for chunk in store.chunks if store is not None else []:
        if not may_see(user, chunk):
            continue
        entry = found.get(chunk.source)
        if entry is None:
            found[chunk.source] = DocumentOut(
                source=chunk.source, title=chunk.title, doc_type=chunk.doc_type,
                classification=chunk.classification, chunks=1,
            )  # fmt: skip
        else:
            entry.chunks += 1
            entry.classification = max(entry.classification, chunk.classification)
    return DocumentList(documents=sorted(found.values(), key=lambda d: d.source))


def _check_rights(ctx: ApiContext, user: User, classification: int, groups: tuple[str, ...]) -> None:
    if not user.is_admin and not set(user.groups or []) & set(ctx.settings.upload_groups):
        raise AccessDenied("文書を登録する権限がありません。登録が必要な場合は管理者にお問い合わせください。")
    if classification > user.clearance:
        raise AccessDenied(
            f"取扱可能な機密性区分（機密性{user.clearance}）を超える区分（機密性{classification}）では登録できません。"
        )
    outside = sorted(set(groups) - set(user.groups or []))
    if outside and not user.is_admin:
        raise AccessDenied(
            f"所属していないグループ（{'、'.join(outside)}）を閲覧範囲に指定することはできません。"
        )


def _file_name(ctx: ApiContext, upload: UploadFile) -> str:
    from ingest.loaders import SUPPORTED_EXTENSIONS

    name = Path((upload.filename or "").replace("\\", "/")).name
    if len(name.encode("utf-8")) > MAX_NAME_BYTES or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InvalidInput(
            f"ファイル名が長すぎるか、使用できない文字を含んでいます（{len(name):,}文字）。"
            f"ファイル名を{MAX_NAME_BYTES // 3}文字程度までに短くし、制御文字を除いてから登録してください。",
            [{"loc": ["body", "files"], "msg": f"file name over {MAX_NAME_BYTES} bytes or with control characters",
              "type": "value_error"}],
        )  # fmt: skip
    allowed = sorted({t.lower() for t in ctx.settings.allowed_upload_types} & SUPPORTED_EXTENSIONS)
    suffix = Path(name).suffix.lower()
    if not name or name.startswith(".") or suffix not in allowed:
        raise UnsupportedFile(
            f"ファイル「{name or '（名前なし）'}」の形式は登録できません。登録できる形式: {'、'.join(allowed)}"
        )
    limit = ctx.settings.max_upload_mb * 1024 * 1024
    if upload.size is not None and upload.size > limit:
        raise FileTooLarge(
            f"ファイル「{name}」は上限（{ctx.settings.max_upload_mb:g} MB）を超えているため登録できません。"
        )
    return name


@router.post(
    "",
    response_model=IngestSummaryOut,
    responses=error_responses(401, 403, 413, 415, 422, 429, 503),
)
def upload_documents(
    user: RateLimitedUser,
    ctx: ContextDep,
    files: Annotated[
        list[UploadFile], File(description="One or more files (pdf, docx, xlsx, pptx, html, md, txt, csv).")
    ],
    classification: Annotated[
        int, Form(ge=1, le=3, description="機密性 level of the files (≤ the caller's clearance).")
    ] = 1,
    groups: Annotated[
        str,
        Form(
            description="Access groups, comma-separated; empty = everyone. Must be "
            "the caller's own groups unless the caller is an administrator."
        ),
    ] = "",
) -> IngestSummaryOut:
    """Add files to the index with the given labels; returns the ingest summary.

    Only administrators and members of a configured uploader group may upload."""
    from assistant.ingesting import build_pipeline
    from ingest.labels import Labels, parse_groups

    labels = Labels(classification=classification, groups=parse_groups(groups))
    _check_rights(ctx, user, labels.classification, labels.groups)
    names = [_file_name(ctx, upload) for upload in files]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = ctx.settings.home / "uploads" / f"{stamp}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    try:
        for name, upload in zip(names, files, strict=True):
            with (folder / name).open("wb") as out:
                shutil.copyfileobj(upload.file, out)
        settings = ctx.settings
        pipeline = build_pipeline(
            settings, ctx.stores.index_dir, labels,
            embedder=ctx.stores.ingest_embedder(), max_file_mb=settings.max_upload_mb,
        )  # fmt: skip
        prepared = pipeline.prepare([folder])  # parsed in worker processes, before the lock
        with ctx.upload_lock:  # one ingest at a time writes the next index generation
            summary = pipeline.run([folder], prepared=prepared)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if summary.files_ingested == 0:
        shutil.rmtree(folder, ignore_errors=True)
        reasons = "; ".join(
            f"{i.source.partition('/')[2]}: {i.reason}" for i in summary.failed + summary.skipped
        )
        raise IngestFailed(f"ファイルを登録できませんでした（{reasons or '抽出できる本文がありません'}）。")
    data = summary.to_dict()
    data.pop("index_dir")  # a server path: not the client's business
    store = ctx.stores.get_or_none()
    # the index's size would tell the uploader about chunks they may not see: count only their own view
    data["chunks_total"] = (
        sum(1 for chunk in store.chunks if may_see(user, chunk)) if store is not None else 0
    )
    return IngestSummaryOut(**data)
