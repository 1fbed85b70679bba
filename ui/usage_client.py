"""GET /usage with its period, section and time-zone filters, on the UI's `YakubaClient`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ui.client import YakubaClient


def usage(
    client: YakubaClient, since: datetime, until: datetime, tz: str, group: str | None = None
) -> dict[str, Any]:
    """Usage in [since, until) (aware datetimes); `group` (administrators only): one section's users."""
    params = {"since": since.isoformat(), "until": until.isoformat(), "tz": tz}
    return client._request("GET", "/usage", params=params | ({"group": group} if group else {}))
