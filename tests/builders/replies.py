"""Reply drafts built by hand (the shape the reply task produces), for the review workflow, exports, API and UI
tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from assistant.tasks.reply_models import (
    AnswerItem,
    ReplyDraft,
    ReplyInput,
    ReplySource,
    SectionSuggestion,
    SimilarInquiry,
)


def reply_input(**overrides: Any) -> ReplyInput:
    values: dict[str, Any] = {
        "subject": "会計年度任用職員の休暇制度について",
        "sender": "東京都総務局",
        "sender_section": "行政部区政課",
        "asked_on": date(2025, 4, 10),
        "reference": "6総行区第123号",
        "content": "1. 夏季休暇の付与日数を伺います。\n2. 病気休暇の有給・無給の別を伺います。",
        "due_on": date(2025, 4, 25),
    }
    return ReplyInput(**(values | overrides))


def policy_source(n: int = 1, **overrides: Any) -> ReplySource:
    values: dict[str, Any] = {
        "n": n,
        "chunk_id": f"policy-{n}",
        "kind": "policy",
        "title": "会計年度任用職員の勤務条件に関する規則",
        "source": "docs/規則.md",
        "location": "第8条",
        "quote": "会計年度任用職員の夏季休暇は、7月から9月までの間において3日とする。",
        "date": "2024-04-01",
        "classification": 1,
    }
    return ReplySource(**(values | overrides))


def past_answer_source(n: int = 2, **overrides: Any) -> ReplySource:
    values: dict[str, Any] = {
        "n": n,
        "chunk_id": f"past-{n}",
        "kind": "past_answer",
        "title": "病気休暇の取扱いについて",
        "source": "records/照会記録.csv",
        "location": "照会記録 第15行",
        "quote": "病気休暇は、有給とする（ただし、任期が6月未満の者は無給とする。）。",
        "date": "2023-11-02",
        "sender": "大阪府総務部",
        "section": "人事課",
        "classification": 2,
        "groups": ["人事課"],
    }
    return ReplySource(**(values | overrides))


def reply_draft(**overrides: Any) -> ReplyDraft:
    """A two-item draft: item 1 answered from a policy passage, item 2 from a past answer (機密性2), and a third
    item with no source (要確認)."""
    values: dict[str, Any] = {
        "document_number": "○○第　　号",
        "date": "令和7年4月20日",
        "addressee": "東京都総務局長　様",
        "sender": "みなと市長\n（総務部人事課）",
        "subject": "会計年度任用職員の休暇制度について（回答）",
        "opening": "令和7年4月10日付け6総行区第123号で照会のありました標記の件について、下記のとおり回答します。",
        "items": [
            AnswerItem(
                number="1", question="夏季休暇の付与日数を伺います。",
                answer="夏季休暇は、7月から9月までの間において3日としている[1]。", status="回答", sources=[1],
            ),
            AnswerItem(
                number="2", question="病気休暇の有給・無給の別を伺います。",
                answer="病気休暇は有給としている。ただし、任期が6月未満の者は無給としている[2]。",
                status="回答", sources=[2],
            ),
            AnswerItem(
                number="3", question="休暇の繰越しの可否を伺います。", answer="", status="要確認",
                note="休暇の繰越しについて記載した資料が見当たらない。",
            ),
        ],
        "sources": [policy_source(1), past_answer_source(2)],
        "open_points": ["3　休暇の繰越しの可否：根拠となる資料が見当たらない。"],
        "contact": "担当：人事課給与係　電話：03-0000-0000（内線123）",
        "classification": 2,
        "section_suggestions": [
            SectionSuggestion(section="人事課", confidence=0.72),
            SectionSuggestion(section="総務課", confidence=0.18),
        ],
        "similar": [
            SimilarInquiry(
                chunk_id="past-2", subject="病気休暇の取扱いについて", question="病気休暇は有給か。",
                answer="病気休暇は、有給とする。", sender="大阪府総務部", section="人事課",
                asked_on="2023-10-20", answered_on="2023-11-02", score=0.81, classification=2,
            )
        ],
        "inquiry": reply_input(),
        "backend": "offline/extractive",
        "mode": "extractive",
    }  # fmt: skip
    return ReplyDraft(**(values | overrides))
