"""The limits every file is loaded under, and the cheap checks made before a parser sees a file.

A hostile file (a zip bomb, a sheet merged over all of its 17 billion cells, HTML nested 20,000 levels deep, a
PDF of endless empty pages) must cost a bounded amount of time and memory and then be reported, not take the
process down. The loading process (ingest/sandbox.py) enforces time and memory; this module holds the limits
(`current()` inside a load) and the checks on sizes, nesting depth, cells, pages and text that the loaders and
the sandbox make against them. A file past a limit raises FileLimitExceeded: `message` in Japanese for the
user, `detail` in English for the log.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from core.errors import YakubaError
from core.model import Document

MB = 1024 * 1024
ZIP_FORMATS = frozenset({".docx", ".xlsx", ".xlsm", ".pptx"})
HTML_FORMATS = frozenset({".html", ".htm"})
_RATIO_FLOOR = 10 * MB  # members smaller than this unpack to little, whatever their ratio


@dataclass(frozen=True)
class LoadLimits:
    """Per-file limits (Settings: ingest_file_seconds, ingest_file_memory_mb, ingest_max_unpacked_mb …)."""

    seconds: float = 120.0  # wall-clock time to load and chunk one file
    memory_mb: int = 2048  # address space of the loading process
    unpacked_mb: float = 512.0  # declared uncompressed size of a DOCX/XLSX/PPTX archive, all members
    max_ratio: float = 400.0  # compression ratio of one archive member over _RATIO_FLOOR
    max_depth: int = 512  # element nesting of an HTML page
    max_cells: int = 2_000_000  # cells of one worksheet's used range
    max_pages: int = 10_000  # pages of a PDF
    max_text_chars: int = 3_000_000  # characters extracted from one file


class FileLimitExceeded(YakubaError):
    """A file past a load limit: skipped. `message` is for the user (Japanese), `detail` for the log."""

    def __init__(self, message: str, detail: str, peak_mb: float | None = None):
        super().__init__(message)
        self.detail = detail
        self.peak_mb = peak_mb


_CURRENT: ContextVar[LoadLimits | None] = ContextVar("load_limits", default=None)


def current() -> LoadLimits:
    """The limits of the load in progress (the defaults outside one)."""
    return _CURRENT.get() or LoadLimits()


@contextmanager
def applied(limits: LoadLimits) -> Iterator[None]:
    token = _CURRENT.set(limits)
    try:
        yield
    finally:
        _CURRENT.reset(token)


_DAMAGED = "ファイルが壊れているか、不正に作られたおそれがあります。"


def check_before_parsing(path: Path, limits: LoadLimits) -> None:
    """Refuse, before any parser runs, an Office archive that unpacks to too much and HTML nested too deep."""
    suffix = path.suffix.lower()
    if suffix in ZIP_FORMATS:
        check_archive(path, limits)
    elif suffix in HTML_FORMATS:
        check_html_depth(path.read_bytes(), limits)


def check_archive(path: Path, limits: LoadLimits) -> None:
    """Declared uncompressed sizes of a DOCX/XLSX/PPTX archive. They can be trusted: Python's zipfile never
    returns more than a member's declared size (a lying member fails its CRC check instead)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # not an archive at all: the loader reports the damage in its own words
    total = sum(member.file_size for member in members)
    if total > limits.unpacked_mb * MB:
        raise FileLimitExceeded(
            f"展開後のデータ量（{total / MB:,.0f} MB）が上限（{limits.unpacked_mb:g} MB）を超えるため、"
            f"読み込みを中止しました。{_DAMAGED}",
            f"archive unpacks to {total / MB:.0f} MB, over the {limits.unpacked_mb:g} MB limit",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
            raise FileLimitExceeded(
                f"圧縮率が異常に高い部分（{member.filename}、約{ratio:,.0f}倍）を含むため、読み込みを中止しました。"
                f"{_DAMAGED}",
                f"member {member.filename} has a compression ratio of {ratio:.0f}, over {limits.max_ratio:g}",
            )


# Elements without content, and elements a browser closes when the same element opens again: counted as
# nesting they would make an ordinary page of unclosed <p> or <li> look deep.
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr basefont frame keygen".split()
)
_SELF_CLOSING = frozenset("p li dt dd tr td th option optgroup thead tbody tfoot colgroup rt rp".split())


class _DepthScanner(HTMLParser):
    """Tracks the open-element stack the way a browser roughly would; stops at the first level past `limit`.

    Hand-written over the standard library's tokenizer (linear in the input): the HTML loader's tree builder
    and its recursive walk are what cost time and stack on deep input, so the depth is measured before them."""

    def __init__(self, limit: int):
        super().__init__(convert_charrefs=False)
        self.limit = limit
        self.stack: list[str] = []
        self.deepest = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _VOID:
            return
        if tag in _SELF_CLOSING and tag in self.stack[-3:]:
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]
        self.stack.append(tag)
        self.deepest = max(self.deepest, len(self.stack))
        if self.deepest > self.limit:
            raise _TooDeep

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]


class _TooDeep(Exception):
    pass


def check_html_depth(data: bytes, limits: LoadLimits) -> None:
    """Refuse HTML nested deeper than `limits.max_depth` (tag names are ASCII in any encoding HTML is written
    in, so the bytes are scanned as Latin-1 without detecting the encoding)."""
    scanner = _DepthScanner(limits.max_depth)
    try:
        scanner.feed(data.decode("latin-1"))
        scanner.close()
    except _TooDeep:
        raise FileLimitExceeded(
            f"要素の入れ子が深すぎる（上限{limits.max_depth:,}階層）ため、読み込みを中止しました。{_DAMAGED}",
            f"HTML nested deeper than {limits.max_depth} levels",
        ) from None


def check_cells(count: int, sheet: str) -> None:
    """A worksheet's used range must stay within `max_cells` (counted while its rows are read)."""
    limit = current().max_cells
    if count > limit:
        raise FileLimitExceeded(
            f"シート「{sheet}」のセル数が上限（{limit:,}セル）を超えるため、読み込みを中止しました。"
            "シートを分けて登録してください。",
            f"sheet {sheet!r} has more than {limit} cells",
        )


def check_pages(count: int) -> None:
    limit = current().max_pages
    if count > limit:
        raise FileLimitExceeded(
            f"ページ数（{count:,}ページ）が上限（{limit:,}ページ）を超えるため、読み込みを中止しました。"
            "ファイルを分けて登録してください。",
            f"{count} pages, over the {limit} page limit",
        )


def check_text(documents: list[Document], limits: LoadLimits) -> None:
    """The text a file yields must stay within `max_text_chars` (chunking and embedding cost grow with it)."""
    total = sum(len(doc.text) for doc in documents)
    if total > limits.max_text_chars:
        raise FileLimitExceeded(
            f"抽出した本文（{total:,}字）が上限（{limits.max_text_chars:,}字）を超えるため、読み込みを中止しました。"
            "ファイルを分けて登録してください。",
            f"{total} characters of text, over the {limits.max_text_chars} limit",
        )
