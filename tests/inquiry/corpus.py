"""A small in-memory index for the reply task: policy passages and past inquiry records (照会・回答), some with
access labels, searched with the deterministic bigram embedder."""

from __future__ import annotations

from core.model import Document
from ingest.chunking import chunk_documents
from ingest.loaders.records import records_to_documents
from tests.support.embedder import BigramEmbedder

HEADER = ["番号", "照会日", "照会元", "所管課", "件名", "照会内容", "回答内容", "回答日"]
RECORDS = [
    [
        "R6-001",
        "令和6年6月20日",
        "みどり町総務課",
        "人事課",
        "会計年度任用職員の夏季休暇について",
        "会計年度任用職員に夏季休暇を付与しているか。",
        "任期が6月以上の会計年度任用職員に、7月1日から9月30日までの間で夏季休暇を付与しています。"
        "日数は、週の勤務日数が5日の場合は3日です。",
        "令和6年6月28日",
    ],
    [
        "R6-002",
        "令和6年8月1日",
        "ひかり市人事課",
        "人事課",
        "会計年度任用職員の病気休暇の有給化について",
        "会計年度任用職員の病気休暇を有給としているか。",
        "本市では、令和6年度から会計年度任用職員の病気休暇を有給とし、1の年度において10日を上限としています。",
        "令和6年8月26日",
    ],
    [
        "R6-003",
        "令和6年7月8日",
        "ひかり市総務課",
        "総務課",
        "公文書の写しの交付に要する費用について",
        "公文書の写しの交付に係る費用の額を教えてほしい。",
        "写しの交付については、単色刷りは1枚10円、多色刷りは1枚50円を負担していただいています。",
        "令和6年7月12日",
    ],
    [
        "R6-004",
        "令和6年9月2日",
        "あおば市市民課",
        "市民課",
        "住民票の写しの交付手数料について",
        "住民票の写しの交付手数料はいくらか。",
        "住民票の写しの交付手数料は、1通300円としています。",
        "令和6年9月5日",
    ],
]
# a past answer only 財政課 staff with clearance 2 may see
RESTRICTED = [
    "R6-900",
    "令和6年10月1日",
    "うみべ県財政課",
    "財政課",
    "会計年度任用職員の人件費の予算計上について",
    "会計年度任用職員の夏季休暇に係る人件費をどう予算計上しているか。",
    "会計年度任用職員の夏季休暇の人件費は、内部検討中の試算により一人当たり3日分を計上しています。",
    "令和6年10月4日",
]
POLICY = Document(
    text="第12条 実施機関は、公開請求があった日から15日以内に、公開をするかどうかの決定をしなければならない。\n"
    "2 実施機関は、事務処理上の困難その他正当な理由があるときは、30日以内に限り延長することができる。",
    source="例規/みなと市情報公開条例.txt",
    title="みなと市情報公開条例",
    article="第十二条",
)


def reply_chunks():
    records = records_to_documents([HEADER, *RECORDS], "照会回答/記録.csv")
    restricted = records_to_documents([HEADER, RESTRICTED], "内部/財政課記録.csv")
    for doc in restricted:
        doc.classification, doc.groups = 2, ["財政課"]
    return chunk_documents([*records, *restricted, POLICY], size=400, overlap=0)


def reply_store():
    from assistant.retrieval.local_store import build_in_memory

    return build_in_memory(reply_chunks(), BigramEmbedder())
