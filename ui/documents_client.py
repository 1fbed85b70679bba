"""Calls of the administrators' document actions (delete, replace, reclassify) on the UI's `YakubaClient` (its
connection, headers and Japanese errors). A document is addressed by its indexed source, `<upload id>/<name>`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ui.client import UPLOAD_TIMEOUT, YakubaClient


def _path(source: str) -> str:
    upload_id, _, name = source.partition("/")
    return f"/documents/{quote(upload_id, safe='')}/{quote(name, safe='')}"


def delete(client: YakubaClient, source: str) -> dict[str, Any]:
    return client._request("DELETE", _path(source), timeout=UPLOAD_TIMEOUT)


def replace(client: YakubaClient, source: str, content: bytes, media_type: str | None) -> dict[str, Any]:
    name = source.partition("/")[2]
    files = {"file": (name, content, media_type or "application/octet-stream")}
    return client._request("PUT", _path(source), files=files, timeout=UPLOAD_TIMEOUT)


def reclassify(client: YakubaClient, source: str, classification: int, groups: list[str]) -> dict[str, Any]:
    body = {"classification": classification, "groups": groups}
    return client._request("PATCH", _path(source), json=body, timeout=UPLOAD_TIMEOUT)
