"""Japanese-aware chunking of loaded documents.

A document's display text is cut into units — sentences of ordinary lines, whole table rows, whole
lines of `atomic_lines` documents — and the units are packed greedily into chunks of at most `size`
characters. When the next unit does not fit, the chunk ends at its last sentence end (or table
edge) provided it stays at least half full, so that text wrapped over several lines (e-Gov
statutes, PDF pages) is not cut mid-sentence. Chunks never span documents (pages, slides, articles
and records stay apart); the last sentence(s) of a chunk may repeat at the start of the next one; a
table continued in a new chunk gets its header row(s) again.

Hand-written rather than LangChain's text splitters: those split by separators and size only, and
cannot keep a table row whole, repeat a table header, or honour the project's `atomic_lines` flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.model import Chunk, Document, make_chunk_id
from core.sentences import CLOSERS, TERMINATORS, split_pieces
from core.wareki import find_dates
from ingest.normalize import clean_display, normalize_for_search

_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$")


@dataclass
class _Unit:
    text: str
    starts_line: bool  # begins a line of the source text (a newline precedes it in a chunk)
    blank_before: bool = False  # a blank line preceded that line
    row: bool = False  # table row (or a table's header rows)
    table: int | None = None  # index of the table the row belongs to
    header: bool = False  # the header row(s) of its table


def _bounded_sentences(line: str, size: int) -> list[str]:
    """Sentences of a line, each at most `size` long: brackets are ignored for a sentence that is
    still too long, and a hard cut at `size` is the last resort."""
    result: list[str] = []
    for sentence in split_pieces(line):
        if len(sentence) <= size:
            result.append(sentence)
            continue
        for piece in split_pieces(sentence, respect_brackets=False):
            result.extend(piece[i : i + size] for i in range(0, len(piece), size))
    return result


def _units(text: str, *, atomic_lines: bool, size: int) -> tuple[list[_Unit], dict[int, _Unit]]:
    """Cut display text into units; also return each table's header unit by table index."""
    units: list[_Unit] = []
    headers: dict[int, _Unit] = {}
    lines = text.split("\n")
    blank_before = False
    table: int | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            blank_before, table, i = True, None, i + 1
            continue
        if line.lstrip().startswith("|"):
            if table is None:
                table = len(headers)
                header_text = line
                if i + 1 < len(lines) and _TABLE_SEPARATOR.match(lines[i + 1].strip()):
                    header_text, i = f"{line}\n{lines[i + 1]}", i + 1
                headers[table] = _Unit(header_text, True, blank_before, row=True, table=table, header=True)
                units.append(headers[table])
            else:
                units.append(_Unit(line, True, blank_before, row=True, table=table))
        else:
            table = None
            pieces = [line] if atomic_lines else _bounded_sentences(line, size)
            units.append(_Unit(pieces[0], True, blank_before))
            units.extend(_Unit(piece, False) for piece in pieces[1:])
        blank_before, i = False, i + 1
    return units, headers


def _join(units: list[_Unit]) -> str:
    parts: list[str] = []
    for n, unit in enumerate(units):
        if n and unit.starts_line:
            parts.append("\n\n" if unit.blank_before else "\n")
        parts.append(unit.text)
    return "".join(parts).strip()


def _ends_sentence(unit: _Unit) -> bool:
    return unit.text.rstrip().rstrip(CLOSERS).endswith(tuple(TERMINATORS))


def _clean_cut(before: _Unit, after: _Unit) -> bool:
    """A boundary between two units that splits no sentence: after a sentence end, at either end
    of a table, or between rows (the header is repeated)."""
    if after.header or before.row or after.row:
        return True
    return _ends_sentence(before)


def _cut_point(current: list[_Unit], repeats: int, following: _Unit, size: int) -> int:
    """Where to end the chunk `current` when `following` no longer fits: the last clean cut that
    keeps the chunk at least half full, else after the last unit (but never right after a header)."""
    for cut in range(len(current), repeats, -1):
        after = current[cut] if cut < len(current) else following
        if len(_join(current[:cut])) < size // 2:
            break
        if _clean_cut(current[cut - 1], after):
            return cut
    return len(current) - 1 if current[-1].header else len(current)


def _continues_table(unit: _Unit) -> bool:
    return unit.row and not unit.header and unit.table is not None


def _pack(units: list[_Unit], headers: dict[int, _Unit], size: int, overlap: int) -> list[str]:
    """Greedy packing that backs off to a clean cut. The current chunk starts with `repeats` units
    repeated from the previous chunk (overlap sentences or a table header); the rest are fresh."""
    texts: list[str] = []
    current: list[_Unit] = []
    repeats = 0
    for unit in units:
        while len(current) > repeats and len(_join([*current, unit])) > size:
            if current[-1].header and len(current) - repeats == 1:
                # Only a table header so far: keep it with its first row rather than alone.
                current, repeats = [current[-1]], 0
                break
            cut = _cut_point(current, repeats, unit, size)
            emitted, carried = current[:cut], current[cut:]
            texts.append(_join(emitted))
            first = carried[0] if carried else unit
            if _continues_table(first):
                prefix = [headers[first.table]]  # type: ignore[index]
            else:
                prefix = _overlap(emitted, [*carried, unit], size, overlap)
            current, repeats = [*prefix, *carried], len(prefix)
        current.append(unit)
    if len(current) > repeats:
        texts.append(_join(current))
    return texts


def _overlap(previous: list[_Unit], following: list[_Unit], size: int, overlap: int) -> list[_Unit]:
    """The last `overlap` non-table units of the previous chunk, if they fit with what follows."""
    repeated: list[_Unit] = []
    for unit in reversed(previous):
        if unit.row or len(repeated) == overlap:
            break
        repeated.insert(0, unit)
    while repeated and len(_join([*repeated, *following])) > size:
        repeated.pop(0)
    return repeated


def _prefix(doc: Document) -> str:
    path = [part for part in [doc.title, *doc.section] if part]
    if doc.article and doc.article not in path:
        path.append(doc.article)
    return " > ".join(dict.fromkeys(path))


def chunk_documents(docs: list[Document], size: int = 400, overlap: int = 1) -> list[Chunk]:
    """Cut documents into chunks of at most `size` characters (a table row or an atomic line longer
    than that stays whole). `overlap` sentences repeat across consecutive chunks of one document
    (0 disables). Ordinals count per source across its documents, so chunk ids are stable."""
    if size < 1 or overlap < 0:
        raise ValueError(f"size must be positive and overlap non-negative (got {size}, {overlap})")
    ordinals: dict[str, int] = {}
    chunks: list[Chunk] = []
    for doc in docs:
        units, headers = _units(clean_display(doc.text), atomic_lines=doc.atomic_lines, size=size)
        prefix = _prefix(doc)
        for text in _pack(units, headers, size, overlap):
            ordinal = ordinals.get(doc.source, 0)
            ordinals[doc.source] = ordinal + 1
            chunks.append(
                Chunk(
                    chunk_id=make_chunk_id(doc.source, ordinal, text),
                    text=text,
                    search_text=normalize_for_search(f"{prefix}\n{text}" if prefix else text),
                    source=doc.source,
                    title=doc.title,
                    doc_type=doc.doc_type,
                    page=doc.page,
                    slide=doc.slide,
                    sheet=doc.sheet,
                    section=list(doc.section),
                    article=doc.article,
                    date=doc.date,
                    dates=list(dict.fromkeys([*doc.dates, *find_dates(text)])),
                    fields=dict(doc.fields),
                    classification=doc.classification,
                    groups=list(doc.groups),
                    ordinal=ordinal,
                )
            )
    return chunks
