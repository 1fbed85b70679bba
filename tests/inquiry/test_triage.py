"""Triage: similar past inquiries (one per record, under access filters) and the suggested section."""

from __future__ import annotations

import pytest

from assistant.inquiry.triage import SHOWN, suggest_sections, triage
from assistant.retrieval.base import Filters
from tests.inquiry.corpus import reply_store


@pytest.fixture(scope="module")
def store():
    return reply_store()


def test_votes_by_rank_and_confidence_is_a_share():
    got = suggest_sections(["人事課", "総務課", "人事課", None, "ＡＢ課"], offset=1.0)
    assert [s.section for s in got] == ["人事課", "総務課", "ＡＢ課"]
    assert got[0].confidence == pytest.approx((1 + 1 / 3) / (1 + 1 / 2 + 1 / 3 + 1 / 5), abs=1e-3)
    assert sum(s.confidence for s in got) == pytest.approx(1.0, abs=2e-3)
    assert suggest_sections([None, ""]) == []
    assert [s.section for s in suggest_sections(["人事課", "人事 課"])] == ["人事課"]  # the same section


def test_similar_records_once_each_and_only_visible_ones(store):
    similar, suggestions = triage(
        store, "会計年度任用職員の夏季休暇", Filters(groups=["人事課"], max_classification=1)
    )
    assert len(similar) <= SHOWN and len({s.chunk_id for s in similar}) == len(similar)
    assert similar[0].subject == "会計年度任用職員の夏季休暇について" and similar[0].section == "人事課"
    assert similar[0].answered_on == "2024-06-28" and similar[0].asked_on == "2024-06-20"
    assert all(s.section != "財政課" for s in similar) and suggestions[0].section == "人事課"
    everyone, _ = triage(store, "会計年度任用職員の夏季休暇の人件費の予算計上", Filters())
    assert everyone[0].section == "財政課"
