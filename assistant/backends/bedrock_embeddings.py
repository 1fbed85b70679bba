"""Bedrock embedders (`bedrock/<model-id>`) through langchain-aws `BedrockEmbeddings` (InvokeModel).

Supported: Titan Text Embeddings v2 (`bedrock/amazon.titan-embed-text-v2:0`, one text per call)
and Cohere Embed Multilingual v3 (`bedrock/cohere.embed-multilingual-v3`, up to 96 texts per
call, `search_document` for passages and `search_query` for queries).

Queries use the chat backends' runtime client (region, endpoint override, timeouts, no retries: a search
fails fast). Documents (ingest) use a client of their own: botocore's `embed_retry_mode` retries throttling
and 5xx with exponential backoff and jitter (adaptive mode also rate-limits the client after throttling),
its pool holds `embed_concurrency` connections, and its requests, retries and input tokens are counted for
the per-run audit row. Chunk text is masked (personal data → placeholders) before it leaves, as queries are.

Note: embedding sends chunk text (at ingest) and query text (at search) to Bedrock. `data_location`
says where (from the model ID's prefix and the region, as for chat models, or
`backend_data_locations["bedrock/<model-id>"]`), so the ingest pipeline and the index can refuse to
send text whose 機密性 the classification policy keeps elsewhere (ingest/embedding.py checks each chunk).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import BackendUnavailable, UnknownEmbedderError
from core.policy import check_location
from ingest.embedding import EmbedConfig

if TYPE_CHECKING:
    from assistant.audit import AuditSink
    from assistant.config import Settings
    from ingest.embedding import EmbedReport

# model ID → (output dimension, maximum characters per text, texts per ingest batch)
_MODELS = {
    "amazon.titan-embed-text-v2:0": (1024, 50_000, 16),  # one request per text: small batches resume finely
    "cohere.embed-multilingual-v3": (1024, 2048, 96),  # one request per batch of up to 96
}
_SOURCES_IN_AUDIT = 200  # file names listed in the per-run audit row (the count is always complete)


class BedrockEmbedder:
    """An `Embedder` backed by a Bedrock embedding model; vectors are L2-normalised float32."""

    def __init__(self, model_id: str, settings: Settings | None = None):
        if model_id not in _MODELS:
            raise UnknownEmbedderError(
                f"Bedrock の埋め込みモデル「{model_id}」には対応していません。"
                f"指定できるもの: {', '.join('bedrock/' + m for m in _MODELS)}"
            )
        from assistant.backends.bedrock import location_for, runtime_client
        from assistant.config import get_settings

        settings = settings or get_settings()
        self._settings = settings
        self.model_id = model_id
        self.name = f"bedrock/{model_id}"
        self.dim, self._max_chars, batch = _MODELS[model_id]
        configured = settings.backend_data_locations.get(self.name)
        self.data_location = (
            check_location(configured, f"backend_data_locations[{self.name}]")
            if configured
            else location_for(model_id, settings.aws_region)
        )
        self._mask = settings.embed_mask_documents
        self.cache_name = self.name + ("|masked" if self._mask else "")  # masked and clear vectors differ
        self.embed_config = EmbedConfig(
            concurrency=settings.embed_concurrency,
            batch_size=batch,
            cache_dir=settings.embed_cache_dir or settings.home / "cache" / "embeddings",
        )
        self.audit: AuditSink | None = (
            None  # default: the records database's audit log (built when first used)
        )
        self._lock = threading.Lock()
        self._usage: Counter[str] = Counter()
        self._masked: Counter[str] = Counter()
        self._model = self._langchain(runtime_client(settings))
        self._documents = self._langchain(self._document_client(settings))

    def _langchain(self, client: Any) -> Any:
        from langchain_aws import BedrockEmbeddings

        is_cohere = self.model_id.startswith("cohere.")
        return BedrockEmbeddings(
            client=client,
            model_id=self.model_id,
            normalize=True,
            dimensions=None if is_cohere else self.dim,
            model_kwargs={"truncate": "END"} if is_cohere else None,
        )

    def _document_client(self, settings: Settings) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            region_name=settings.aws_region,
            connect_timeout=settings.backend_connect_timeout_seconds,
            read_timeout=settings.backend_timeout_seconds,
            retries={"mode": settings.embed_retry_mode, "total_max_attempts": settings.embed_max_attempts},
            max_pool_connections=max(10, settings.embed_concurrency),
        )
        client = boto3.client(
            "bedrock-runtime",
            region_name=settings.aws_region,
            endpoint_url=settings.bedrock_endpoint_url,
            config=config,
        )
        events = client.meta.events
        events.register("before-send.bedrock-runtime.InvokeModel", self._count_request)
        events.register("after-call.bedrock-runtime.InvokeModel", self._count_call)
        return client

    def _count_request(self, **_: Any) -> None:
        with self._lock:
            self._usage["requests"] += 1

    def _count_call(self, http_response: Any = None, parsed: Any = None, **_: Any) -> None:
        tokens = int(
            (http_response.headers.get("X-Amzn-Bedrock-Input-Token-Count") if http_response else 0) or 0
        )
        retries = int(((parsed or {}).get("ResponseMetadata") or {}).get("RetryAttempts") or 0)
        with self._lock:
            self._usage["input_tokens"] += tokens
            self._usage["retries"] += retries

    def _clip(self, texts: list[str]) -> list[str]:
        return [text[: self._max_chars] or " " for text in texts]

    def _outbound(self, texts: list[str]) -> list[str]:
        """Personal data masked (one `Masker` per text, so the same text always leaves the same way)."""
        if not self._mask:
            return texts
        from assistant.masking import Masker

        masked = []
        for text in texts:
            masker = Masker()
            masked.append(masker.mask(text))
            with self._lock:
                self._masked.update(masker.counts)
        return masked

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        try:
            vectors = self._documents.embed_documents(self._clip(self._outbound(list(texts))))
        except Exception as exc:
            raise self._failure(exc) from exc
        return _normalised(np.asarray(vectors, dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        try:
            vector = self._model.embed_query(self._clip([text])[0])
        except Exception as exc:
            raise self._failure(exc) from exc
        return _normalised(np.asarray([vector], dtype=np.float32))[0]

    def _failure(self, exc: Exception) -> BackendUnavailable:
        from botocore.exceptions import ClientError

        from assistant.backends.bedrock import is_transient

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            detail = f"{error.get('Code', '')}: {error.get('Message', '')}"
        else:
            detail = f"{type(exc).__name__}: {exc}"
        if is_transient(exc):
            return BackendUnavailable(
                f"Bedrock の埋め込みモデル「{self.name}」が{self._settings.embed_max_attempts}回試行しても応答しません"
                f"でした（{detail}）。混雑が収まってから再実行するか、YAKUBA_EMBED_CONCURRENCY を下げてください。"
            )
        return BackendUnavailable(
            f"Bedrock の埋め込みモデル「{self.name}」が要求を受け付けませんでした（{detail}）。"
        )

    # --- audit -----------------------------------------------------------------------------------
    def record_embedding_run(self, report: EmbedReport) -> None:
        """One audit row per ingest run (not per request: a large ingest makes hundreds of thousands of calls,
        each a hash-chained append, and the row already says what left, where, how much and what was masked)."""
        with self._lock:
            usage, self._usage = self._usage, Counter()
            masked, self._masked = self._masked, Counter()
        sink = self.audit
        if sink is None:
            from assistant.records.audit_log import settings_audit_sink

            sink = self.audit = settings_audit_sink(self._settings)
        sink.record(
            {
                "user": "",
                "task": "ingest_embedding",
                "requested": self.name,
                "backend": self.name,
                "model_id": self.model_id,
                "data_location": self.data_location,
                "level": report.level,
                "reason": "ingest",
                "masked": dict(masked),
                "usage": {"input_tokens": usage["input_tokens"]},
                "latency_ms": int(report.seconds * 1000),
                "texts": report.texts,
                "texts_sent": report.sent,
                "texts_cached": report.cached,
                "requests": usage["requests"],
                "retries": usage["retries"],
                "files": len(report.sources),
                "sources": report.sources[:_SOURCES_IN_AUDIT],
                "outcome": report.outcome,
                "error": report.error,
            }
        )


def _normalised(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.where(norms == 0, 1.0, norms), dtype=np.float32)


class BedrockEmbedders:
    """The `bedrock` embedder provider (registered lazily in embedders.py)."""

    def names(self) -> list[str]:
        return list(_MODELS)

    def create(self, name: str) -> BedrockEmbedder:
        return BedrockEmbedder(name)


PROVIDER = BedrockEmbedders()
