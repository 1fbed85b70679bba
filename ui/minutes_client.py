"""Calls of the /minutes API for the 議事録作成 page, on the UI's `YakubaClient` (its connection, headers and
Japanese errors). Kept apart from ui/client.py while the minutes pages are new; each is one request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ui.client import CHAT_TIMEOUT, UPLOAD_TIMEOUT, YakubaClient


def _id(value: str) -> str:
    return quote(value, safe="")


def draft_from_text(
    client: YakubaClient, fields: dict[str, Any], backend: str | None, allow_fallback: bool
) -> dict[str, Any]:
    """Pasted text (in `fields["transcript"]`) with style, limits and particulars → the job (done, or running)."""
    body = {"input": fields, "backend": backend, "allow_fallback": allow_fallback}
    return client._request("POST", "/minutes/draft", json=body, timeout=CHAT_TIMEOUT)


def draft_from_file(
    client: YakubaClient, name: str, content: bytes, form: dict[str, str], backend: str | None,
    allow_fallback: bool,
) -> dict[str, Any]:  # fmt: skip
    data = (
        form
        | {"allow_fallback": "true" if allow_fallback else "false"}
        | ({"backend": backend} if backend else {})
    )
    files = {"file": (name, content, "application/octet-stream")}
    return client._request("POST", "/minutes/draft", files=files, data=data, timeout=UPLOAD_TIMEOUT)


def job(client: YakubaClient, job_id: str) -> dict[str, Any]:
    return client._request("GET", f"/minutes/jobs/{_id(job_id)}")


def cancel_job(client: YakubaClient, job_id: str) -> dict[str, Any]:
    return client._request("POST", f"/minutes/jobs/{_id(job_id)}/cancel")


def mine(client: YakubaClient) -> list[dict[str, Any]]:
    return client._request("GET", "/minutes", params={"mine": "true"})["minutes"]


def get(client: YakubaClient, draft_id: str) -> dict[str, Any]:
    return client._request("GET", f"/minutes/{_id(draft_id)}")


def turns(client: YakubaClient, draft_id: str) -> list[dict[str, Any]]:
    return client._request("GET", f"/minutes/{_id(draft_id)}/turns")["turns"]


def edit(
    client: YakubaClient, draft_id: str, minutes: dict[str, Any], base_version: int, comment: str
) -> dict:
    body = {"minutes": minutes, "base_version": base_version, "comment": comment}
    return client._request("PUT", f"/minutes/{_id(draft_id)}", json=body)


def transition(client: YakubaClient, draft_id: str, action: str, comment: str = "") -> dict[str, Any]:
    body = {"action": action, "comment": comment}
    return client._request("POST", f"/minutes/{_id(draft_id)}/transition", json=body)


def export(client: YakubaClient, draft_id: str, fmt: str) -> bytes:
    return client._send("GET", f"/minutes/{_id(draft_id)}/export", params={"format": fmt}).content


def deferred_export(client: YakubaClient, draft_id: str, fmt: str) -> Callable[[], bytes]:
    """The export fetched when the download button is clicked, with a client of its own (see `deferred`)."""
    base_url, headers = client.base_url, dict(client._http.headers)

    def fetch() -> bytes:
        with YakubaClient(base_url, headers=headers) as own:
            return export(own, draft_id, fmt)

    return fetch
