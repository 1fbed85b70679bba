"""A small httpx client of the Yakuba HTTP API, as the UI uses it.

Responses are returned as the API's JSON (dicts); failures become `ApiError` with a Japanese message
a civil servant can act on: the API's own `message` field when it sent one, otherwise a UI text.
Server-sent events of a streamed chat are read with `httpx-sse` rather than parsed by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx
from httpx_sse import SSEError, connect_sse

from ui import texts

# Answers from an LLM may take a while (the API retries throttled backends); listings are quick.
CHAT_TIMEOUT = httpx.Timeout(180.0, connect=5.0)
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
UPLOAD_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
REPORT_TIMEOUT = httpx.Timeout(120.0, connect=5.0)  # the report draws its plots with matplotlib


class ApiError(Exception):
    """A request that failed; `message` is Japanese and meant for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Unauthorized(ApiError):
    """401: no key, a wrong key, or a revoked one."""


class Forbidden(ApiError):
    """403: the caller may not do this (e.g. the evaluation pages for users who are not evaluators)."""


class Unreachable(ApiError):
    """The API could not be reached at all (not running, wrong URL, network)."""


def error_message(response: httpx.Response) -> str:
    """The API's Japanese `message`, or a Japanese text by status. Never FastAPI's `detail` nor the
    field errors of a 422 (English, for developers): what reaches the user is Japanese."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"].strip():
        return body["message"]
    if response.status_code == 422:
        return texts.ERROR_INVALID
    if response.status_code == 413:
        return texts.ERROR_TOO_LARGE
    return texts.ERROR_GENERIC.format(status=response.status_code)


def _raise_for(response: httpx.Response) -> None:
    if response.is_success:
        return
    if response.status_code == 401:
        raise Unauthorized(error_message(response))
    if response.status_code == 403:
        raise Forbidden(error_message(response))
    raise ApiError(error_message(response))


class YakubaClient:
    """Calls the API at `base_url` as the holder of `api_key` (None: trusted-proxy mode, or a probe)."""

    def __init__(
        self, base_url: str, api_key: str | None = None, *, headers: Mapping[str, str] | None = None
    ):
        """`headers` are sent with every request (the identity headers of a trusted SSO proxy)."""
        self.base_url = base_url.rstrip("/")
        sent = dict(headers or {})
        if api_key:
            sent["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(base_url=self.base_url, headers=sent, timeout=DEFAULT_TIMEOUT)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> YakubaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------
    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ApiError(texts.ERROR_TIMEOUT) from exc
        except httpx.TransportError as exc:
            raise Unreachable(texts.ERROR_UNREACHABLE.format(url=self.base_url)) from exc
        _raise_for(response)
        return response

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        return response.json() if response.content else None

    # -- account and models ----------------------------------------------------------------
    def me(self) -> dict[str, Any]:
        """Who the API takes the caller to be (also how sign-in and trusted-proxy mode are checked)."""
        return self._request("GET", "/me")

    def models(self) -> dict[str, Any]:
        """The backends the caller may use and, for the others, why not."""
        return self._request("GET", "/models")

    # -- chat ------------------------------------------------------------------------------
    def chat_stream(
        self,
        message: str,
        conversation_id: str | None = None,
        backend: str | None = None,
        allow_auto: bool = False,
        filters: Mapping[str, Any] | None = None,
    ) -> Iterator[tuple[str, Any]]:
        """Ask with `stream: true`; yield `(event, data)` for each server-sent event in order:
        `token` ({"text": piece})…, `citations`, `usage`, then `done` (the full POST /chat result).

        An `error` event (the API's error body) is raised as `ApiError` with its Japanese message.
        `filters`: ChatFiltersIn fields (doc_type, date_from, date_to, sources); None or empty = none.
        """
        body = {
            "message": message, "conversation_id": conversation_id, "backend": backend, "stream": True,
            "allow_auto": allow_auto, "filters": dict(filters) if filters else None,
        }  # fmt: skip
        try:
            with connect_sse(self._http, "POST", "/chat", json=body, timeout=CHAT_TIMEOUT) as source:
                if not source.response.is_success:
                    source.response.read()
                    _raise_for(source.response)
                for event in source.iter_sse():
                    data = event.json() if event.data else None
                    if event.event == "error":
                        text = data.get("message") if isinstance(data, dict) else None
                        raise ApiError(text or texts.ERROR_STREAM_BROKEN)
                    yield event.event, data
        except httpx.TimeoutException as exc:
            raise ApiError(texts.ERROR_TIMEOUT) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError, SSEError) as exc:
            raise ApiError(texts.ERROR_STREAM_BROKEN) from exc
        except httpx.TransportError as exc:
            raise Unreachable(texts.ERROR_UNREACHABLE.format(url=self.base_url)) from exc

    # -- files attached to a conversation, and the filters kept with its answers -----------
    def attach(
        self, name: str, content: bytes, mime: str, classification: int, conversation_id: str | None
    ) -> dict[str, Any]:
        """Attach a file to the conversation (a new one when None); returns the attachment."""
        form = {"classification": str(classification)}
        if conversation_id:
            form["conversation_id"] = conversation_id
        files = {"file": (name, content, mime or "application/octet-stream")}
        return self._request("POST", "/attachments", files=files, data=form, timeout=UPLOAD_TIMEOUT)

    def attachments(self, conversation_id: str) -> list[dict[str, Any]]:
        return self._request("GET", f"/conversations/{conversation_id}/attachments")["attachments"]

    def remove_attachment(self, attachment_id: str) -> dict[str, Any]:
        return self._request("DELETE", f"/attachments/{attachment_id}")

    def turn_filters(self, conversation_id: str) -> dict[int, str]:
        """Answer id → the Japanese label of the filters its question was searched with."""
        turns = self._request("GET", f"/conversations/{conversation_id}/filters")["turns"]
        return {turn["message_id"]: turn["label"] for turn in turns}

    # -- conversations and feedback --------------------------------------------------------
    def conversations(self) -> list[dict[str, Any]]:
        return self._request("GET", "/conversations")

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        return self._request("GET", f"/conversations/{conversation_id}")

    def delete_conversation(self, conversation_id: str) -> None:
        self._request("DELETE", f"/conversations/{conversation_id}")

    def feedback(self, message_id: str, rating: str, comment: str | None = None) -> dict[str, Any]:
        body = {"message_id": message_id, "rating": rating, "comment": comment or None}
        return self._request("POST", "/feedback", json=body)

    # -- documents and usage ---------------------------------------------------------------
    def documents(self) -> dict[str, Any]:
        return self._request("GET", "/documents")

    def upload(
        self, files: list[tuple[str, bytes, str]], classification: int = 1, groups: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Send `(filename, content, mime type)` files with their labels; returns the ingest summary."""
        multipart = [("files", (name, content, mime)) for name, content, mime in files]
        form = {"classification": str(classification), "groups": ",".join(groups)}
        return self._request("POST", "/documents", files=multipart, data=form, timeout=UPLOAD_TIMEOUT)

    def usage(self) -> dict[str, Any]:
        return self._request("GET", "/usage")

    # -- evaluation (administrators and evaluators; others get Forbidden) -------------------
    def eval_suites(self) -> list[dict[str, Any]]:
        return self._request("GET", "/evals/suites")["suites"]

    def eval_runs(self) -> list[dict[str, Any]]:
        """Runs, newest first."""
        return self._request("GET", "/evals")["runs"]

    def eval_run(
        self, run_id: str, *, items: bool = False, offset: int = 0, limit: int = 50
    ) -> dict[str, Any]:
        """A run's record and `progress` while it runs; with `items`, one page of its items."""
        params = {"items": "true", "offset": offset, "limit": limit} if items else None
        return self._request("GET", f"/evals/{quote(run_id, safe='')}", params=params)

    def eval_compare(self, run_ids: Sequence[str]) -> dict[str, Any]:
        """Every (run, variant) against the first run: deltas with paired significance."""
        return self._request("GET", "/evals/compare", params=[("runs", r) for r in run_ids])

    def eval_report(self, run_id: str, others: Sequence[str] = ()) -> bytes:
        """The self-contained HTML report of the run (compared with `others`)."""
        params = [("with", r) for r in others]
        return self._send(
            "GET", f"/evals/{quote(run_id, safe='')}/report", params=params, timeout=REPORT_TIMEOUT
        ).content

    def start_eval(
        self, suite: str, backends: Sequence[str] | None = None, limit: int | None = None
    ) -> dict[str, Any]:
        """Start a run in the background; returns {run_id, status} at once."""
        body = {"suite": suite, "backends": list(backends) if backends else None, "limit": limit}
        return self._request("POST", "/evals", json=body)

    # -- inquiry replies (照会回答) and their review ------------------------------------------
    def split_inquiry(self, text: str) -> dict[str, Any]:
        """A pasted 照会文 as {inquiry: fields, preamble, items: [{number, text}]}, for the user to correct."""
        return self._request("POST", "/replies/split", json={"text": text})

    def draft_reply(
        self, inquiry: dict[str, Any], backend: str | None = None, allow_fallback: bool = False
    ) -> dict[str, Any]:
        """Draft a reply (stored as 下書き); returns the draft with its state and allowed actions."""
        body = {"inquiry": inquiry, "backend": backend, "allow_fallback": allow_fallback}
        return self._request("POST", "/replies/draft", json=body, timeout=CHAT_TIMEOUT)

    def replies(self, state: str | None = None, mine: bool | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {}
        if state:
            params["state"] = state
        if mine is not None:
            params["mine"] = "true" if mine else "false"
        return self._request("GET", "/replies", params=params)["drafts"]

    def reply(self, draft_id: str) -> dict[str, Any]:
        return self._request("GET", f"/replies/{quote(draft_id, safe='')}")

    def edit_reply(
        self, draft_id: str, draft: dict[str, Any], base_version: int, comment: str = ""
    ) -> dict[str, Any]:
        body = {"draft": draft, "base_version": base_version, "comment": comment}
        return self._request("PUT", f"/replies/{quote(draft_id, safe='')}", json=body)

    def transition_reply(self, draft_id: str, action: str, comment: str = "") -> dict[str, Any]:
        """action: submit (確認依頼) | approve (承認) | return (差戻し)."""
        body = {"action": action, "comment": comment}
        return self._request("POST", f"/replies/{quote(draft_id, safe='')}/transition", json=body)

    def reply_versions(self, draft_id: str) -> list[dict[str, Any]]:
        return self._request("GET", f"/replies/{quote(draft_id, safe='')}/versions")["versions"]

    def export_reply(self, draft_id: str, fmt: str = "docx") -> bytes:
        return self._send(
            "GET", f"/replies/{quote(draft_id, safe='')}/export", params={"format": fmt}
        ).content

    # -- batch jobs (一括作成) -------------------------------------------------------------------
    def start_batch(
        self, name: str, content: bytes, backend: str | None = None, allow_auto: bool = False
    ) -> dict[str, Any]:
        """Upload an inquiry table; returns {job_id, n_items, bad_rows: [{row, reason}], state}."""
        form = {"allow_auto": "true" if allow_auto else "false"} | ({"backend": backend} if backend else {})
        files = {"file": (name, content, "application/octet-stream")}
        return self._request("POST", "/batches", files=files, data=form, timeout=UPLOAD_TIMEOUT)

    def batches(self) -> list[dict[str, Any]]:
        """The caller's jobs, newest first."""
        return self._request("GET", "/batches")["jobs"]

    def batch(self, job_id: str) -> dict[str, Any]:
        """{job_id, state, n_items, done, failed, running, pending, backend, created_at, finished_at}."""
        return self._request("GET", f"/batches/{quote(job_id, safe='')}")

    def batch_items(self, job_id: str, limit: int = 500) -> list[dict[str, Any]]:
        """The first `limit` items in file order: {seq, row, state, attempts, error, input, result}."""
        path = f"/batches/{quote(job_id, safe='')}/items"
        return self._request("GET", path, params={"limit": limit})["items"]

    def batch_download(self, job_id: str, fmt: str) -> bytes:
        path = f"/batches/{quote(job_id, safe='')}/download"
        return self._send("GET", path, params={"format": fmt}, timeout=UPLOAD_TIMEOUT).content

    def cancel_batch(self, job_id: str) -> dict[str, Any]:
        return self._request("POST", f"/batches/{quote(job_id, safe='')}/cancel")

    def resume_batch(self, job_id: str) -> dict[str, Any]:
        return self._request("POST", f"/batches/{quote(job_id, safe='')}/resume")

    def deferred(self, method: str, *args: Any) -> Callable[[], bytes]:
        """`method(*args)` (export_reply, batch_download) called later by a download button, with a client of
        its own (the button calls it after this run's client is closed, outside the script's context)."""
        base_url, headers = self.base_url, dict(self._http.headers)

        def fetch() -> bytes:
            with YakubaClient(base_url, headers=headers) as client:
                return getattr(client, method)(*args)

        return fetch
