"""Calls of the /conversations API for the sidebar's conversation list, on the UI's `YakubaClient` (its
connection, headers and Japanese errors). Kept apart from ui/client.py; each is one request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ui.client import YakubaClient


def _path(conversation_id: str, tail: str = "") -> str:
    return f"/conversations/{quote(conversation_id, safe='')}{tail}"


def search(client: YakubaClient, query: str = "") -> list[dict[str, Any]]:
    """The caller's conversations, most recent first; with `query`, those whose name or text contains it."""
    params = {"q": query.strip()} if query.strip() else None
    return client._request("GET", "/conversations", params=params)


def rename(client: YakubaClient, conversation_id: str, title: str) -> dict[str, Any]:
    return client._request("PATCH", _path(conversation_id), json={"title": title})


def delete(client: YakubaClient, conversation_id: str) -> dict[str, Any]:
    """Delete; returns {id, title, deleted_at, restorable_until, restore_path}."""
    return client._request("DELETE", _path(conversation_id))


def restore(client: YakubaClient, conversation_id: str) -> dict[str, Any]:
    return client._request("POST", _path(conversation_id, "/restore"))


def export(client: YakubaClient, conversation_id: str, fmt: str, tz: str | None = None) -> bytes:
    params = {"format": fmt} | ({"tz": tz} if tz else {})
    return client._send("GET", _path(conversation_id, "/export"), params=params).content


def deferred_export(
    client: YakubaClient, conversation_id: str, fmt: str, tz: str | None = None
) -> Callable[[], bytes]:
    """The export fetched when the download button is clicked, with a client of its own (the button calls it
    after this run's client is closed)."""
    base_url, headers = client.base_url, dict(client._http.headers)

    def fetch() -> bytes:
        with YakubaClient(base_url, headers=headers) as own:
            return export(own, conversation_id, fmt, tz)

    return fetch
