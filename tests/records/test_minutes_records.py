"""Minutes drafts under the reply drafts' review workflow (kind "minutes"), kept apart from reply drafts, with
messages naming the 議事録案, edits checked against the transcript's turns, and minutes jobs in the metadata."""

from __future__ import annotations

import pytest

from assistant.records import create_user
from assistant.records.drafts import APPROVED, DRAFT, RETURNED, REVIEW, create_draft, get_draft, list_drafts
from assistant.records.minutes import (
    MinutesJob,
    create_minutes,
    edit_minutes,
    get_minutes,
    list_minutes,
    list_minutes_versions,
    minutes_of,
    transition_minutes,
)
from assistant.tasks.minutes_models import Point
from core.errors import AccessDenied, InvalidRecord, RecordConflict, RecordNotFound
from tests.builders.minutes_examples import minutes
from tests.builders.replies import policy_source, reply_draft

APPROVERS = ["審査"]


@pytest.fixture
def staff(sessions, people):
    with sessions.begin() as session:
        extra = {"yamada": create_user(session, "yamada", ["総務課", "審査"], 2)[0]}
    return people | extra


def new_minutes(sessions, owner, **overrides) -> str:
    with sessions.begin() as session:
        return create_minutes(session, owner, minutes(**overrides)).id


def test_review_cycle_of_minutes_keeps_versions_and_steps(sessions, staff):
    tanaka, yamada = staff["tanaka"], staff["yamada"]
    draft_id = new_minutes(sessions, tanaka)
    edited = minutes(
        decisions=[Point(text="本案は原案のとおり了承した。", turns=[6])], title="総務委員会（第2回）"
    )
    with sessions.begin() as session:
        edit_minutes(session, tanaka, draft_id, edited, base_version=1, comment="決定事項を修正")
    with sessions.begin() as session:
        record, before = transition_minutes(session, tanaka, draft_id, "submit", "", APPROVERS)
        assert (before, record.state) == (DRAFT, REVIEW)
    with sessions.begin() as session:
        with pytest.raises(InvalidRecord, match="差戻しの理由"):
            transition_minutes(session, yamada, draft_id, "return", "", APPROVERS)
        transition_minutes(session, yamada, draft_id, "return", "出席者を確認してください。", APPROVERS)
    with sessions.begin() as session:
        with pytest.raises(RecordConflict, match="議事録案が修正されていません"):
            transition_minutes(session, tanaka, draft_id, "submit", "", APPROVERS)
        edit_minutes(session, tanaka, draft_id, edited.model_copy(update={"attendees": ["山田委員長"]}))
        transition_minutes(session, tanaka, draft_id, "submit", "", APPROVERS)
    with sessions.begin() as session:
        record, _ = transition_minutes(session, yamada, draft_id, "approve", "", APPROVERS)
        assert (
            record.state == APPROVED and record.kind == "minutes" and record.subject == "総務委員会（第2回）"
        )
        versions = list_minutes_versions(session, tanaka, draft_id)
        assert [v.number for v in versions] == [1, 2, 3]
        assert minutes_of(versions[-1]).attendees == ["山田委員長"]
        assert [e.action for e in record.events] == [
            "create",
            "edit",
            "submit",
            "return",
            "edit",
            "submit",
            "approve",
        ]
        assert RETURNED in [e.to_state for e in record.events]


def test_edit_keeps_what_the_task_found_and_refuses_unknown_turns(sessions, staff):
    tanaka = staff["tanaka"]
    draft_id = new_minutes(sessions, tanaka)
    forged = minutes(
        classification=1, mode="llm", n_turns=99, decisions=[Point(text="了承した。", turns=[6])]
    )
    with sessions.begin() as session:
        record = edit_minutes(session, tanaka, draft_id, forged)
        kept = minutes_of(record.versions[-1])
        assert (kept.classification, kept.mode, kept.n_turns) == (2, "extractive", 6)
    bad = minutes(decisions=[Point(text="了承した。", turns=[7])])
    with sessions.begin() as session, pytest.raises(InvalidRecord, match="発言番号（7）.*1から6まで"):
        edit_minutes(session, tanaka, draft_id, bad)
    with sessions.begin() as session, pytest.raises(RecordConflict, match="議事録案.*第2版"):
        edit_minutes(session, tanaka, draft_id, minutes(), base_version=1)


def test_minutes_and_replies_stay_apart(sessions, staff):
    tanaka = staff["tanaka"]
    minutes_id = new_minutes(sessions, tanaka)
    with sessions.begin() as session:
        reply_id = create_draft(session, tanaka, reply_draft(sources=[policy_source(1)])).id
    with sessions() as session:
        assert [r.id for r in list_minutes(session, tanaka)] == [minutes_id]
        assert [r.id for r in list_drafts(session, tanaka)] == [reply_id]
        with pytest.raises(RecordNotFound, match="回答案"):
            get_draft(session, tanaka, minutes_id)
        with pytest.raises(RecordNotFound, match="指定された議事録案は見つかりません"):
            get_minutes(session, tanaka, reply_id)


def test_who_may_see_minutes(sessions, staff):
    tanaka, suzuki, yamada = staff["tanaka"], staff["suzuki"], staff["yamada"]  # clearance 2, 1, 2
    draft_id = new_minutes(sessions, tanaka)  # 機密性2
    with sessions() as session:
        with pytest.raises(RecordNotFound):  # a 下書き is its author's own
            get_minutes(session, yamada, draft_id, APPROVERS)
    with sessions.begin() as session:
        transition_minutes(session, tanaka, draft_id, "submit", "", APPROVERS)
    with sessions() as session:
        assert get_minutes(session, yamada, draft_id, APPROVERS).id == draft_id
        with pytest.raises(RecordNotFound):  # not a reviewer
            get_minutes(session, suzuki, draft_id, APPROVERS)
        with pytest.raises(AccessDenied, match="議事録案の承認及び差戻しは"):
            transition_minutes(session, tanaka, draft_id, "approve", "", APPROVERS)
    own = new_minutes(sessions, yamada)
    with sessions.begin() as session:
        transition_minutes(session, yamada, own, "submit", "", APPROVERS)
        with pytest.raises(AccessDenied, match="自らが作成した議事録案"):
            transition_minutes(session, yamada, own, "approve", "", APPROVERS)
    with sessions.begin() as session, pytest.raises(AccessDenied, match="機密性２の会議"):
        create_minutes(session, suzuki, minutes())  # above the author's own clearance


def test_minutes_jobs_are_stored(sessions, staff):
    with sessions.begin() as session:
        job = MinutesJob(owner_id=staff["tanaka"].id, input={"transcript": "x"}, total=3)
        session.add(job)
        session.flush()
        job_id = job.id
    with sessions() as session:
        stored = session.get(MinutesJob, job_id)
        assert (stored.state, stored.done, stored.total, stored.draft_id) == ("running", 0, 3, None)
