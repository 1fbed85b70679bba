"""Request and response models of /sessions (browser sessions issued after sign-in)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from assistant.api.schemas import ApiModel
from assistant.records.web_sessions import USER_AGENT_CHARS


class SessionRequest(ApiModel):
    user_agent: str = Field(
        "",
        max_length=1000,
        description="The browser the session is for, as a client that signs users in (the web UI) saw it; "
        f"kept (first {USER_AGENT_CHARS} characters) so a user can tell sessions apart. Default: this "
        "request's User-Agent.",
    )


class SessionIssued(ApiModel):
    token: str = Field(
        description="The session token (`ys_...`), shown only now: send it as `Authorization: Bearer` until "
        "`expires_at`. Only its SHA-256 is stored."
    )
    expires_at: datetime


class SessionOut(ApiModel):
    created_at: datetime
    expires_at: datetime = Field(description="When the session ends; it is not extended by use.")
    last_seen_at: datetime = Field(description="Last use, to within a minute.")
    user_agent: str


class SessionsRevoked(ApiModel):
    revoked: int = Field(description="How many of the caller's sessions were signed out.")
