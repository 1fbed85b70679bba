"""Loader registry: `load_file(path)` picks the loader for a file by its extension.

Each loader module turns one format into `list[Document]` (see core/model.py for the conventions)
and imports its format library lazily, so importing this package stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from core.errors import UnsupportedFile
from core.model import Document

Loader = Callable[[Path, str], list[Document]]

# extension → (module under ingest.loaders, function name)
_LOADERS: dict[str, tuple[str, str]] = {
    ".pdf": ("pdf", "load"),
    ".docx": ("docx", "load"),
    ".xlsx": ("xlsx", "load"),
    ".xlsm": ("xlsx", "load"),
    ".pptx": ("pptx", "load"),
    ".html": ("html", "load"),
    ".htm": ("html", "load"),
    ".md": ("text", "load_markdown"),
    ".markdown": ("text", "load_markdown"),
    ".txt": ("text", "load_plain"),
    ".csv": ("records", "load_csv"),
    ".jsonl": ("records", "load_jsonl"),
}
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_LOADERS)

# Legacy binary Office formats: say how to make them readable rather than just "unsupported".
_CONVERT_HINTS = {".doc": ".docx", ".xls": ".xlsx", ".ppt": ".pptx", ".rtf": ".docx"}


def load_file(path: Path, root: Path | None = None) -> list[Document]:
    """Load one file into Documents. `source` is the path relative to `root` (posix) when given.

    Raises UnsupportedFile (unknown or legacy format, binary text file), CorruptFile (damaged,
    truncated, encrypted or empty PDF/DOCX/XLSX/PPTX) or ColumnMappingError (an inquiry-record table
    whose headers cannot be mapped).
    """
    path = Path(path)
    source = _source(path, root)
    loader = _loader_for(path, source)
    return loader(path, source)


def _loader_for(path: Path, source: str) -> Loader:
    suffix = path.suffix.lower()
    if suffix in _CONVERT_HINTS:
        raise UnsupportedFile(
            f"{source} is in the old {suffix} format, which cannot be read. Save it as "
            f"{_CONVERT_HINTS[suffix]} and ingest it again."
        )
    if suffix not in _LOADERS:
        supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise UnsupportedFile(
            f"{source}: files of type '{suffix or '(no extension)'}' cannot be ingested. "
            f"Supported types: {supported}."
        )
    if suffix in (".xlsx", ".xlsm"):
        from ingest.loaders.records import load_xlsx, looks_like_records

        if looks_like_records(path):
            return load_xlsx
    module, name = _LOADERS[suffix]
    return getattr(import_module(f"ingest.loaders.{module}"), name)


def _source(path: Path, root: Path | None) -> str:
    if root is not None:
        for resolve in (Path.absolute, Path.resolve):
            try:
                return resolve(path).relative_to(resolve(Path(root))).as_posix()
            except ValueError:
                continue
    return path.as_posix()
