"""Files are loaded and chunked in child processes with limits, never in the process that asked.

A parser fed a hostile file can run for minutes, take gigabytes or overflow the stack; in the API process it
would take everyone's requests down with it. So `LoaderPool.load` hands the file to a worker process (`python
-c ... serve()`, started with subprocess, which is safe from a threaded server), which loads it under
RLIMIT_AS (memory) and RLIMIT_CPU (a backstop) while the caller waits at most `limits.seconds` and kills it
then. A worker is kept and reused for the next file, so ingesting a folder of many small files pays one process
start, not one per file; a worker that timed out, crashed or ran out of memory is replaced. At most `workers`
files are loaded at once; a caller past that waits for a free worker.

The exchange is length-prefixed JSON over the worker's stdin/stdout (chunks as `Chunk.to_dict()`); the worker
points its own fd 1 at stderr, so nothing a library prints can corrupt a reply.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from core.errors import ColumnMappingError, CorruptFile, UnsupportedFile, YakubaError
from core.model import Chunk
from ingest.limits import MB, FileLimitExceeded, LoadLimits

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">Q")
_ROOT = Path(__file__).resolve().parent.parent
_ERRORS: dict[str, type[YakubaError]] = {
    cls.__name__: cls for cls in (CorruptFile, UnsupportedFile, ColumnMappingError, FileLimitExceeded)
}
_STOPPED = "ファイルが壊れているか、内容が大きすぎるおそれがあります。"


@dataclass
class Loaded:
    chunks: list[Chunk]
    seconds: float
    peak_mb: float | None  # the worker's peak resident memory for this file (Linux), for logs and benchmarks


class _WorkerLost(Exception):
    def __init__(self, why: str, peak_mb: float | None):
        super().__init__(why)
        self.why = why  # "timeout" or "crash"
        self.peak_mb = peak_mb


class _Worker:
    def __init__(self) -> None:
        code = f"import sys; sys.path.insert(0, {str(_ROOT)!r}); from ingest.sandbox import serve; serve()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
        )

    def call(self, job: dict[str, Any], seconds: float) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        try:
            _write_frame(self.proc.stdin, job)
            size = _HEADER.unpack(self._read(_HEADER.size, deadline))[0]
            return json.loads(self._read(size, deadline))
        except TimeoutError:
            raise _WorkerLost("timeout", self.peak_mb()) from None
        except (EOFError, OSError):
            raise _WorkerLost("crash", None) from None

    def _read(self, n: int, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        buf = bytearray()
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
            data = os.read(fd, min(n - len(buf), 1 << 20))
            if not data:
                raise EOFError
            buf += data
        return bytes(buf)

    def peak_mb(self) -> float | None:
        return _peak_mb(f"/proc/{self.proc.pid}/status")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            stream.close()  # type: ignore[union-attr]


class LoaderPool:
    """Worker processes that load files under limits; safe to share between threads."""

    def __init__(self, workers: int = 2):
        self._slots = threading.BoundedSemaphore(max(workers, 1))
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def load(
        self,
        path: Path,
        root: Path | None,
        *,
        classification: int,
        groups: list[str],
        chunk_size: int,
        chunk_overlap: int,
        limits: LoadLimits,
    ) -> Loaded:
        """Load and chunk one file in a worker. Raises the loader's error (CorruptFile, UnsupportedFile …) or
        FileLimitExceeded when the file passed a limit (its worker is then replaced)."""
        job = {
            "path": str(Path(path).absolute()), "root": str(Path(root).absolute()) if root else None,
            "classification": classification, "groups": list(groups), "chunk_size": chunk_size,
            "chunk_overlap": chunk_overlap, "limits": asdict(limits),
        }  # fmt: skip
        started = time.perf_counter()
        with self._slots:
            worker = self._take()
            try:
                reply = worker.call(job, limits.seconds)
            except _WorkerLost as lost:
                worker.close()
                raise _lost_error(lost, Path(path).name, limits) from None
            except BaseException:  # interrupted while waiting: the worker's state is unknown
                worker.close()
                raise
            if reply.get("retire"):
                worker.close()
            else:
                with self._lock:
                    self._idle.append(worker)
        seconds = time.perf_counter() - started
        if not reply["ok"]:
            error = reply["error"]
            if error == "FileLimitExceeded":
                log.warning("%s skipped: %s", path, reply["detail"])
                raise FileLimitExceeded(reply["message"], reply["detail"], reply.get("peak_mb"))
            raise _ERRORS.get(error, YakubaError)(reply["message"])
        chunks = [Chunk.from_dict(data) for data in reply["chunks"]]
        return Loaded(chunks, seconds, reply.get("peak_mb"))

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.proc.poll() is None:
                    return worker
                worker.close()
        return _Worker()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


def _lost_error(lost: _WorkerLost, name: str, limits: LoadLimits) -> FileLimitExceeded:
    if lost.why == "timeout":
        log.warning("%s skipped: loading took longer than %g s; its worker was killed", name, limits.seconds)
        return FileLimitExceeded(
            f"読み込みが制限時間（{limits.seconds:g}秒）内に終わらなかったため、中止しました。{_STOPPED}",
            f"loading took longer than {limits.seconds:g} s",
            lost.peak_mb,
        )
    log.warning("%s skipped: its worker stopped (memory limit %d MB or a crash)", name, limits.memory_mb)
    return FileLimitExceeded(
        f"読み込み中に処理が異常終了したため（メモリ上限 {limits.memory_mb:,} MB）、中止しました。{_STOPPED}",
        f"the worker stopped while loading (memory limit {limits.memory_mb} MB, or a crash)",
    )


_POOLS: dict[int, LoaderPool] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(workers: int = 2) -> LoaderPool:
    """The process's pool with `workers` workers, kept for the process's life (its workers are reused)."""
    with _POOLS_LOCK:
        if workers not in _POOLS:
            _POOLS[workers] = LoaderPool(workers)
        return _POOLS[workers]


@atexit.register
def _close_pools() -> None:
    for pool in list(_POOLS.values()):
        pool.close()


# --- the worker process ---------------------------------------------------------------------------------------


def _write_frame(stream: IO[bytes] | None, data: dict[str, Any]) -> None:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    stream.write(_HEADER.pack(len(body)) + body)  # type: ignore[union-attr]
    stream.flush()  # type: ignore[union-attr]


def _read_frame(stream: IO[bytes]) -> dict[str, Any] | None:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None  # the parent closed the pipe (or died): nothing more to do
    return json.loads(stream.read(_HEADER.unpack(head)[0]))


def serve() -> None:
    """The worker's loop: one job in, one reply out, until the parent closes stdin."""
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the reply stream
    logging.basicConfig(level=logging.WARNING, format="yakuba-loader: %(levelname)s %(name)s: %(message)s")
    while (job := _read_frame(sys.stdin.buffer)) is not None:
        reply = _run(job)
        _write_frame(replies, reply)
        if reply.get("retire"):
            return


def _run(job: dict[str, Any]) -> dict[str, Any]:
    import resource

    limits = LoadLimits(**job["limits"])
    _reset_peak()
    soft_as, hard_as = resource.getrlimit(resource.RLIMIT_AS)
    soft_cpu, hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)
    used = resource.getrusage(resource.RUSAGE_SELF)
    # CPU time is a backstop to the parent's clock (a worker's CPU time adds up over its files)
    cpu_budget = int(used.ru_utime + used.ru_stime + 2 * limits.seconds) + 1
    try:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (_capped(limits.memory_mb * MB, hard_as), hard_as))
            resource.setrlimit(resource.RLIMIT_CPU, (_capped(cpu_budget, hard_cpu), hard_cpu))
            chunks = _load_and_chunk(job, limits)
        finally:  # lifted before anything else runs: the reply itself may need memory
            resource.setrlimit(resource.RLIMIT_AS, (soft_as, hard_as))
            resource.setrlimit(resource.RLIMIT_CPU, (soft_cpu, hard_cpu))
        reply: dict[str, Any] = {"ok": True, "chunks": [c.to_dict() for c in chunks]}
    except FileLimitExceeded as exc:
        reply = {"ok": False, "error": "FileLimitExceeded", "message": exc.message, "detail": exc.detail}
    except MemoryError:
        reply = _out_of_memory(limits)
    except RecursionError:
        reply = {"ok": False, "error": "FileLimitExceeded", "retire": True, "detail": "nesting too deep",
                 "message": f"ファイルの構造の入れ子が深すぎるため、読み込みを中止しました。{_STOPPED}"}  # fmt: skip
    except YakubaError as exc:
        if _ran_out_of_memory(exc, limits):  # a loader reported the failed allocation as damage
            reply = _out_of_memory(limits)
        else:
            reply = {"ok": False, "error": type(exc).__name__, "message": exc.message}
    except Exception as exc:  # a loader bug must not stop the run; the reason is kept, the traceback logged
        logging.getLogger(__name__).exception("unexpected error while loading %s", job["path"])
        reason = f"unexpected error: {type(exc).__name__}: {exc}"
        reply = {"ok": False, "error": "YakubaError", "message": reason}
    reply["peak_mb"] = _peak_mb("/proc/self/status")
    return reply


def _out_of_memory(limits: LoadLimits) -> dict[str, Any]:
    return {
        "ok": False, "error": "FileLimitExceeded", "retire": True,
        "detail": f"out of memory (limit {limits.memory_mb} MB)",
        "message": f"読み込みに必要なメモリが上限（{limits.memory_mb:,} MB）を超えたため、中止しました。{_STOPPED}",
    }  # fmt: skip


def _ran_out_of_memory(exc: BaseException, limits: LoadLimits) -> bool:
    """A MemoryError behind `exc`, or an error raised when the address space reached its limit: libxml2 reports
    a failed allocation as a syntax error ("unknown error"), which lxml passes on and the loaders call damage."""
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, MemoryError):
            return True
        cause = cause.__cause__
    peak = _status_mb("/proc/self/status", "VmPeak:")
    return peak is not None and peak >= 0.95 * limits.memory_mb


def _load_and_chunk(job: dict[str, Any], limits: LoadLimits) -> list[Chunk]:
    from ingest.chunking import chunk_documents
    from ingest.limits import applied, check_before_parsing, check_text
    from ingest.loaders import load_file

    path = Path(job["path"])
    with applied(limits):
        check_before_parsing(path, limits)
        docs = load_file(path, root=Path(job["root"]) if job["root"] else None)
        check_text(docs, limits)
    for doc in docs:
        doc.classification = job["classification"]
        doc.groups = list(job["groups"])
    return chunk_documents(docs, size=job["chunk_size"], overlap=job["chunk_overlap"])


def _capped(value: int, hard: int) -> int:
    import resource

    return value if hard == resource.RLIM_INFINITY else min(value, hard)


def _reset_peak() -> None:
    """Linux: writing 5 to clear_refs resets the peak resident size (VmHWM), so each file's peak is its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb(status: str) -> float | None:
    return _status_mb(status, "VmHWM:")


def _status_mb(status: str, field: str) -> float | None:
    """A size field of a /proc/<pid>/status file in MiB (None off Linux or for a process gone)."""
    try:
        for line in Path(status).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None
