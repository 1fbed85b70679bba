"""Builders for retrieval tests: a small Japanese municipal corpus and a model-free embedder."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from core.model import Chunk, make_chunk_id


class BigramEmbedder:
    """Hashed character bigrams → L2-normalised vector. Deterministic, instant, no model."""

    data_location = "organisation"

    def __init__(self, name: str = "fake-bigram", dim: int = 256):
        self.name = name
        self.dim = dim

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for a, b in zip(text, text[1:], strict=False):
            vec[int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._one(text)


# (source, title, text, extra Chunk fields)
CORPUS = [
    (
        "手数料条例.pdf",
        "手数料条例",
        "住民票の写しの交付手数料は、1通につき300円とする。窓口は市民課である。",
        {},
    ),
    ("手数料条例.pdf", "手数料条例", "印鑑登録証明書の交付手数料は、1通につき300円とする。", {}),
    (
        "ごみ収集の手引.docx",
        "ごみ収集の手引",
        "粗大ごみの収集は事前申込制とし、処理券を購入して貼付する。",
        {"date": "2023-04-01"},
    ),
    (
        "児童手当.html",
        "児童手当のお知らせ",
        "児童手当の支給日は、毎年6月、10月及び2月とする。",
        {"date": "2024-04-01"},
    ),
    ("固定資産税.md", "固定資産税の納期", "固定資産税の納期は、4月、7月、12月及び2月の年4回である。", {}),
    (
        "情報公開.txt",
        "情報公開事務の手引",
        "情報公開請求に対する決定は、請求のあった日から15日以内に行う。",
        {},
    ),
    ("公用車.txt", "公用車管理規程", "公用車を使用するときは、使用日の前日までに管財課へ申請する。", {}),
    (
        "照会記録.csv",
        "照会記録",
        "住民票の写しを郵便で請求できるかとの照会に対し、郵便請求が可能である旨を回答した。",
        {"doc_type": "inquiry", "date": "2024-05-10", "fields": {"所管課": "市民課", "回答日": "2024-05-10"}},
    ),
    (
        "照会記録.csv",
        "照会記録",
        "粗大ごみの申込方法についての照会に対し、電話又は電子申請で受け付ける旨を回答した。",
        {"doc_type": "inquiry", "date": "2022-11-02", "fields": {"所管課": "環境課"}},
    ),
    # restricted material: all about 予算査定, so that topic's best matches are all restricted
    (
        "予算査定メモ1.docx",
        "予算査定メモ",
        "予算査定の内部検討：福祉部の予算要求を削減する方針案。",
        {"classification": 3, "groups": ["財政課"]},
    ),
    (
        "予算査定メモ2.docx",
        "予算査定メモ",
        "予算査定の内部検討：土木部の予算要求は次年度に先送りする。",
        {"classification": 3, "groups": ["財政課"]},
    ),
    (
        "予算査定メモ3.docx",
        "予算査定メモ",
        "予算査定の内部検討：教育部の予算要求の査定額を減額する。",
        {"classification": 2, "groups": ["財政課"]},
    ),
    (
        "人事評価.pdf",
        "人事評価実施要領",
        "人事評価の結果は、勤勉手当の成績率の決定に反映させる。",
        {"classification": 2, "groups": ["人事課"]},
    ),
    ("予算編成方針.pdf", "予算編成方針", "予算編成の基本方針は、歳出の見直しと財源の確保である。", {}),
]

RESTRICTED_TEXTS = {text for _, _, text, extra in CORPUS if extra.get("classification", 1) > 1}


def make_chunks() -> list[Chunk]:
    chunks = []
    for ordinal, (source, title, text, extra) in enumerate(CORPUS):
        chunks.append(
            Chunk(
                chunk_id=make_chunk_id(source, ordinal, text),
                text=text,
                search_text=f"{title}\n{text}",
                source=source,
                title=title,
                ordinal=ordinal,
                **extra,
            )
        )
    return chunks


@pytest.fixture
def chunks() -> list[Chunk]:
    return make_chunks()


@pytest.fixture
def embedder() -> BigramEmbedder:
    return BigramEmbedder()


@pytest.fixture
def restricted_texts() -> set[str]:
    return set(RESTRICTED_TEXTS)


@pytest.fixture
def embedder_class() -> type[BigramEmbedder]:
    return BigramEmbedder
