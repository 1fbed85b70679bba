"""Documents: the sources the caller may see, and uploads ingested into the index.

Each uploaded file is kept in a folder of its own, `$YAKUBA_HOME/uploads/<upload id>/`, ingested as that folder,
so its source name (`<upload id>/<file name>`) never collides with another upload of the same file name, and an
administrator can delete, replace or reclassify it alone (assistant/document_admin.py).

The files are parsed (in worker processes under the ingest limits, see ingest/sandbox.py) before the upload
lock is taken: a slow or hostile file delays only its own request, never another user's upload.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi import Path as Path_

from assistant.api.access import user_filters
from assistant.api.context import ApiContext
from assistant.api.deps import AdminUser, ContextDep, CurrentUser, RateLimitedUser
from assistant.api.docsusage_schemas import DocumentActionOut, LabelsOut, ReclassifyIn
from assistant.api.errors import IngestFailed, InvalidInput, error_responses
from assistant.api.schemas import DocumentList, DocumentOut, IngestSummaryOut
from assistant.document_admin import (
    UPLOAD_ID,
    ActionResult,
    DocumentAdmin,
    new_upload_id,
    upload_file,
    upload_parts,
    uploaded_at,
)
from assistant.records.models import User
from core.errors import AccessDenied, FileTooLarge, UnsupportedFile

if TYPE_CHECKING:
    from assistant.retrieval.doc_summaries import SourceSummary
    from ingest.summary import IngestSummary

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
    summaries = store.documents(user_filters(user)) if store is not None else []
    documents = [_document(ctx, s) for s in summaries]
    return DocumentList(documents=sorted(documents, key=lambda d: (d.uploaded_at is None, d.source)))


RECORDS_TITLE = "{name}（照会記録 {count}件）"


def _document(ctx: ApiContext, summary: SourceSummary) -> DocumentOut:
    """A file as the listing shows it: no folder names (an upload's id is its date, shown as such)."""
    upload = upload_parts(summary.source)
    path = upload_file(ctx.settings.home, summary.source) if upload else None
    name = PurePosixPath(summary.source).name
    title = summary.title if summary.records is None else RECORDS_TITLE.format(name=name, count=summary.records)
    return DocumentOut(
        source=summary.source, title=title, file_name=name, doc_type=summary.doc_type,
        classification=summary.classification, groups=summary.groups, chunks=summary.chunks,
        records=summary.records, uploaded=path is not None, uploaded_at=uploaded_at(upload[0]) if path else None,
        updated_at=datetime.fromtimestamp(path.stat().st_mtime, UTC) if path else None,
    )  # fmt: skip


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
    folders = [ctx.settings.home / "uploads" / new_upload_id() for _ in names]  # one folder per file
    try:
        for folder, name, upload in zip(folders, names, files, strict=True):
            folder.mkdir(parents=True)
            with (folder / name).open("wb") as out:
                shutil.copyfileobj(upload.file, out)
        settings = ctx.settings
        pipeline = build_pipeline(
            settings, ctx.stores.index_dir, labels,
            embedder=ctx.stores.ingest_embedder(), max_file_mb=settings.max_upload_mb,
        )  # fmt: skip
        prepared = pipeline.prepare(folders)  # parsed in worker processes, before the lock
        with ctx.upload_lock:  # one ingest at a time writes the next index generation
            summary = pipeline.run(folders, prepared=prepared)
    except BaseException:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    kept = {source.partition("/")[0] for source in _ingested(summary, folders)}
    for folder in folders:
        if folder.name not in kept:  # nothing of it reached the index
            shutil.rmtree(folder, ignore_errors=True)
    if summary.files_ingested == 0:
        reasons = "; ".join(
            f"{i.source.partition('/')[2]}: {i.reason}" for i in summary.failed + summary.skipped
        )
        raise IngestFailed(f"ファイルを登録できませんでした（{reasons or '抽出できる本文がありません'}）。")
    return summary_out(ctx, user, summary)


def _ingested(summary: IngestSummary, folders: list[Path]) -> set[str]:
    issues = {i.source for i in summary.failed + summary.skipped}
    return {f"{f.name}/{p.name}" for f in folders for p in f.iterdir()} - issues


def summary_out(ctx: ApiContext, user: User, summary: IngestSummary) -> IngestSummaryOut:
    data = summary.to_dict()
    data.pop("index_dir")  # a server path: not the client's business
    store = ctx.stores.get_or_none()
    # the index's size would tell the uploader about chunks they may not see: count only their own view
    data["chunks_total"] = store.count(user_filters(user)) if store is not None else 0
    return IngestSummaryOut(**data)


# --- administrators: delete, replace, reclassify an uploaded file --------------------------------------------
# The file is named by its upload id and file name (its source is `<upload id>/<file name>`); files ingested
# with the CLI from other folders answer 409 with how to change them there (see assistant/document_admin.py).

UploadId = Annotated[
    str, Path_(pattern=UPLOAD_ID.pattern, description="The upload id (first part of `source`).")
]
FileName = Annotated[str, Path_(min_length=1, max_length=MAX_NAME_BYTES, description="The file name.")]
ACTION_ERRORS = error_responses(401, 403, 404, 409, 413, 422, 503)


def _action_out(ctx: ApiContext, user: User, result: ActionResult) -> DocumentActionOut:
    return DocumentActionOut(
        action=result.action, file_name=result.file_name, old=LabelsOut(**result.old),
        new=LabelsOut(**result.new) if result.new else None, summary=summary_out(ctx, user, result.summary),
    )  # fmt: skip


@router.delete("/{upload_id}/{name}", response_model=DocumentActionOut, responses=ACTION_ERRORS)
def delete_document(
    user: AdminUser, ctx: ContextDep, upload_id: UploadId, name: FileName
) -> DocumentActionOut:
    """Delete an uploaded file: it leaves the uploads folder and the index (administrators; audited)."""
    return _action_out(ctx, user, DocumentAdmin(ctx, user, upload_id, name).delete())


@router.put("/{upload_id}/{name}", response_model=DocumentActionOut, responses=ACTION_ERRORS)
def replace_document(
    user: AdminUser,
    ctx: ContextDep,
    upload_id: UploadId,
    name: FileName,
    file: Annotated[UploadFile, File(description="The new version; its name must be the file's name.")],
) -> DocumentActionOut:
    """Replace an uploaded file by a new version of the same name, ingested with the same labels
    (administrators; audited). A new version that cannot be read leaves the old one in place (422)."""
    given = _file_name(ctx, file)
    if given != name:
        raise InvalidInput(
            f"差し替えるファイルの名前（{given}）が元のファイル名（{name}）と異なります。"
            "同じ名前のファイルを選んでください。別の文書は新規に登録してください。",
            [
                {
                    "loc": ["body", "file"],
                    "msg": "file name differs from the document's",
                    "type": "value_error",
                }
            ],
        )
    return _action_out(ctx, user, DocumentAdmin(ctx, user, upload_id, name).replace(file.file))


@router.patch("/{upload_id}/{name}", response_model=DocumentActionOut, responses=ACTION_ERRORS)
def reclassify_document(
    user: AdminUser, ctx: ContextDep, upload_id: UploadId, name: FileName, body: ReclassifyIn
) -> DocumentActionOut:
    """Change the 機密性 (up or down, within the administrator's clearance) and access groups of an uploaded
    file; the index is updated before the answer (administrators; audited with the old and new labels)."""
    from ingest.labels import Labels

    _check_rights(ctx, user, body.classification, tuple(body.groups))
    labels = Labels(classification=body.classification, groups=tuple(body.groups))
    return _action_out(ctx, user, DocumentAdmin(ctx, user, upload_id, name).reclassify(labels))
