"""GET /usage: yen at the configured rate, the period and section filters, the daily series, and its errors."""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.records.audit_log import AuditEntry, append_audit

MAY = "2026-05-01T00:00:00+09:00"
JUNE = "2026-06-01T00:00:00+09:00"


def _use(api, user, when, cost):
    append_audit(
        api.ctx.engine, AuditEntry(user=user, task="chat", backend="bedrock/nova-lite", cost=cost, time=when)
    )


def _seed(api):
    _use(api, "alice", datetime(2026, 5, 3, 1, 0, tzinfo=UTC), 0.5)  # 5月3日 10時 (JST)
    _use(api, "alice", datetime(2026, 5, 3, 16, 0, tzinfo=UTC), 0.25)  # 5月4日 01時 (JST): another day
    _use(api, "bob", datetime(2026, 5, 10, 3, 0, tzinfo=UTC), 1.0)
    _use(api, "bob", datetime(2026, 6, 2, 3, 0, tzinfo=UTC), 2.0)  # June: outside May


def test_yen_beside_dollars_at_the_configured_rate(make_api):
    api = make_api(usd_jpy_rate=160.0)
    _seed(api)
    body = api.get("/usage", "kanri", params={"since": MAY, "until": JUNE}).json()
    assert body["cost"] == 1.75 and body["usd_jpy_rate"] == 160.0 and body["cost_jpy"] == 280.0
    assert body["requests"] == 3


def test_daily_series_in_local_days_with_empty_days(api):
    _seed(api)
    daily = api.get("/usage", "kanri", params={"since": MAY, "until": JUNE}).json()["daily"]
    assert len(daily) == 31 and daily[0]["day"] == "2026-05-01" and daily[-1]["day"] == "2026-05-31"
    by_day = {d["day"]: (d["requests"], d["cost"]) for d in daily}
    assert by_day["2026-05-03"] == (1, 0.5) and by_day["2026-05-04"] == (1, 0.25)
    assert by_day["2026-05-10"] == (1, 1.0) and by_day["2026-05-20"] == (0, 0.0)
    utc = api.get("/usage", "kanri", params={"since": MAY, "until": JUNE, "tz": "UTC"}).json()["daily"]
    assert {d["day"]: d["requests"] for d in utc}["2026-05-03"] == 2


def test_section_filter_is_for_administrators(api):
    _seed(api)
    period = {"since": MAY, "until": JUNE}
    finance = api.get("/usage", "kanri", params={**period, "group": "財政課"}).json()
    assert {r["user"] for r in finance["rows"]} == {"alice"} and finance["cost"] == 0.75
    assert sum(d["requests"] for d in finance["daily"]) == 2
    refused = api.get("/usage", "alice", params={**period, "group": "財政課"})
    assert refused.status_code == 403 and "管理者" in refused.json()["message"]


def test_a_user_sees_only_their_own_period(api):
    _seed(api)
    body = api.get("/usage", "bob", params={"since": MAY, "until": JUNE}).json()
    assert {r["user"] for r in body["rows"]} == {"bob"} and body["cost"] == 1.0


def test_bad_parameters_get_japanese_422(api):
    backwards = api.get("/usage", "kanri", params={"since": JUNE, "until": MAY})
    assert backwards.status_code == 422 and "期間" in backwards.json()["message"]
    too_long = api.get("/usage", "kanri", params={"since": "2024-01-01T00:00:00Z", "until": JUNE})
    assert too_long.status_code == 422 and "366日" in too_long.json()["message"]
    zone = api.get("/usage", "kanri", params={"tz": "Mars/Olympus"})
    assert zone.status_code == 422 and "タイムゾーン" in zone.json()["message"]
    not_a_date = api.get("/usage", "kanri", params={"since": "先月"})
    assert not_a_date.status_code == 422 and not_a_date.json()["message"]


def test_the_rate_setting_must_be_positive():
    import pytest
    from pydantic import ValidationError

    from assistant.config import Settings

    with pytest.raises(ValidationError):
        Settings(usd_jpy_rate=0)
