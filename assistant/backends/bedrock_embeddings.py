"""Bedrock embedders (`bedrock/<model-id>`) through langchain-aws `BedrockEmbeddings` (InvokeModel).

Supported: Titan Text Embeddings v2 (`bedrock/amazon.titan-embed-text-v2:0`, one text per call)
and Cohere Embed Multilingual v3 (`bedrock/cohere.embed-multilingual-v3`, up to 96 texts per
call, `search_document` for passages and `search_query` for queries). The runtime client is the
one the chat backends use (region, endpoint override, timeouts).

Note: embedding sends chunk text (at ingest) and query text (at search) to Bedrock. `data_location`
says where (from the model ID's prefix and the region, as for chat models, or
`backend_data_locations["bedrock/<model-id>"]`), so the ingest pipeline and the index can refuse to
send text whose 機密性 the classification policy keeps elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from core.errors import UnknownEmbedderError
from core.policy import check_location

if TYPE_CHECKING:
    from assistant.config import Settings

# model ID → (output dimension, maximum characters per text)
_MODELS = {
    "amazon.titan-embed-text-v2:0": (1024, 50_000),
    "cohere.embed-multilingual-v3": (1024, 2048),
}


class BedrockEmbedder:
    """An `Embedder` backed by a Bedrock embedding model; vectors are L2-normalised float32."""

    def __init__(self, model_id: str, settings: Settings | None = None):
        if model_id not in _MODELS:
            raise UnknownEmbedderError(
                f"Bedrock の埋め込みモデル「{model_id}」には対応していません。"
                f"指定できるもの: {', '.join('bedrock/' + m for m in _MODELS)}"
            )
        from langchain_aws import BedrockEmbeddings

        from assistant.backends.bedrock import location_for, runtime_client
        from assistant.config import get_settings

        settings = settings or get_settings()
        self.name = f"bedrock/{model_id}"
        self.dim, self._max_chars = _MODELS[model_id]
        configured = settings.backend_data_locations.get(self.name)
        self.data_location = (
            check_location(configured, f"backend_data_locations[{self.name}]")
            if configured
            else location_for(model_id, settings.aws_region)
        )
        is_cohere = model_id.startswith("cohere.")
        self._model = BedrockEmbeddings(
            client=runtime_client(settings),
            model_id=model_id,
            normalize=True,
            dimensions=None if is_cohere else self.dim,
            model_kwargs={"truncate": "END"} if is_cohere else None,
        )

    def _clip(self, texts: list[str]) -> list[str]:
        return [text[: self._max_chars] or " " for text in texts]

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.embed_documents(self._clip(list(texts)))
        return _normalised(np.asarray(vectors, dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        vector = self._model.embed_query(self._clip([text])[0])
        return _normalised(np.asarray([vector], dtype=np.float32))[0]


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
