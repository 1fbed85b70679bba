"""Fake OpenAI-compatible server: chat completions (plain and SSE streaming), models, embeddings.

Paths (the client's `base_url` is `FakeOpenAI.url`, which ends in `/v1`):
  POST /v1/chat/completions  -> chat.completion, or `text/event-stream` chunks when `stream` is true
                                (a final usage chunk with empty choices when
                                `stream_options.include_usage`), ended by `data: [DONE]`.
                                With `tools` in the request (structured output through function
                                calling) the answer is one `tool_calls` entry (finish_reason
                                "tool_calls"), streamed as an id/name delta then `arguments` pieces;
                                its arguments come from `script_structured`, else they are
                                synthesised from the function's JSON schema.
  GET  /v1/models            -> model list
  POST /v1/embeddings        -> float or base64 (little-endian float32) vectors

Besides the error replies, `fail_next` injects faults of the connection or the stream itself (`FAULTS`), on chat
completions (other operations get them as a 500):
  timeout          no answer for `stall_seconds`, then the connection is closed (a client read timeout)
  stream_cut       streamed: `cut_fraction` of the answer's content chunks, then the connection drops without
                   `[DONE]` or the end of the chunked body; not streamed: half of the JSON body, then a drop
  malformed_frame  streamed: `cut_fraction` of the chunks, then a `data:` line that is not JSON;
                   not streamed: a 200 whose body is not valid JSON
  stream_error     streamed: `cut_fraction` of the chunks, then `data: {"error": {...}}` (as vLLM sends a
                   failure mid-stream); not streamed: a 500
A fault answers with the reply the request would have got (a scripted reply is left in the queue).

Run in the foreground: `python -m tests.fakes.openai_server --port 8766 [--delay 0.5]`.
"""

from __future__ import annotations

import base64
import json
import struct
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.scripted_server import (
    FakeRequestHandler,
    Reply,
    ScriptedServer,
    StructuredReply,
    run_cli,
)
from tests.fakes.synthetic import (
    cited_reply,
    estimate_tokens,
    first_source_sentence,
    hashed_embedding,
    object_for_schema,
    split_deltas,
)

DEFAULT_MODELS = ("fake-chat", "fake-embedding")
DEFAULT_EMBEDDING_DIMENSIONS = 1536

# kind -> (HTTP status, error type, error code, message), shaped like OpenAI's error bodies.
ERRORS: dict[str, tuple[int, str, str | None, str]] = {
    "throttle": (
        429,
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again later.",
    ),
    "server_error": (500, "server_error", None, "The server had an error while processing your request."),
    "unavailable": (503, "server_error", None, "The engine is currently overloaded, please try again later."),
    "validation": (400, "invalid_request_error", None, "Invalid request."),
}

# Faults that are not error replies (see the module docstring).
FAULTS = ("timeout", "stream_cut", "malformed_frame", "stream_error")

_OPERATIONS = {
    ("POST", "/v1/chat/completions"): "chat.completions",
    ("GET", "/v1/models"): "models",
    ("POST", "/v1/embeddings"): "embeddings",
}


class OpenAIError(Exception):
    """An error reply: raised while handling, sent in OpenAI's `{"error": {...}}` shape."""

    def __init__(self, status: int, error_type: str, code: str | None, message: str):
        super().__init__(message)
        self.status, self.error_type, self.code, self.message = status, error_type, code, message

    @classmethod
    def invalid(cls, message: str) -> OpenAIError:
        return cls(400, "invalid_request_error", None, message)


class FakeOpenAI(ScriptedServer):
    """Fake OpenAI-compatible API (chat completions, models, embeddings) on 127.0.0.1."""

    error_kinds = tuple(ERRORS) + FAULTS

    def __init__(self, *args: Any, models: tuple[str, ...] = DEFAULT_MODELS, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.models = models
        self.stall_seconds = 2.0  # how long a `timeout` fault keeps the client waiting
        self.cut_fraction = 0.5  # share of the answer's content chunks sent before a stream fault

    @property
    def url(self) -> str:
        """The base URL to give an OpenAI client (ends in `/v1`)."""
        return f"{super().url}/v1"

    def handle(self, handler: FakeRequestHandler, method: str) -> None:
        raw = handler.read_body()
        path = urlsplit(handler.path).path.rstrip("/")
        operation = _OPERATIONS.get((method, path))
        if operation is None:
            _send_error(
                handler, OpenAIError(404, "invalid_request_error", None, f"Invalid URL ({method} {path})")
            )
            return
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = raw.decode("utf-8", "replace")
        failure = self.admit(
            handler, operation, body, model_id=body.get("model") if isinstance(body, dict) else None
        )
        try:
            if failure in FAULTS and operation == "chat.completions" and isinstance(body, dict):
                self._send_fault(handler, failure, body)
                return
            if failure is not None:
                raise OpenAIError(*ERRORS.get(failure, ERRORS["server_error"]))
            if operation == "models":
                _send_models(handler, self.models)
                return
            if not isinstance(body, dict):
                raise OpenAIError.invalid("We could not parse the JSON body of your request.")
            if operation == "embeddings":
                _send_embeddings(handler, body)
                return
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            if body.get("tools"):
                name, schema = _offered_function(body)
                structured = self.next_structured() or StructuredReply(
                    object_for_schema(schema, cited_reply(_first_source(body)))
                )
                usage = _usage(structured, body, structured.arguments_text)
                call = {
                    "id": f"call_{uuid.uuid4().hex[:24]}",
                    "name": name,
                    "arguments": structured.arguments_text,
                }
                if body.get("stream"):
                    _send_stream(handler, body.get("model", ""), "", usage if include_usage else None, call)
                else:
                    _send_completion(handler, body.get("model", ""), "", usage, call)
                return
            reply = self.next_reply() or Reply(cited_reply(_first_source(body)))
            usage = _usage(reply, body, reply.text)
            if body.get("stream"):
                _send_stream(handler, body.get("model", ""), reply.text, usage if include_usage else None)
            else:
                _send_completion(handler, body.get("model", ""), reply.text, usage)
        except OpenAIError as error:
            _send_error(handler, error)

    def _send_fault(self, handler: FakeRequestHandler, kind: str, body: dict) -> None:
        if kind == "timeout":
            time.sleep(self.stall_seconds)
            handler.close_connection = True
            return
        with self._lock:  # the reply this request would have got, left queued for the retry
            text = self._replies[0].text if self._replies else cited_reply(_first_source(body))
        model = body.get("model", "")
        if not body.get("stream"):
            if kind == "stream_error":
                _send_error(handler, OpenAIError(*ERRORS["server_error"]))
                return
            head = _completion_head(
                model, "chat.completion", f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
            )
            message = {"role": "assistant", "content": text}
            raw = json.dumps({**head, "choices": [{"index": 0, "message": message}]}).encode("utf-8")
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(raw)))
            handler.end_headers()
            handler.wfile.write(raw[: len(raw) // 2] if kind == "stream_cut" else raw[:-1] + b",")
            handler.close_connection = True
            return
        head = _completion_head(
            model, "chat.completion.chunk", f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        )
        deltas = split_deltas(text)
        handler.start_chunked("text/event-stream; charset=utf-8")
        for delta in [""] + deltas[: int(len(deltas) * self.cut_fraction)]:
            choice = {"index": 0, "delta": {"content": delta}, "logprobs": None, "finish_reason": None}
            line = f"data: {json.dumps({**head, 'choices': [choice]}, ensure_ascii=False)}\n\n"
            handler.write_chunk(line.encode())
        if kind == "stream_cut":  # the connection drops: no [DONE], the chunked body never ends
            handler.close_connection = True
            return
        if kind == "malformed_frame":
            handler.write_chunk(b'data: {"id": "chatcmpl-\n\n')
        else:
            _, error_type, code, message = ERRORS["server_error"]
            error = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
            handler.write_chunk(f"data: {json.dumps(error)}\n\n".encode())
        handler.write_chunk(b"data: [DONE]\n\n")
        handler.end_chunked()


# --- request reading -------------------------------------------------------------------------
def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def _first_source(body: dict) -> str | None:
    """First sentence after the first source marker in the last user message, else in the system prompt."""
    messages = body.get("messages") or []
    users = [_content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    systems = [_content_text(m.get("content")) for m in messages if m.get("role") in ("system", "developer")]
    return first_source_sentence(users[-1] if users else "") or first_source_sentence("\n".join(systems))


def _offered_function(body: dict) -> tuple[str, dict]:
    """The function the model calls: the one named by `tool_choice`, else the first offered."""
    functions = [
        tool["function"]
        for tool in body.get("tools") or []
        if isinstance(tool, dict)
        and tool.get("type") == "function"
        and isinstance(tool.get("function"), dict)
    ]
    if not functions:
        raise OpenAIError.invalid("'tools' must contain at least one tool of type 'function'.")
    choice = body.get("tool_choice")
    forced = ((choice.get("function") or {}).get("name")) if isinstance(choice, dict) else None
    function = next((f for f in functions if f.get("name") == forced), functions[0])
    return function.get("name", ""), function.get("parameters") or {}


def _usage(reply: Reply | StructuredReply, body: dict, output_text: str) -> dict[str, int]:
    prompt = "".join(_content_text(m.get("content")) for m in body.get("messages") or [])
    prompt_tokens = reply.input_tokens if reply.input_tokens is not None else estimate_tokens(prompt)
    completion_tokens = (
        reply.output_tokens if reply.output_tokens is not None else estimate_tokens(output_text)
    )
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


# --- responses -------------------------------------------------------------------------------
def _send_error(handler: FakeRequestHandler, error: OpenAIError) -> None:
    body = {"error": {"message": error.message, "type": error.error_type, "param": None, "code": error.code}}
    handler.send_json(error.status, body, {"x-request-id": f"req_{uuid.uuid4().hex}"})


def _completion_head(model: str, obj: str, completion_id: str, created: int) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": obj,
        "created": created,
        "model": model,
        "system_fingerprint": "fp_fake",
    }


def _send_completion(
    handler: FakeRequestHandler, model: str, text: str, usage: dict, call: dict | None = None
) -> None:
    """A chat.completion; with `call` ({id, name, arguments}) a function call instead of text."""
    body = _completion_head(model, "chat.completion", f"chatcmpl-{uuid.uuid4().hex}", int(time.time()))
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if call is not None:
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": call["arguments"]},
            }
        ]
    body["choices"] = [
        {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": "tool_calls" if call is not None else "stop",
        }
    ]
    body["usage"] = usage
    handler.send_json(200, body)


def _send_stream(
    handler: FakeRequestHandler, model: str, text: str, usage: dict | None, call: dict | None = None
) -> None:
    """SSE chunks; with `call` ({id, name, arguments}) a streamed function call instead of text."""
    head = _completion_head(model, "chat.completion.chunk", f"chatcmpl-{uuid.uuid4().hex}", int(time.time()))

    def chunk(delta: dict, finish_reason: str | None) -> dict:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        # With include_usage, every chunk but the last carries "usage": null.
        return {**head, "choices": [choice], **({"usage": None} if usage else {})}

    if call is None:
        chunks = [chunk({"role": "assistant", "content": ""}, None)]
        chunks += [chunk({"content": delta}, None) for delta in split_deltas(text)]
        chunks.append(chunk({}, "stop"))
    else:
        opening = {
            "index": 0,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": ""},
        }
        chunks = [chunk({"role": "assistant", "content": None, "tool_calls": [opening]}, None)]
        chunks += [
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": delta}}]}, None)
            for delta in split_deltas(call["arguments"])
        ]
        chunks.append(chunk({}, "tool_calls"))
    if usage:
        chunks.append({**head, "choices": [], "usage": usage})
    handler.start_chunked("text/event-stream; charset=utf-8")
    for item in chunks:
        handler.write_chunk(f"data: {json.dumps(item, ensure_ascii=False)}\n\n".encode())
    handler.write_chunk(b"data: [DONE]\n\n")
    handler.end_chunked()


def _send_models(handler: FakeRequestHandler, models: tuple[str, ...]) -> None:
    data = [
        {"id": name, "object": "model", "created": 1700000000, "owned_by": "yakuba-fake"} for name in models
    ]
    handler.send_json(200, {"object": "list", "data": data})


def _send_embeddings(handler: FakeRequestHandler, body: dict) -> None:
    inputs = body.get("input")
    texts = [inputs] if isinstance(inputs, str) else inputs
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise OpenAIError.invalid(
            "'input' must be a string or a non-empty list of strings (token arrays are not supported by the fake)."
        )
    dimensions = body.get("dimensions") or DEFAULT_EMBEDDING_DIMENSIONS
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise OpenAIError.invalid("'encoding_format' must be 'float' or 'base64'.")
    data = []
    for index, text in enumerate(texts):
        vector: Any = hashed_embedding(text, dimensions)
        if encoding == "base64":
            vector = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": vector})
    tokens = sum(estimate_tokens(text) for text in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    handler.send_json(200, {"object": "list", "data": data, "model": body.get("model", ""), "usage": usage})


if __name__ == "__main__":
    run_cli(FakeOpenAI)
