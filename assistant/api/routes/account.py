"""GET /me: who the API takes the caller to be (the UI's sign-in check and upload form use it)."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api.deps import CurrentUser, SettingsDep
from assistant.api.errors import error_responses
from assistant.api.schemas import AccountOut

router = APIRouter(tags=["account"])


@router.get("/me", response_model=AccountOut, responses=error_responses(401, 403))
def me(user: CurrentUser, settings: SettingsDep) -> AccountOut:
    """The caller's name, access groups, clearance and rights."""
    groups = list(user.groups or [])
    return AccountOut(
        name=user.name,
        groups=groups,
        clearance=user.clearance,
        is_admin=user.is_admin,
        can_upload=user.is_admin or bool(set(groups) & set(settings.upload_groups)),
    )
