"""The API client with the calls of sign-in and sign-out (/sessions), kept apart from `ui/client.py`."""

from __future__ import annotations

from typing import Any

from ui.client import YakubaClient


class SessionClient(YakubaClient):
    """A client that can also open and end browser sessions."""

    def start_session(self, user_agent: str) -> dict[str, Any]:
        """A session for the holder of this client's API key: `{token, expires_at}`."""
        return self._request("POST", "/sessions", json={"user_agent": user_agent[:1000]})

    def current_session(self) -> dict[str, Any]:
        """The session this client's token belongs to (`expires_at` and more)."""
        return self._request("GET", "/sessions/current")

    def end_session(self) -> None:
        """Sign out: revoke this client's session."""
        self._request("DELETE", "/sessions/current")

    def end_all_sessions(self) -> int:
        """Sign out everywhere: revoke every session of the user; returns how many."""
        return self._request("DELETE", "/sessions")["revoked"]
