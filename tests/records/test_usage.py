"""Usage summaries from the audit log: sums per user and model, scoped like the data they describe."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assistant.records import AuditEntry, UsageRow, append_audit, usage_summary
from core.errors import AccessDenied

HAIKU = ("bedrock/claude-haiku-4-5", "jp.anthropic.claude-haiku-4-5-20251001-v1:0")
OFFLINE = ("offline/extractive", None)


@pytest.fixture
def audited(engine, people):
    def log(user, backend_model, day, tokens_in, tokens_out, cost, outcome="ok"):
        backend, model_id = backend_model
        when = datetime(2025, 4, day, 10, tzinfo=UTC)
        entry = AuditEntry(
            user=user,
            task="ask",
            time=when,
            backend=backend,
            model_id=model_id,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost=cost,
            outcome=outcome,
        )
        append_audit(engine, entry)

    log("tanaka", HAIKU, 1, 1000, 200, 0.0022)
    log("tanaka", HAIKU, 2, 3000, 100, 0.0038)
    log("tanaka", OFFLINE, 2, 0, 0, 0.0)
    log("tanaka", OFFLINE, 3, 0, 0, 0.0, outcome="refused")
    log("suzuki", HAIKU, 3, 500, 50, 0.0008)


def test_a_users_own_usage_is_summed_per_model(sessions, people, audited):
    with sessions() as session:
        rows = usage_summary(session, people["tanaka"], user="tanaka")
    assert rows == [
        UsageRow(
            "tanaka", *HAIKU, requests=2, input_tokens=4000, output_tokens=300, cost=pytest.approx(0.006)
        ),
        UsageRow("tanaka", *OFFLINE, requests=2, input_tokens=0, output_tokens=0, cost=0.0),
    ]


def test_administrators_see_everyone_and_filter_by_time(sessions, people, audited):
    with sessions() as session:
        everyone = usage_summary(session, people["kanri"], user=None)
        assert [(r.user, r.backend, r.requests) for r in everyone] == [
            ("suzuki", HAIKU[0], 1),
            ("tanaka", HAIKU[0], 2),
            ("tanaka", OFFLINE[0], 2),
        ]
        april_2 = usage_summary(
            session,
            people["kanri"],
            user="tanaka",
            since=datetime(2025, 4, 2, tzinfo=UTC),
            until=datetime(2025, 4, 3, tzinfo=UTC),
        )
        assert [(r.backend, r.requests, r.input_tokens) for r in april_2] == [
            (HAIKU[0], 1, 3000),
            (OFFLINE[0], 1, 0),
        ]
        assert usage_summary(session, people["kanri"], user="nobody") == []


def test_staff_cannot_see_other_peoples_usage(sessions, people, audited):
    with sessions() as session:
        with pytest.raises(AccessDenied):
            usage_summary(session, people["suzuki"], user="tanaka")
        with pytest.raises(AccessDenied):
            usage_summary(session, people["suzuki"], user=None)
