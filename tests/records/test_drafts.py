"""Reply drafts and their review: states, versions, who may do what, and access by 機密性 and groups."""

from __future__ import annotations

import pytest

from assistant.records import create_user
from assistant.records.drafts import (
    APPROVED,
    DRAFT,
    RETURNED,
    REVIEW,
    create_draft,
    current_version,
    edit_draft,
    get_draft,
    list_drafts,
    list_versions,
    transition,
)
from core.errors import AccessDenied, InvalidRecord, RecordConflict, RecordNotFound
from tests.builders.replies import past_answer_source, policy_source, reply_draft

APPROVERS = ["審査"]


@pytest.fixture
def staff(sessions, people):
    """people (tanaka 総務課/2, suzuki 税務課/1, kanri admin/3) plus reviewers: yamada (総務課 and 審査, 2),
    kato (審査 only, 2) and ito (総務課 and 審査, clearance 1)."""
    with sessions.begin() as session:
        extra = {
            "yamada": create_user(session, "yamada", ["総務課", "審査"], 2)[0],
            "kato": create_user(session, "kato", ["審査"], 2)[0],
            "ito": create_user(session, "ito", ["総務課", "審査"], 1)[0],
        }
    return people | extra


def soumu_draft(**overrides):
    """A 機密性2 draft whose past answer is restricted to 総務課 (tanaka's group)."""
    sources = [policy_source(1), past_answer_source(2, groups=["総務課"])]
    return reply_draft(sources=sources, **overrides)


def new_draft(sessions, owner, draft=None) -> str:
    with sessions.begin() as session:
        return create_draft(session, owner, draft or soumu_draft()).id


def act(sessions, actor, draft_id, action, comment=""):
    with sessions.begin() as session:
        record, before = transition(session, actor, draft_id, action, comment, APPROVERS)
        return before, record.state


def test_review_cycle_keeps_every_version_and_step(sessions, staff):
    tanaka, yamada = staff["tanaka"], staff["yamada"]
    draft_id = new_draft(sessions, tanaka)
    with sessions() as session:
        record = get_draft(session, tanaka, draft_id, APPROVERS)
        assert (record.state, record.version, record.classification) == (DRAFT, 1, 2)
        assert record.source_groups == [["総務課"]]
        # A 下書き is its author's own: reviewers neither list nor open it.
        assert list_drafts(session, yamada, APPROVERS, mine=False) == []
        with pytest.raises(RecordNotFound):
            get_draft(session, yamada, draft_id, APPROVERS)

    assert act(sessions, tanaka, draft_id, "submit") == (DRAFT, REVIEW)
    with sessions() as session:
        queue = list_drafts(session, yamada, APPROVERS, state=REVIEW, mine=False)
        assert [r.id for r in queue] == [draft_id]
    with pytest.raises(InvalidRecord, match="差戻しの理由"):
        act(sessions, yamada, draft_id, "return")
    assert act(sessions, yamada, draft_id, "return", "根拠[2]の日付を確認してください。") == (
        REVIEW,
        RETURNED,
    )
    with pytest.raises(RecordConflict, match="修正されていません"):
        act(sessions, tanaka, draft_id, "submit")  # 差戻し → 確認依頼 only after an edit

    edited = soumu_draft()
    edited.items[1].answer = "病気休暇は有給としている[2]。"
    edited.classification = 1  # neither labels nor sources can be changed by an edit
    edited.sources = []
    with sessions.begin() as session:
        record = edit_draft(session, tanaka, draft_id, edited, base_version=1, comment="日付を修正")
        assert (record.version, record.state) == (2, RETURNED)
    assert act(sessions, tanaka, draft_id, "submit") == (RETURNED, REVIEW)
    assert act(sessions, yamada, draft_id, "approve") == (REVIEW, APPROVED)

    with sessions() as session:
        record = get_draft(session, tanaka, draft_id, APPROVERS)
        assert record.reviewer.name == "yamada" and record.decided_at is not None
        versions = list_versions(session, tanaka, draft_id, APPROVERS)
        assert [v.number for v in versions] == [1, 2]
        assert versions[0].reply().items[1].answer.endswith("無給としている[2]。")
        current = current_version(record).reply()
        assert current.items[1].answer == "病気休暇は有給としている[2]。"
        assert current.classification == 2 and [s.n for s in current.sources] == [1, 2]
        assert versions[1].comment == "日付を修正" and versions[1].author_name == "tanaka"
        steps = [(e.action, e.actor_name, e.from_state, e.to_state, e.version) for e in record.events]
        assert steps == [
            ("create", "tanaka", None, DRAFT, 1),
            ("submit", "tanaka", DRAFT, REVIEW, 1),
            ("return", "yamada", REVIEW, RETURNED, 1),
            ("edit", "tanaka", RETURNED, RETURNED, 2),
            ("submit", "tanaka", RETURNED, REVIEW, 2),
            ("approve", "yamada", REVIEW, APPROVED, 2),
        ]
        assert record.events[2].comment == "根拠[2]の日付を確認してください。"
    with pytest.raises(RecordConflict, match="承認済"):
        with sessions.begin() as session:
            edit_draft(session, tanaka, draft_id, soumu_draft())
    with pytest.raises(RecordConflict):
        act(sessions, yamada, draft_id, "approve")


def test_only_reviewers_other_than_the_author_approve(sessions, staff):
    draft_id = new_draft(sessions, staff["tanaka"])
    act(sessions, staff["tanaka"], draft_id, "submit")
    with pytest.raises(AccessDenied, match="承認の権限"):
        act(sessions, staff["tanaka"], draft_id, "approve")
    with pytest.raises(RecordNotFound):  # not a reviewer, not the owner: the draft does not exist for them
        act(sessions, staff["suzuki"], draft_id, "approve")

    # A reviewer, or an administrator, may approve others' drafts but never their own.
    by_reviewer = new_draft(sessions, staff["yamada"])
    act(sessions, staff["yamada"], by_reviewer, "submit")
    with pytest.raises(AccessDenied, match="自らが作成"):
        act(sessions, staff["yamada"], by_reviewer, "return", "差し戻します")
    own = new_draft(sessions, staff["kanri"], reply_draft(sources=[policy_source(1)], classification=1))
    act(sessions, staff["kanri"], own, "submit")
    with pytest.raises(AccessDenied, match="自らが作成"):
        act(sessions, staff["kanri"], own, "approve")
    assert act(sessions, staff["yamada"], own, "approve") == (REVIEW, APPROVED)


def test_reviewers_never_open_drafts_above_their_clearance_or_outside_their_groups(sessions, staff):
    draft_id = new_draft(sessions, staff["tanaka"])
    act(sessions, staff["tanaka"], draft_id, "submit")
    with sessions() as session:
        # ito reviews, shares 総務課, but has clearance 1 < 機密性2.
        with pytest.raises(AccessDenied, match="機密性２"):
            get_draft(session, staff["ito"], draft_id, APPROVERS)
        assert list_drafts(session, staff["ito"], APPROVERS) == []
        # kato reviews with clearance 2 but is not in 総務課, the group of a cited past answer.
        with pytest.raises(AccessDenied, match="閲覧範囲"):
            get_draft(session, staff["kato"], draft_id, APPROVERS)
        assert list_drafts(session, staff["kato"], APPROVERS) == []
        assert [r.id for r in list_drafts(session, staff["yamada"], APPROVERS)] == [draft_id]
    with pytest.raises(AccessDenied):
        act(sessions, staff["kato"], draft_id, "approve")


def test_edits_are_the_owners_and_checked(sessions, staff):
    draft_id = new_draft(sessions, staff["tanaka"])
    with sessions.begin() as session:
        edit_draft(session, staff["tanaka"], draft_id, soumu_draft(), base_version=1)
    with pytest.raises(RecordConflict, match="第2版"):  # saved from a stale copy
        with sessions.begin() as session:
            edit_draft(session, staff["tanaka"], draft_id, soumu_draft(), base_version=1)
    bad = soumu_draft()
    bad.items[0].sources = [7]
    with pytest.raises(InvalidRecord, match=r"\[7\]"):
        with sessions.begin() as session:
            edit_draft(session, staff["tanaka"], draft_id, bad)
    with pytest.raises(RecordNotFound):
        with sessions.begin() as session:
            edit_draft(session, staff["yamada"], draft_id, soumu_draft())
    with sessions() as session:
        assert get_draft(session, staff["tanaka"], draft_id).version == 2
        assert [r.id for r in list_drafts(session, staff["tanaka"], mine=True)] == [draft_id]
        assert list_drafts(session, staff["tanaka"], mine=False) == []
