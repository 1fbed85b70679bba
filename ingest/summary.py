"""The summary of one ingest run: what happened to every file, printed and written as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

SUMMARY_VERSION = 1


@dataclass
class FileIssue:
    source: str
    reason: str


@dataclass
class IngestSummary:
    index_dir: str = ""
    generation: str | None = None
    files_ingested: int = 0
    files_unchanged: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    files_removed: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_total: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    skipped: list[FileIssue] = field(default_factory=list)
    failed: list[FileIssue] = field(default_factory=list)
    usage_error: str | None = None
    version: int = SUMMARY_VERSION

    @property
    def exit_code(self) -> int:
        """0: all good; 1: some files failed; 2: nothing could be ingested, or a usage error."""
        if self.usage_error:
            return 2
        handled = self.files_ingested + self.files_unchanged + self.files_removed
        if self.files_failed and not handled:
            return 2
        if not handled and not self.files_failed and not self.files_skipped:
            return 2  # no supported file at all under the given paths
        return 1 if self.files_failed else 0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["exit_code"] = self.exit_code
        return data

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")

    def render(self) -> str:
        lines = [
            f"index: {self.index_dir} (generation {self.generation or '-'})",
            f"files: {self.files_ingested} ingested, {self.files_unchanged} unchanged, "
            f"{self.files_skipped} skipped, {self.files_failed} failed, {self.files_removed} removed",
            f"chunks: {self.chunks_added} added, {self.chunks_removed} removed, {self.chunks_total} in index "
            f"({self.chunks_embedded} embedded)",
            f"time: {self.seconds:.1f} s (embedding {self.embed_seconds:.1f} s)",
        ]
        if self.usage_error:
            lines.append(f"error: {self.usage_error}")
        for title, items in (("skipped", self.skipped), ("failed", self.failed)):
            for item in items:
                lines.append(f"  {title}: {item.source}: {item.reason}")
        return "\n".join(lines)
