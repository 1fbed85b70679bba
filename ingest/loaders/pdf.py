"""PDF loader: one Document per page that has text (pypdf)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from assistant.errors import CorruptFile
from ingest.model import Document

log = logging.getLogger(__name__)

# Metadata titles that name no real document (reportlab's and Word's defaults).
_PLACEHOLDER_TITLES = {"untitled", "無題"}


def load(path: Path, source: str) -> list[Document]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorruptFile(
                f"{source} is password-protected. Remove the password (save an unprotected copy) "
                "and ingest it again."
            )
        pages = list(reader.pages)
    except CorruptFile:
        raise
    except (FileNotDecryptedError, DependencyError) as exc:  # e.g. AES without the cryptography package
        raise CorruptFile(
            f"{source} is encrypted in a way that cannot be opened ({exc}). Save an unprotected copy "
            "and ingest it again."
        ) from exc
    except Exception as exc:  # pypdf raises many types on malformed input; all mean "damaged"
        raise _damaged(source, exc) from exc

    texts: list[str] = []
    failure: Exception | None = None
    for number, page in enumerate(pages, start=1):
        try:
            texts.append((page.extract_text() or "").strip())
        except Exception as exc:  # one broken content stream must not lose the other pages
            log.warning("%s: page %d could not be read (%s); skipped", source, number, exc)
            texts.append("")
            failure = exc
    if not any(texts):
        if failure is not None:
            raise _damaged(source, failure) from failure
        raise CorruptFile(
            f"{source} has no extractable text (it is probably a scanned image). OCR is not supported: "
            "convert it to a PDF with a text layer and ingest it again."
        )
    first_text = next(text for text in texts if text)
    title = _metadata_title(reader) or _first_line(first_text) or Path(source).stem
    return [
        Document(text=text, source=source, title=title, page=number)
        for number, text in enumerate(texts, start=1)
        if text
    ]


def _damaged(source: str, exc: Exception) -> CorruptFile:
    return CorruptFile(
        f"{source} could not be read as a PDF; it may be damaged or truncated ({type(exc).__name__}: "
        f"{exc}). Open it in a PDF viewer, save it again and re-ingest it."
    )


def _metadata_title(reader: Any) -> str:
    try:
        info = reader.metadata
        title = " ".join(str((info.title if info else None) or "").split())
    except Exception:  # a broken info dictionary must not lose the pages
        return ""
    title = title.removeprefix("Microsoft Word - ")
    return "" if title.lower() in _PLACEHOLDER_TITLES else title


def _first_line(text: str) -> str:
    line = text.splitlines()[0].strip()
    return line if len(line) <= 80 else ""
