"""Shared machinery of the fake model servers.

A `ScriptedServer` is a threaded HTTP/1.1 server on 127.0.0.1 with the control surface tests
need: a log of every request as it went over the wire, a FIFO of scripted text replies and one
of scripted structured replies (tool use / function calling), injected failures, an artificial
delay, and start/stop as a context manager. Subclasses speak one provider's protocol in `handle`.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self

_POLL_SECONDS = 0.05  # how quickly stop() is noticed by the serving thread


@dataclass(frozen=True)
class Reply:
    """A scripted reply; token counts left as None are estimated from the texts."""

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class StructuredReply:
    """A scripted tool call answering a request that offers a tool (structured output).

    `input` is the tool input / function arguments (normally a dict). `arguments`, when set, is the
    exact arguments text sent instead of `json.dumps(input)` wherever the wire carries text (OpenAI
    `function.arguments`, ConverseStream `toolUse.input` deltas). Converse's non-streamed
    `toolUse.input` is a JSON document, so there it is parsed; when it is not valid JSON the fake
    answers with no content and stopReason "malformed_tool_use" (an approximation: the service
    model lists that stop reason, but the exact real response was not verified).
    """

    input: Any
    arguments: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None

    @property
    def arguments_text(self) -> str:
        if self.arguments is not None:
            return self.arguments
        return json.dumps(self.input, ensure_ascii=False)

    @property
    def document(self) -> tuple[bool, Any]:
        """(valid, the tool input as a JSON value): what Converse returns as `toolUse.input`."""
        if self.arguments is None:
            return True, self.input
        try:
            return True, json.loads(self.arguments)
        except ValueError:
            return False, None


class FakeRequestHandler(BaseHTTPRequestHandler):
    """Routes every request to the owning `ScriptedServer` and offers response helpers."""

    protocol_version = "HTTP/1.1"  # keep-alive, as real SDK connection pools expect
    timeout = 30  # seconds an idle keep-alive connection may hold its handler thread
    server: _HTTPServer

    def do_GET(self) -> None:
        self.server.fake.handle(self, "GET")

    def do_POST(self) -> None:
        self.server.fake.handle(self, "POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request access log (tests and benchmarks would drown in it)."""

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def start_chunked(self, content_type: str, headers: dict[str, str] | None = None) -> None:
        """Begin a 200 response whose body is sent piece by piece (chunked transfer encoding)."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _HTTPServer(ThreadingHTTPServer):
    request_queue_size = 128  # the load benchmark opens many connections at once
    fake: ScriptedServer


class ScriptedServer(ABC):
    """Base class of the fakes. Subclasses set `error_kinds` and implement `handle`."""

    error_kinds: ClassVar[tuple[str, ...]] = ()

    def __init__(self, port: int = 0, host: str = "127.0.0.1", delay_seconds: float = 0.0):
        self.host = host
        self.delay_seconds = delay_seconds
        self._initial_delay = delay_seconds
        self.requests: list[dict[str, Any]] = []
        self._replies: deque[Reply] = deque()
        self._structured: deque[StructuredReply] = deque()
        self._failures: deque[str] = deque()
        self._lock = threading.Lock()
        self._httpd = _HTTPServer((host, port), FakeRequestHandler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None

    # --- control -----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def script(self, text: str, usage: dict[str, int] | None = None) -> None:
        """Queue a reply (FIFO). `usage` may give `input_tokens` and/or `output_tokens`."""
        usage = usage or {}
        reply = Reply(text, usage.get("input_tokens"), usage.get("output_tokens"))
        with self._lock:
            self._replies.append(reply)

    def script_structured(self, payloads: Iterable[Any], usage: dict[str, int] | None = None) -> None:
        """Queue structured replies (FIFO), consumed one per request that offers a tool.

        Each payload is the tool input / function arguments the fake "model" sends: a dict (or any
        JSON value), a `str` sent verbatim as the arguments text (to script malformed JSON), or a
        ready `StructuredReply`. `usage` (`input_tokens` / `output_tokens`) applies to each payload
        that is not already a `StructuredReply`. When the queue is empty, such a request gets an
        object synthesised from the offered JSON schema (see `synthetic.object_for_schema`).
        """
        usage = usage or {}
        replies = []
        for payload in payloads:
            if isinstance(payload, StructuredReply):
                replies.append(payload)
            elif isinstance(payload, str):
                replies.append(
                    StructuredReply(None, payload, usage.get("input_tokens"), usage.get("output_tokens"))
                )
            else:
                replies.append(
                    StructuredReply(payload, None, usage.get("input_tokens"), usage.get("output_tokens"))
                )
        with self._lock:
            self._structured.extend(replies)

    def fail_next(self, n: int = 1, kind: str = "throttle") -> None:
        """Make the next `n` requests fail with an error of `kind` (see `error_kinds`)."""
        if kind not in self.error_kinds:
            raise ValueError(f"unknown failure kind {kind!r}; expected one of {self.error_kinds}")
        with self._lock:
            self._failures.extend([kind] * n)

    def reset(self) -> None:
        """Forget requests, scripted text and structured replies and pending failures; restore the delay."""
        with self._lock:
            self.requests.clear()
            self._replies.clear()
            self._structured.clear()
            self._failures.clear()
            self.delay_seconds = self._initial_delay

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def serve_until_interrupted(self) -> None:
        """Serve in the foreground until Ctrl-C (CLI mode)."""
        try:
            self._httpd.serve_forever(poll_interval=_POLL_SECONDS)
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd.server_close()

    # --- used by subclasses while handling a request -----------------------------------------
    @abstractmethod
    def handle(self, handler: FakeRequestHandler, method: str) -> None:
        """Answer one request (each fake speaks its own protocol)."""

    def admit(self, handler: FakeRequestHandler, operation: str, body: Any, **fields: Any) -> str | None:
        """Log the request, wait the configured delay, and return the failure kind to inject (or None)."""
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
            self.requests.append(
                {
                    "operation": operation,
                    **fields,
                    "body": body,
                    "headers": dict(handler.headers.items()),
                    "failure": failure,
                }
            )
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        return failure

    def next_reply(self) -> Reply | None:
        """The next scripted reply, or None when the queue is empty."""
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def next_structured(self) -> StructuredReply | None:
        """The next scripted structured reply, or None when that queue is empty."""
        with self._lock:
            return self._structured.popleft() if self._structured else None


def run_cli(server_cls: type[ScriptedServer], argv: list[str] | None = None) -> None:
    """`python -m tests.fakes.<module> --port PORT [--delay S]`: serve in the foreground."""
    parser = argparse.ArgumentParser(description=(server_cls.__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
    parser.add_argument("--port", type=int, default=0, help="Port to bind (default: a free port).")
    parser.add_argument("--delay", type=float, default=0.0, help="Seconds to wait before each reply.")
    args = parser.parse_args(argv)
    server = server_cls(port=args.port, host=args.host, delay_seconds=args.delay)
    print(server.url, flush=True)
    server.serve_until_interrupted()
