"""InvokeModel of the fake Bedrock (tests/fakes/bedrock_server.py): Titan and Cohere embedding bodies checked as
Bedrock checks them, deterministic vectors, and the error reply every handler raises."""

from __future__ import annotations

import uuid
from typing import Any

from tests.fakes.scripted_server import FakeRequestHandler
from tests.fakes.synthetic import estimate_tokens, hashed_embedding

TITAN_EMBED_V2 = "amazon.titan-embed-text-v2:0"
COHERE_EMBED_MULTILINGUAL_V3 = "cohere.embed-multilingual-v3"
_TITAN_DIMENSIONS = (256, 512, 1024)
_COHERE_DIMENSIONS = 1024
_COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering")
_COHERE_MAX_TEXTS = 96


class BedrockError(Exception):
    """An error reply: raised while handling, sent as Bedrock would send it."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    @classmethod
    def validation(cls, message: str) -> BedrockError:
        return cls(400, "ValidationException", message)


def request_id() -> dict[str, str]:
    return {"x-amzn-RequestId": str(uuid.uuid4())}


def scripted_failure(failures: dict[str, str], body: Any) -> str | None:
    if not failures or not isinstance(body, dict):
        return None
    texts = body.get("texts") if isinstance(body.get("texts"), list) else [body.get("inputText")]
    text = "\n".join(t for t in texts if isinstance(t, str))
    return next((kind for fragment, kind in failures.items() if fragment in text), None)


def _titan_embedding(body: dict) -> tuple[dict, int]:
    text = body.get("inputText")
    if not isinstance(text, str) or not text:
        raise BedrockError.validation("Malformed input request: inputText must be a non-empty string.")
    dimensions = body.get("dimensions", 1024)
    if dimensions not in _TITAN_DIMENSIONS:
        raise BedrockError.validation(
            f"Malformed input request: dimensions must be one of {_TITAN_DIMENSIONS}."
        )
    vector = hashed_embedding(text, dimensions, normalize=body.get("normalize", True))
    tokens = estimate_tokens(text)
    return {"embedding": vector, "inputTextTokenCount": tokens, "embeddingsByType": {"float": vector}}, tokens


def _cohere_embeddings(body: dict) -> tuple[dict, int]:
    texts = body.get("texts")
    if (
        not isinstance(texts, list)
        or not all(isinstance(t, str) for t in texts)
        or len(texts) > _COHERE_MAX_TEXTS
    ):
        raise BedrockError.validation(
            f"Malformed input request: texts must be a list of at most {_COHERE_MAX_TEXTS} strings."
        )
    if body.get("input_type") not in _COHERE_INPUT_TYPES:
        raise BedrockError.validation(
            f"Malformed input request: input_type must be one of {_COHERE_INPUT_TYPES}."
        )
    vectors = [hashed_embedding(text, _COHERE_DIMENSIONS) for text in texts]
    result: dict[str, Any] = {"id": str(uuid.uuid4()), "texts": texts}
    embedding_types = body.get("embedding_types")
    if embedding_types is None:
        result.update(embeddings=vectors, response_type="embeddings_floats")
    elif embedding_types == ["float"]:
        result.update(embeddings={"float": vectors}, response_type="embeddings_by_type")
    else:
        raise BedrockError.validation("The fake server supports only float embeddings.")
    return result, sum(estimate_tokens(text) for text in texts)


_EMBEDDERS = {TITAN_EMBED_V2: _titan_embedding, COHERE_EMBED_MULTILINGUAL_V3: _cohere_embeddings}


def send_invoke(handler: FakeRequestHandler, model_id: str, body: dict) -> None:
    embedder = _EMBEDDERS.get(model_id)
    if embedder is None:
        raise BedrockError.validation("The provided model identifier is invalid.")
    result, input_tokens = embedder(body)
    headers = {
        **request_id(),
        "X-Amzn-Bedrock-Input-Token-Count": str(input_tokens),
        "X-Amzn-Bedrock-Output-Token-Count": "0",
    }
    handler.send_json(200, result, headers)
