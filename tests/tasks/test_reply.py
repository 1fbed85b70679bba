"""The reply task offline, through the real runner over an in-memory index: items, 記, 根拠, 要確認, triage and
access rules (a source above the caller's clearance or outside their groups is never used, listed or counted)."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.router import Router
from assistant.tasks import get_task
from assistant.tasks.base import Principal
from assistant.tasks.reply import REPLY
from assistant.tasks.reply_models import ReplyInput
from assistant.tasks.runner import Runner
from core.wareki import to_wareki
from tests.inquiry.corpus import reply_store

CLERK = Principal(name="clerk", groups=["人事課"], clearance=1)
BUDGET = Principal(name="budget", groups=["財政課"], clearance=2)
THREE = "1　会計年度任用職員の夏季休暇は付与しているか。\n2　病気休暇は有給としているか。\n3　公用車の電気自動車の導入計画はあるか。"


@pytest.fixture(scope="module")
def store():
    return reply_store()


@pytest.fixture
def runner(tmp_path, store):
    settings = Settings(
        home=tmp_path, reply_head="みなと市長", reply_organization="みなと市", reply_section="総務部総務課"
    )
    return Runner(settings, Router(settings, JsonlAuditSink(tmp_path / "audit.jsonl")), lambda: store)


def _inquiry(**overrides) -> ReplyInput:
    values = dict(subject="会計年度任用職員の休暇について（照会）", sender="つばさ町総務課長", content=THREE,
                  asked_on=date(2025, 6, 2), reference="つ総第210号")  # fmt: skip
    return ReplyInput(**{**values, **overrides})


def test_registered():
    assert get_task("reply") is REPLY


def test_offline_draft_answers_each_item_and_marks_the_unsupported_one(runner):
    draft = runner.run(REPLY, _inquiry(), CLERK)
    assert (draft.backend, draft.mode) == ("offline/extractive", "extractive")
    assert draft.addressee == "つばさ町総務課長　様"
    assert draft.subject == "会計年度任用職員の休暇について（回答）"
    assert draft.opening.startswith("令和7年6月2日付けつ総第210号で照会のありました標記の件について")
    assert draft.date == to_wareki(date.today().isoformat()) and draft.document_number
    assert draft.sender == "みなと市長（みなと市総務部総務課）"
    assert [i.number for i in draft.items] == ["1", "2", "3"]
    first, second, third = draft.items
    assert first.status == "回答" and "7月1日から9月30日まで" in first.answer and first.answer.endswith("[1]")
    assert second.status == "回答" and "10日を上限" in second.answer and second.sources == [2]
    assert third.status == "要確認" and third.answer == "" and third.note
    assert len(draft.open_points) == 1 and draft.open_points[0].startswith("3　公用車")
    assert [s.n for s in draft.sources] == [1, 2]
    past = draft.sources[0]
    assert (past.kind, past.date, past.sender, past.section) == (
        "past_answer",
        "2024-06-28",
        "みどり町総務課",
        "人事課",
    )
    assert past.quote in first.answer
    assert draft.classification == 1
    assert draft.section_suggestions[0].section == "人事課" and draft.section_suggestions[0].confidence > 0.5
    assert 0 < len(draft.similar) <= 5 and draft.similar[0].section == "人事課"
    assert "1　" in draft.answer and "（要確認）" in draft.answer
    assert draft.inquiry is not None and draft.inquiry.reference == "つ総第210号"


def test_policy_passages_are_cited_with_their_article(runner):
    draft = runner.run(
        REPLY,
        ReplyInput(subject="公開決定の期限について", content="公開決定の期限を延長できるのは何日以内か。"),
    )
    (item,) = draft.items
    assert item.status == "回答" and "30日以内に限り延長" in item.answer
    policy = [s for s in draft.sources if s.kind == "policy"]
    assert policy and policy[0].location == "第十二条" and policy[0].title == "みなと市情報公開条例"


def test_sources_above_the_clearance_or_outside_the_groups_are_never_seen(runner):
    question = _inquiry(content="会計年度任用職員の夏季休暇の人件費はどう予算計上しているか。")
    clerk = runner.run(REPLY, question, CLERK)
    assert all(s.section != "財政課" for s in clerk.similar)
    assert all(s.section != "財政課" for s in clerk.section_suggestions)
    assert all("予算" not in s.quote for s in clerk.sources) and clerk.classification == 1
    budget = runner.run(REPLY, question, BUDGET)
    assert budget.similar[0].section == "財政課" and budget.similar[0].classification == 2
    assert (
        budget.items[0].status == "回答" and budget.classification == 2
    )  # the draft takes its sources' level


def test_nothing_found_is_an_all_unsupported_draft_without_a_model_call(runner, fake_bedrock):
    draft = runner.run(
        REPLY, ReplyInput(content="量子コンピュータの調達方針を伺う。"), backend="bedrock/nova-lite"
    )
    assert (
        [i.status for i in draft.items] == ["要確認"] and draft.sources == [] and fake_bedrock.requests == []
    )
    assert draft.addressee == "ご照会元　様" and draft.subject == "照会事項について（回答）"
    assert draft.opening.startswith("照会のありました標記の件について")


def test_scope_leaves_sources_out(runner):
    draft = runner.run(
        REPLY,
        _inquiry(content="病気休暇は有給としているか。"),
        CLERK,
        scope={"exclude_sources": ["照会回答/記録.csv"]},
    )
    assert draft.similar == [] and draft.items[0].status == "要確認"
