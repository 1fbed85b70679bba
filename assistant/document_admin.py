"""Delete, replace and reclassify uploaded documents (administrators, through the API).

Only files uploaded through the API are managed here: each lives in `$YAKUBA_HOME/uploads/<upload id>/<name>`
and is indexed as the source `<upload id>/<name>`. Files ingested by `yakuba ingest` from other folders belong to
whoever keeps those folders and are changed there, with the CLI; nothing outside the uploads folder is deleted.

Every change goes through the ingest pipeline on the upload folder, so it works for every index store:
the pipeline drops files that disappeared from the folder and re-ingests changed ones. An upload folder holds
no sidecar, so the run's labels ARE the file's labels: reclassifying (up or down) is a run with the new labels.
Since a run labels every file in the folder, a folder with several files (uploaded together, before uploads
got one folder per file) shares one set of labels and cannot be reclassified file by file.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from assistant.api.access import may_see
from assistant.records.audit_log import AuditEntry, append_audit
from assistant.retrieval.stores import chunks_of
from core.errors import RecordConflict, RecordNotFound

if TYPE_CHECKING:
    from assistant.api.context import ApiContext
    from assistant.records.models import User
    from ingest.labels import Labels
    from ingest.summary import IngestSummary

Action = Literal["delete", "replace", "reclassify"]
UPLOAD_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{8}$")
NOT_FOUND = "指定された文書は見つかりません。一覧を更新してから、もう一度操作してください。"
SHARED_FOLDER = (
    "このファイルは他のファイルと同時に登録されたため、機密性・閲覧範囲だけを変更することはできません。"
    "このファイルを削除してから、新しい機密性・閲覧範囲で登録し直してください。"
)


def new_upload_id() -> str:
    import secrets

    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"


def upload_parts(source: str) -> tuple[str, str] | None:
    """(upload id, file name) of a source indexed from the uploads folder, else None."""
    parts = source.split("/")
    if len(parts) == 2 and UPLOAD_ID.match(parts[0]) and parts[1] and not parts[1].startswith("."):
        return parts[0], parts[1]
    return None


def uploaded_at(upload_id: str) -> datetime:
    return datetime.strptime(upload_id[:15], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)


def upload_file(home: Path, source: str) -> Path | None:
    """The file of an uploaded source, when it is still in the uploads folder."""
    parts = upload_parts(source)
    if parts is None:
        return None
    path = home / "uploads" / parts[0] / parts[1]
    return path if path.is_file() else None


@dataclass(frozen=True)
class ActionResult:
    action: Action
    source: str
    file_name: str
    old: dict[str, Any]
    new: dict[str, Any] | None  # None after a delete
    summary: IngestSummary


def _labels_dict(labels: Labels) -> dict[str, Any]:
    return {"classification": labels.classification, "groups": list(labels.groups)}


class DocumentAdmin:
    """One administrator's action on one uploaded file, with the index updated before it returns."""

    def __init__(self, ctx: ApiContext, user: User, upload_id: str, name: str):
        from ingest.labels import Labels

        self.ctx, self.user = ctx, user
        self.source = f"{upload_id}/{name}"
        store = ctx.stores.get_or_none()
        entry = (store.manifest.get("files") or {}).get(self.source) if store is not None else None
        chunks = chunks_of(store, self.source) if entry else []
        # the same 404 for a file that does not exist and one the administrator may not see
        if upload_parts(self.source) is None or not chunks or not all(may_see(user, c) for c in chunks):
            raise RecordNotFound(NOT_FOUND)
        self.folder = ctx.settings.home / "uploads" / upload_id
        self.path = self.folder / name
        if not self.path.is_file():
            raise RecordNotFound(NOT_FOUND)
        self.name = name
        self.old = Labels(int(entry["classification"]), tuple(entry.get("groups") or ()))
        self.shared = any(p != self.path and not p.name.startswith(".") for p in self.folder.iterdir())

    def _run(self, labels: Labels) -> IngestSummary:
        from assistant.ingesting import build_pipeline

        settings = self.ctx.settings
        pipeline = build_pipeline(
            settings, self.ctx.stores.index_dir, labels,
            embedder=self.ctx.stores.ingest_embedder(), max_file_mb=settings.max_upload_mb,
        )  # fmt: skip
        prepared = pipeline.prepare([self.folder])  # parsed before the lock, as uploads are
        with self.ctx.upload_lock:
            return pipeline.run([self.folder], prepared=prepared)

    def _audit(self, action: Action, new: Labels | None, *, error: str | None = None, **extra: Any) -> None:
        append_audit(
            self.ctx.engine,
            AuditEntry(
                user=self.user.name, task="document", outcome="error" if error else "ok", reason=action,
                level=max(self.old.classification, new.classification if new else 0), error=error,
                extra={"source": self.source, "file_name": self.name, "old": _labels_dict(self.old),
                       "new": _labels_dict(new) if new else None, **extra},
            ),
        )  # fmt: skip

    def _result(self, action: Action, new: Labels | None, summary: IngestSummary) -> ActionResult:
        self._audit(action, new, files_removed=summary.files_removed, files_ingested=summary.files_ingested)
        return ActionResult(
            action,
            self.source,
            self.name,
            _labels_dict(self.old),
            _labels_dict(new) if new else None,
            summary,
        )

    def delete(self) -> ActionResult:
        """The file leaves the uploads folder and the index."""
        aside = self.folder / f".deleting-{self.name}"  # hidden: the run no longer sees it
        self.path.rename(aside)
        try:
            summary = self._run(self.old)  # the folder's other files (if any) keep the labels they share
        except BaseException as exc:
            aside.rename(self.path)
            self._audit("delete", None, error=str(exc)[:300])
            raise
        aside.unlink()
        if not any(self.folder.iterdir()):
            shutil.rmtree(self.folder, ignore_errors=True)
        return self._result("delete", None, summary)

    def replace(self, content: Any) -> ActionResult:
        """A new version of the file (same name, same labels) is ingested in place of the old one; if the new
        version cannot be read, the old one stays, on disk and in the index."""
        from assistant.api.errors import IngestFailed

        backup = self.folder / f".previous-{self.name}"
        self.path.rename(backup)
        try:
            with self.path.open("wb") as out:
                shutil.copyfileobj(content, out)
            summary = self._run(self.old)
        except BaseException as exc:
            backup.replace(self.path)
            self._audit("replace", self.old, error=str(exc)[:300])
            raise
        failed = [i.reason for i in summary.failed + summary.skipped if i.source == self.source]
        if failed:
            backup.replace(self.path)  # the index kept the old version: so does the folder
            self._audit("replace", self.old, error="; ".join(failed)[:300])
            raise IngestFailed(
                f"新しいファイルを読み取れなかったため、差し替えませんでした（{'; '.join(failed)}）。"
                "元の文書はそのまま検索できます。"
            )
        backup.unlink()
        return self._result("replace", self.old, summary)

    def reclassify(self, labels: Labels) -> ActionResult:
        """New 機密性 and access groups (up or down): the folder is ingested again with them as the run's labels."""
        if self.shared:
            raise RecordConflict(SHARED_FOLDER)
        return self._result("reclassify", labels, self._run(labels))
