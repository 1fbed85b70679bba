"""GET /models: the backends the caller may use, whether each can be used now, and why not."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from assistant.api.access import may_use_backend
from assistant.api.deps import ContextDep, CurrentUser
from assistant.api.errors import error_responses
from assistant.api.schemas import ModelList, ModelOut

router = APIRouter(tags=["models"])


def _max_level(settings: Any, spec: Any) -> int:
    from core.policy import allows

    policy = settings.classification_policy
    levels = [level for level in (1, 2, 3) if allows(policy, level, spec.data_location, spec.address)]
    return max(levels, default=0)


def _reason(row: dict[str, Any], max_level: int, clearance: int) -> tuple[bool, str | None]:
    if not row["configured"]:
        return False, row["note"] or "このモデルは設定されていません。管理者にお問い合わせください。"
    if row["reachable"] is False:
        return False, row["note"] or "このモデルに接続できません。しばらく待ってから再度お試しください。"
    if max_level == 0:
        return False, "機密性区分の規程により、このモデルには資料を送信できません。"
    if max_level < clearance:
        return True, (
            f"機密性{max_level + 1}以上の資料を含む質問には使用できません"
            "（その場合は自動切替を許可するか、別のモデルを選択してください）。"
        )
    return True, None


@router.get("/models", response_model=ModelList, responses=error_responses(401))
def list_models(user: CurrentUser, ctx: ContextDep) -> ModelList:
    """Backends open to the caller: availability, the highest 機密性 level each may receive, and
    in Japanese why one cannot be used (not configured, unreachable, or the classification policy)."""
    from assistant.backends.registry import list_specs
    from core.policy import LOCATION_LABELS

    settings = ctx.settings
    rows = ctx.backend_status.rows()
    models = []
    for spec in list_specs(settings):
        if not may_use_backend(settings, user, spec.address):
            continue
        row = rows.get(spec.address) or spec.describe(None)
        level = _max_level(settings, spec)
        available, reason = _reason(row, level, user.clearance)
        models.append(
            ModelOut(
                address=spec.address,
                provider=spec.provider,
                model_id=spec.model_id,
                mode=spec.mode,
                data_location=spec.data_location,
                data_location_label=LOCATION_LABELS.get(spec.data_location, spec.data_location),
                max_level=level,
                default=spec.address == settings.default_backend,
                available=available,
                reason=reason,
            )
        )
    return ModelList(models=models)
