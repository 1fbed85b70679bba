"""PDF loader: one Document per page that has text (pypdf)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.errors import CorruptFile
from core.model import Document
from ingest.limits import FileLimitExceeded, check_pages

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
        check_pages(len(reader.pages))  # before any page is read: a file of endless empty pages stops here
        pages = list(reader.pages)
    except (CorruptFile, FileLimitExceeded):
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
            texts.append(join_wrapped_lines((page.extract_text() or "").strip()))
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


_SENTENCE_END = tuple("。．！？!?」）)：:")
_ITEM_START = tuple("・●○■□◆◇※-－一二三四五六七八九十１２３４５６７８９0123456789(（【第|")


def join_wrapped_lines(text: str) -> str:
    """Undo the PDF's line wrapping inside paragraphs, so words like マイナンバーカード are not cut in two.

    pypdf returns one line per printed line. A line of 25+ characters, as long as the page's longest lines
    (within 80 %), that does not end a sentence was wrapped by the layout, unless the next line starts an item
    or heading. No library does this for Japanese text (there are no spaces to re-flow on), hence the heuristic.
    """
    lines = text.splitlines()
    if len(lines) < 2:
        return text
    full = 0.8 * max(len(line.rstrip()) for line in lines)
    out: list[str] = [lines[0]]
    for line in lines[1:]:
        prev = out[-1].rstrip()
        nxt = line.strip()
        wrapped = (
            prev
            and nxt
            and len(prev) >= max(full, 25)
            and not prev.endswith(_SENTENCE_END)
            and not nxt.startswith(_ITEM_START)
            and "|" not in prev
        )
        if wrapped:
            out[-1] = prev + nxt
        else:
            out.append(line)
    return "\n".join(out)


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
