"""Fake Amazon Bedrock Runtime speaking the real REST-JSON and event-stream wire protocol.

Operations (paths as botocore builds them; the model id is URL-encoded in the path):
  POST /model/{modelId}/converse         -> Converse JSON response
  POST /model/{modelId}/converse-stream  -> application/vnd.amazon.eventstream body
  With a `toolConfig` in the request (structured output through tool use), both answer with one
  `toolUse` content block and stopReason "tool_use": Converse as {toolUseId, name, input}, the
  stream as contentBlockStart (toolUse start) / contentBlockDelta (`toolUse.input` JSON text
  pieces) / contentBlockStop. The input comes from `script_structured`, else from
  `structured_responder(tool name, input schema, request body)` when a test or benchmark sets one (an
  answer built from the prompt, e.g. for long-minutes runs), else it is synthesised from the tool's JSON
  schema; scripted arguments that are not valid JSON give Converse an empty
  message with stopReason "malformed_tool_use" (the stream sends the text as it is).
  POST /model/{modelId}/invoke           -> Titan Text Embeddings v2 / Cohere Embed Multilingual v3
  /model-invocation-job…                 -> the control plane's batch inference jobs (Create, Get, List,
                                            Stop), see `bedrock_batch_jobs.py`; `FakeBedrock.batch` holds
                                            them (give `s3_endpoint_url` so jobs can read and write S3)

Errors carry the `x-amzn-ErrorType` header and a `{"message": ...}` body, which botocore's
REST-JSON parser turns into a `ClientError` with the matching code.

`delay_seconds` (CLI `--delay`) is a per-request latency: every request waits that long before it is
answered (the throughput benchmark runs it at 1 s).

Besides the error replies, `fail_next` injects faults of the connection or the stream itself (`FAULTS`):
  timeout          no answer for `stall_seconds`, then the connection is closed (a client read timeout)
  stream_cut       ConverseStream: `cut_fraction` of the answer's deltas, then the connection drops without
                   ending the chunked body; Converse: half of the JSON body, then the connection drops
  malformed_frame  ConverseStream: `cut_fraction` of the deltas, then a frame whose message CRC is wrong;
                   Converse: a 200 whose body is not valid JSON
  stream_error     ConverseStream: `cut_fraction` of the deltas, then an exception message
                   (`modelStreamErrorException`, as Bedrock sends mid-stream); Converse: a 424 with that code
InvokeModel (embeddings) answers every fault with that 424. It counts requests in flight
(`embed_in_flight`, peak `embed_peak_in_flight`); with `embed_capacity` set, a request beyond that many at
once gets ThrottlingException at once (a service quota; the ingest benchmark and scale tests use it), as does
one beyond `embed_rate` requests in the last second (a requests-per-minute quota), and
`embed_failures` ({text fragment: error kind}) fails every InvokeModel whose input contains the fragment.
A fault answers with the reply the request would have got (a scripted reply is left in the queue).

Run in the foreground: `python -m tests.fakes.bedrock_server --port 8765 [--delay 0.5]
[--s3-endpoint-url URL] [--batch-delay S] [--batch-min-records N] [--embed-capacity N] [--embed-rate R]`.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.fakes import eventstream
from tests.fakes.bedrock_batch_jobs import BatchJobs
from tests.fakes.bedrock_invoke import (
    BedrockError,
    request_id,
    scripted_failure,
    send_invoke,
)
from tests.fakes.scripted_server import (
    FakeRequestHandler,
    Reply,
    ScriptedServer,
    StructuredReply,
)
from tests.fakes.synthetic import (
    cited_reply,
    estimate_tokens,
    first_sentence,
    first_source_sentence,
    object_for_schema,
    split_deltas,
)

# kind -> (HTTP status, error code, message), as Bedrock Runtime documents them.
ERRORS: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "server_error": (500, "InternalServerException", "An internal server error occurred."),
    "unavailable": (503, "ServiceUnavailableException", "The service is unavailable. Try again later."),
    "validation": (400, "ValidationException", "The provided request is not valid."),
}
# Faults that are not error replies (see the module docstring).
FAULTS = ("timeout", "stream_cut", "malformed_frame", "stream_error")
_STREAM_ERROR = (
    424,
    "ModelStreamErrorException",
    "The model stream was interrupted. Try your request again.",
)
# Real services append the error shape's namespace after a colon; botocore strips it.
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

_OPERATIONS = {"converse": "Converse", "converse-stream": "ConverseStream", "invoke": "InvokeModel"}


class FakeBedrock(ScriptedServer):
    """Fake Bedrock Runtime (Converse, ConverseStream, InvokeModel embeddings) on 127.0.0.1."""

    error_kinds = tuple(ERRORS) + FAULTS

    def __init__(self, *args: Any, s3_endpoint_url: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.stall_seconds = 2.0  # how long a `timeout` fault keeps the client waiting
        self.cut_fraction = 0.5  # share of the answer's deltas sent before a stream fault
        self.batch = BatchJobs(self, ERRORS, s3_endpoint_url)
        # (tool name, input JSON schema, request body) -> tool input, for unscripted structured requests
        self.structured_responder: Callable[[str, dict, dict], Any] | None = None
        # InvokeModel requests being answered now, the most seen at once, and how many may be (None: no limit)
        self.embed_in_flight = 0
        self.embed_peak_in_flight = 0
        self.embed_capacity: int | None = None
        self.embed_rate: float | None = None  # InvokeModel requests per second allowed (None: no limit)
        self._embed_admitted: deque[float] = deque()  # when the requests of the last second were admitted
        # text fragment -> error kind: an InvokeModel whose input contains it gets that error, every time
        self.embed_failures: dict[str, str] = {}

    def handle(self, handler: FakeRequestHandler, method: str) -> None:
        started = time.monotonic()
        if self.batch.handles(handler.path):
            self.batch.handle(handler, method)
            return
        parts = urlsplit(handler.path).path.split("/")
        # ["", "model", "<url-encoded id>", "<operation>"]
        if method != "POST" or len(parts) != 4 or parts[1] != "model" or parts[3] not in _OPERATIONS:
            handler.read_body()
            _send_error(handler, BedrockError(404, "UnknownOperationException", "Unknown operation."))
            return
        operation, model_id = _OPERATIONS[parts[3]], unquote(parts[2])
        raw = handler.read_body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = raw.decode("utf-8", "replace")
        if operation == "InvokeModel":
            self._handle_invoke(handler, body, model_id)
            return
        failure = self.admit(handler, operation, body, model_id=model_id)
        try:
            if failure in FAULTS and isinstance(body, dict) and operation != "InvokeModel":
                self._send_fault(handler, failure, operation, body)
                return
            if failure is not None:
                raise BedrockError(*(ERRORS.get(failure) or _STREAM_ERROR))
            if not isinstance(body, dict):
                raise BedrockError.validation("The request body is not valid JSON.")
            if body.get("toolConfig"):
                name, schema = _offered_tool(body)
                structured = self.next_structured()
                if structured is None and self.structured_responder is not None:
                    structured = StructuredReply(self.structured_responder(name, schema, body))
                structured = structured or StructuredReply(
                    object_for_schema(schema, cited_reply(_first_source(body)))
                )
                usage = _usage(structured, body, structured.arguments_text)
                if operation == "Converse":
                    _send_converse_tool_use(handler, name, structured, usage, started)
                else:
                    _send_converse_stream_tool_use(handler, name, structured, usage, started)
            else:
                reply = self.next_reply() or Reply(cited_reply(_first_source(body)))
                usage = _usage(reply, body, reply.text)
                if operation == "Converse":
                    _send_converse(handler, reply.text, usage, started)
                else:
                    _send_converse_stream(handler, reply.text, usage, started)
        except BedrockError as error:
            _send_error(handler, error)

    def _handle_invoke(self, handler: FakeRequestHandler, body: Any, model_id: str) -> None:
        """InvokeModel (embeddings), counting requests in flight: over `embed_capacity` at once, a request is
        answered at once with ThrottlingException, as a service quota would (logged with failure "capacity")."""
        with self._lock:
            self.embed_in_flight += 1
            self.embed_peak_in_flight = max(self.embed_peak_in_flight, self.embed_in_flight)
            over = self.embed_capacity is not None and self.embed_in_flight > self.embed_capacity
            over = over or self._over_rate(time.monotonic())
            if over:
                self.requests.append(
                    {"operation": "InvokeModel", "model_id": model_id, "body": body,
                     "headers": dict(handler.headers.items()), "failure": "capacity"}
                )  # fmt: skip
        try:
            failure = "throttle" if over else self.admit(handler, "InvokeModel", body, model_id=model_id)
            failure = failure or scripted_failure(self.embed_failures, body)
            if failure is not None:  # every injected fault of an InvokeModel is an error reply
                raise BedrockError(*(ERRORS.get(failure) or _STREAM_ERROR))
            if not isinstance(body, dict):
                raise BedrockError.validation("The request body is not valid JSON.")
            send_invoke(handler, model_id, body)
        except BedrockError as error:
            _send_error(handler, error)
        finally:
            with self._lock:
                self.embed_in_flight -= 1

    def _over_rate(self, now: float) -> bool:
        """Whether one more InvokeModel now exceeds `embed_rate` per second (sliding window; call under the lock)."""
        if self.embed_rate is None:
            return False
        while self._embed_admitted and self._embed_admitted[0] <= now - 1.0:
            self._embed_admitted.popleft()
        if len(self._embed_admitted) >= self.embed_rate:
            return True
        self._embed_admitted.append(now)
        return False

    def _send_fault(self, handler: FakeRequestHandler, kind: str, operation: str, body: dict) -> None:
        if kind == "timeout":
            time.sleep(self.stall_seconds)
            handler.close_connection = True
            return
        with self._lock:  # the reply this request would have got, left queued for the retry
            text = self._replies[0].text if self._replies else cited_reply(_first_source(body))
        if operation == "Converse":
            if kind == "stream_error":
                _send_error(handler, BedrockError(*_STREAM_ERROR))
                return
            payload = json.dumps({"output": {"message": {"role": "assistant", "content": [{"text": text}]}}})
            raw = payload.encode("utf-8")
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(raw)))
            handler.end_headers()
            handler.wfile.write(raw[: len(raw) // 2] if kind == "stream_cut" else raw[:-1] + b",")
            handler.close_connection = True
            return
        deltas = split_deltas(text)
        handler.start_chunked(eventstream.CONTENT_TYPE, request_id())
        handler.write_chunk(eventstream.encode_event("messageStart", {"role": "assistant"}))
        for delta in deltas[: int(len(deltas) * self.cut_fraction)]:
            event = {"contentBlockIndex": 0, "delta": {"text": delta}}
            handler.write_chunk(eventstream.encode_event("contentBlockDelta", event))
        if kind == "stream_cut":  # the connection drops: the chunked body never ends
            handler.close_connection = True
            return
        if kind == "malformed_frame":
            frame = bytearray(eventstream.encode_event("contentBlockDelta", {"contentBlockIndex": 0}))
            frame[-5] ^= 0xFF  # a payload byte changed in transit: the message CRC no longer matches
            handler.write_chunk(bytes(frame))
        else:
            _, code, message = _STREAM_ERROR
            headers = {":message-type": "exception", ":exception-type": code[0].lower() + code[1:]}
            payload = json.dumps({"message": message}).encode("utf-8")
            handler.write_chunk(
                eventstream.encode_message({**headers, ":content-type": "application/json"}, payload)
            )
        handler.end_chunked()


# --- request reading -------------------------------------------------------------------------
def _document_text(document: dict) -> str:
    source = document.get("source") or {}
    if isinstance(source.get("text"), str):
        return source["text"]
    if isinstance(source.get("bytes"), str):  # blobs travel base64-encoded in JSON
        try:
            return base64.b64decode(source["bytes"]).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return "\n".join(part.get("text", "") for part in source.get("content") or [])


def _blocks_text(blocks: list[dict]) -> str:
    texts = [block["text"] for block in blocks if isinstance(block.get("text"), str)]
    texts += [_document_text(block["document"]) for block in blocks if "document" in block]
    return "\n".join(texts)


def _first_source(body: dict) -> str | None:
    """First sentence of the first document block in the last user message, else of the text
    after the first source marker ("[1]", "<document…>") in that message or the system prompt."""
    user_messages = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    blocks = user_messages[-1].get("content") or [] if user_messages else []
    for block in blocks:
        if "document" in block and (sentence := first_sentence(_document_text(block["document"]))):
            return sentence
    system_text = _blocks_text(body.get("system") or [])
    return first_source_sentence(_blocks_text(blocks)) or first_source_sentence(system_text)


def _offered_tool(body: dict) -> tuple[str, dict]:
    """The tool the model answers with: the forced one (`toolChoice.tool`), else the first offered."""
    config = body.get("toolConfig") or {}
    specs = [tool["toolSpec"] for tool in config.get("tools") or [] if isinstance(tool.get("toolSpec"), dict)]
    if not specs:
        raise BedrockError.validation("The toolConfig field must define at least one tool specification.")
    forced = ((config.get("toolChoice") or {}).get("tool") or {}).get("name")
    spec = next((s for s in specs if s.get("name") == forced), specs[0])
    return spec.get("name", ""), (spec.get("inputSchema") or {}).get("json") or {}


def _usage(reply: Reply | StructuredReply, body: dict, output_text: str) -> dict[str, int]:
    prompt = _blocks_text(body.get("system") or [])
    for message in body.get("messages") or []:
        prompt += _blocks_text(message.get("content") or [])
    input_tokens = reply.input_tokens if reply.input_tokens is not None else estimate_tokens(prompt)
    output_tokens = reply.output_tokens if reply.output_tokens is not None else estimate_tokens(output_text)
    return {
        "inputTokens": input_tokens,
        "outputTokens": output_tokens,
        "totalTokens": input_tokens + output_tokens,
    }


# --- responses -------------------------------------------------------------------------------
def _latency_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _send_error(handler: FakeRequestHandler, error: BedrockError) -> None:
    headers = {**request_id(), "x-amzn-ErrorType": error.code + _ERROR_TYPE_SUFFIX}
    handler.send_json(error.status, {"message": error.message}, headers)


def _send_converse(handler: FakeRequestHandler, text: str, usage: dict, started: float) -> None:
    body = {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": usage,
        "metrics": {"latencyMs": _latency_ms(started)},
    }
    handler.send_json(200, body, request_id())


def _send_converse_stream(handler: FakeRequestHandler, text: str, usage: dict, started: float) -> None:
    handler.start_chunked(eventstream.CONTENT_TYPE, request_id())
    handler.write_chunk(eventstream.encode_event("messageStart", {"role": "assistant"}))
    for delta in split_deltas(text):
        event = {"contentBlockIndex": 0, "delta": {"text": delta}}
        handler.write_chunk(eventstream.encode_event("contentBlockDelta", event))
    handler.write_chunk(eventstream.encode_event("contentBlockStop", {"contentBlockIndex": 0}))
    handler.write_chunk(eventstream.encode_event("messageStop", {"stopReason": "end_turn"}))
    metadata = {"usage": usage, "metrics": {"latencyMs": _latency_ms(started)}}
    handler.write_chunk(eventstream.encode_event("metadata", metadata))
    handler.end_chunked()


def _tool_use_id() -> str:
    return f"tooluse_{uuid.uuid4().hex[:22]}"


def _send_converse_tool_use(
    handler: FakeRequestHandler, name: str, reply: StructuredReply, usage: dict, started: float
) -> None:
    valid, document = reply.document
    blocks = [{"toolUse": {"toolUseId": _tool_use_id(), "name": name, "input": document}}] if valid else []
    body = {
        "output": {"message": {"role": "assistant", "content": blocks}},
        "stopReason": "tool_use" if valid else "malformed_tool_use",
        "usage": usage,
        "metrics": {"latencyMs": _latency_ms(started)},
    }
    handler.send_json(200, body, request_id())


def _send_converse_stream_tool_use(
    handler: FakeRequestHandler, name: str, reply: StructuredReply, usage: dict, started: float
) -> None:
    handler.start_chunked(eventstream.CONTENT_TYPE, request_id())
    handler.write_chunk(eventstream.encode_event("messageStart", {"role": "assistant"}))
    start = {"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": _tool_use_id(), "name": name}}}
    handler.write_chunk(eventstream.encode_event("contentBlockStart", start))
    for delta in split_deltas(reply.arguments_text):
        event = {"contentBlockIndex": 0, "delta": {"toolUse": {"input": delta}}}
        handler.write_chunk(eventstream.encode_event("contentBlockDelta", event))
    handler.write_chunk(eventstream.encode_event("contentBlockStop", {"contentBlockIndex": 0}))
    handler.write_chunk(eventstream.encode_event("messageStop", {"stopReason": "tool_use"}))
    metadata = {"usage": usage, "metrics": {"latencyMs": _latency_ms(started)}}
    handler.write_chunk(eventstream.encode_event("metadata", metadata))
    handler.end_chunked()


def main(argv: list[str] | None = None) -> None:
    """The CLI: the common options plus the batch inference ones."""
    import argparse

    parser = argparse.ArgumentParser(description="Fake Bedrock Runtime and batch inference on 127.0.0.1.")
    parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
    parser.add_argument("--port", type=int, default=0, help="Port to bind (default: a free port).")
    parser.add_argument(
        "--delay", type=float, default=0.0, help="Seconds to wait before each reply (latency)."
    )
    parser.add_argument("--s3-endpoint-url", default=None, help="S3 endpoint batch jobs read and write.")
    parser.add_argument("--batch-delay", type=float, default=0.2, help="Seconds a batch job takes.")
    parser.add_argument(
        "--batch-min-records", type=int, default=100, help="Fewest records a batch job accepts."
    )
    parser.add_argument(
        "--embed-capacity", type=int, default=None, help="InvokeModel requests at once (more: throttled)."
    )
    parser.add_argument(
        "--embed-rate", type=float, default=None, help="InvokeModel requests per second allowed."
    )
    args = parser.parse_args(argv)
    server = FakeBedrock(
        port=args.port, host=args.host, delay_seconds=args.delay, s3_endpoint_url=args.s3_endpoint_url
    )
    server.batch.delay_seconds, server.batch.min_records = args.batch_delay, args.batch_min_records
    server.embed_capacity, server.embed_rate = args.embed_capacity, args.embed_rate
    print(server.url, flush=True)
    server.serve_until_interrupted()


if __name__ == "__main__":
    main()
