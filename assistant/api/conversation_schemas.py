"""Request and response models of managing conversations (rename, delete and undo) on /conversations."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from assistant.api.schemas import ApiModel


class RenameRequest(ApiModel):
    title: str = Field(
        max_length=1000,
        description="The new name: trimmed, then 1–200 characters on one line (no control characters).",
    )


class ConversationDeleted(ApiModel):
    """What a delete answers: enough to undo it."""

    id: str
    title: str
    deleted_at: datetime
    restorable_until: datetime = Field(
        description="Until when POST /conversations/{id}/restore undoes the delete; after it the conversation is "
        "removed for good."
    )
    restore_path: str = Field(description="The path to POST to undo the delete.")
