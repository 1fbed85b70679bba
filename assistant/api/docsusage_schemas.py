"""Request and response models of the administrators' document actions (delete, replace, reclassify)."""

from __future__ import annotations

from pydantic import Field, field_validator

from assistant.api.schemas import ApiModel, IngestSummaryOut


class LabelsOut(ApiModel):
    classification: int = Field(description="機密性 level.")
    groups: list[str] = Field(description="Access groups; empty = every user.")


class ReclassifyIn(ApiModel):
    classification: int = Field(ge=1, le=3, description="New 機密性 level (1–3), higher or lower than now.")
    groups: list[str] = Field(default_factory=list, description="New access groups; empty = every user.")

    @field_validator("groups")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        cleaned = sorted({g.strip() for g in value if g.strip()})
        if any(len(g) > 100 or "," in g for g in cleaned):
            raise ValueError("グループ名は100文字以内で、読点（,）を含めずに指定してください。")
        return cleaned


class DocumentActionOut(ApiModel):
    action: str = Field(description="delete, replace or reclassify.")
    file_name: str
    old: LabelsOut = Field(description="Labels before the action.")
    new: LabelsOut | None = Field(description="Labels after it (None after a delete).")
    summary: IngestSummaryOut = Field(description="The ingest run that updated the index.")
