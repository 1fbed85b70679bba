"""Browser sessions (issue 13): issued after a key sign-in, accepted as Bearer credentials until they expire or
are revoked (one, or all of a user's), refused for disabled users and after a key reset, never issued from a
session or to a proxy-named user, counted by the sign-in throttle when unknown, and audited."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import select, update

from assistant.api.auth import SESSION_ENDED
from assistant.records import get_user, revoke_api_keys, set_user_disabled
from assistant.records.models import AuditLog, WebSession
from assistant.records.users import reset_api_key
from assistant.records.web_sessions import check_web_session, issue_web_session

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/140"


def _start(api, user: str, **kwargs) -> dict:
    response = api.post("/sessions", user, json={"user_agent": BROWSER}, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _me(api, token: str):
    return api.client.get("/me", headers=_bearer(token))


def _audit(api, task: str) -> list[AuditLog]:
    with api.ctx.sessions() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.task == task).order_by(AuditLog.id)))


def _rows(api) -> list[WebSession]:
    with api.ctx.sessions() as session:
        return list(session.scalars(select(WebSession).order_by(WebSession.id)))


def test_a_key_sign_in_gets_a_session_usable_until_signed_out(api):
    before = datetime.now(UTC)
    issued = _start(api, "alice")
    token, expires = issued["token"], datetime.fromisoformat(issued["expires_at"])
    assert token.startswith("ys_") and len(token) > 40
    assert timedelta(hours=10) <= expires - before <= timedelta(hours=10, minutes=1)  # the default period
    assert _me(api, token).json()["name"] == "alice"
    assert (
        api.client.post("/chat", headers=_bearer(token), json={"message": "住民票の写しの手数料"}).status_code
        == 200
    )

    [row] = _rows(api)  # only the token's SHA-256 is kept
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and row.user_agent == BROWSER
    current = api.client.get("/sessions/current", headers=_bearer(token)).json()
    assert current["user_agent"] == BROWSER and datetime.fromisoformat(current["expires_at"]) == expires

    assert api.client.delete("/sessions/current", headers=_bearer(token)).status_code == 204
    refused = _me(api, token)
    assert refused.status_code == 401 and refused.json()["message"] == SESSION_ENDED
    assert api.get("/me", "alice").status_code == 200  # the key itself still works
    issue, revoke = _audit(api, "session")
    assert (issue.user_name, issue.reason, issue.outcome, issue.extra["via"]) == (
        "alice",
        "issue",
        "ok",
        "key",
    )
    assert issue.extra["session_id"] == row.id and issue.extra["expires_at"] == issued["expires_at"].replace(
        "Z", "+00:00"
    )
    assert (revoke.reason, revoke.extra["session_id"], revoke.extra["via"]) == ("revoke", row.id, "session")
    [refusal] = _audit(api, "signin")
    assert (refusal.user_name, refusal.reason) == ("alice", "revoked session")


def test_the_period_is_a_setting_and_an_expired_session_is_refused_without_locking_anyone_out(make_api):
    api = make_api(session_hours=2, signin_failure_limit=1)
    issued = _start(api, "bob")
    expires = datetime.fromisoformat(issued["expires_at"])
    assert timedelta(hours=1, minutes=59) <= expires - datetime.now(UTC) <= timedelta(hours=2)
    with api.ctx.write_sessions.begin() as session:  # the clock moves past the end of the session
        session.execute(update(WebSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    for _ in range(3):  # a stale browser retrying is refused, but not throttled: the token was genuine
        refused = _me(api, issued["token"])
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    assert api.get("/me", "bob").status_code == 200
    assert [r.reason for r in _audit(api, "signin")] == ["expired session"] * 3


def test_unknown_session_tokens_count_as_failed_sign_ins(make_api):
    api = make_api(signin_failure_limit=3, signin_failure_window_seconds=600)
    forged = _bearer("ys_" + "A" * 43)
    assert [api.client.get("/me", headers=forged).status_code for _ in range(4)] == [401, 401, 401, 429]
    assert api.get("/me", "bob").status_code == 429  # the address is throttled for keys too
    reasons = [r.reason for r in _audit(api, "signin")]
    assert reasons[:3] == ["unknown session token"] * 3 and "throttled" in reasons[3]


def test_sign_out_everywhere_revokes_every_session_of_the_user_only(api):
    tokens = [_start(api, "alice")["token"] for _ in range(2)]
    other = _start(api, "bob")["token"]
    everywhere = api.client.delete("/sessions", headers=_bearer(tokens[0]))
    assert everywhere.status_code == 200 and everywhere.json() == {"revoked": 2}
    assert [_me(api, t).status_code for t in tokens] == [401, 401]
    assert _me(api, other).status_code == 200
    assert api.delete("/sessions", "alice").json() == {"revoked": 0}  # with the key: nothing left
    [row] = [r for r in _audit(api, "session") if r.reason == "revoke_all" and r.extra["revoked"]]
    assert (row.user_name, row.extra["via"]) == ("alice", "session")


def test_a_session_cannot_issue_another_nor_name_a_current_session_for_a_key(api):
    token = _start(api, "alice")["token"]
    refused = api.client.post("/sessions", headers=_bearer(token), json={})
    assert refused.status_code == 403 and "APIキー" in refused.json()["message"]
    assert len(_rows(api)) == 1
    assert api.get("/sessions/current", "alice").status_code == 404
    assert api.delete("/sessions/current", "alice").status_code == 404
    assert _audit(api, "session")[-1].outcome == "refused"
    assert (
        api.client.post("/sessions", headers=_bearer(token), json={"user_agent": "x" * 1001}).status_code
        == 422
    )


def test_disabling_a_user_ends_their_sessions_for_good(api):
    token = _start(api, "bob")["token"]
    with api.ctx.write_sessions.begin() as session:
        set_user_disabled(session, get_user(session, "bob"), True)
    assert _me(api, token).status_code == 401
    with api.ctx.write_sessions.begin() as session:
        set_user_disabled(session, get_user(session, "bob"), False)
    assert _me(api, token).status_code == 401  # revoked when disabled, not revived
    assert [r.revoked_at is not None for r in _rows(api)] == [True]


def test_a_key_reset_revokes_the_old_key_and_every_session(api):
    tokens = [_start(api, "alice")["token"] for _ in range(2)]
    with api.ctx.write_sessions.begin() as session:
        new_key, keys, sessions = reset_api_key(session, get_user(session, "alice"))
    assert (keys, sessions) == (1, 2)
    assert [_me(api, t).status_code for t in tokens] == [401, 401]
    assert api.get("/me", "alice").status_code == 401
    assert api.client.get("/me", headers=_bearer(new_key)).json()["name"] == "alice"


def test_proxy_users_get_no_session_and_the_proxy_still_signs_them_in(make_api):
    api = make_api(
        trusted_proxy_enabled=True, trusted_proxy_addresses=["10.0.0.0/24"], client_address="10.0.0.7"
    )
    headers = {
        "X-Forwarded-User": quote("鈴木"),
        "X-Forwarded-Groups": quote("財政課"),
        "X-Forwarded-Clearance": "2",
    }
    refused = api.client.post("/sessions", headers=headers, json={})
    assert refused.status_code == 403 and "認証基盤" in refused.json()["message"]
    assert _rows(api) == []
    assert api.client.get("/me", headers=headers).json()["name"] == "鈴木"
    token = _start(api, "alice")["token"]  # a key user behind the same proxy address still gets one
    assert _me(api, token).json()["name"] == "alice"
    [row] = [r for r in _audit(api, "session") if r.outcome == "refused"]
    assert (row.user_name, row.extra["via"]) == ("鈴木", "proxy")


def test_revoking_any_key_of_a_user_ends_their_sessions(api):
    token = _start(api, "alice")["token"]
    with api.ctx.write_sessions.begin() as session:
        alice = get_user(session, "alice")
        assert revoke_api_keys(session, alice, prefix="yk_nomatch") == 0  # no key revoked: sessions stay
    assert _me(api, token).status_code == 200
    with api.ctx.write_sessions.begin() as session:
        assert revoke_api_keys(session, get_user(session, "alice"), prefix=api.keys["alice"]) == 1
    assert _me(api, token).status_code == 401


def test_a_session_ends_exactly_at_its_expiry(api):
    issued_at = datetime(2026, 4, 1, 8, 30, tzinfo=UTC)
    with api.ctx.write_sessions.begin() as session:
        web_session, token = issue_web_session(session, get_user(session, "bob"), 8.5, now=issued_at)
    end = issued_at + timedelta(hours=8.5)
    with api.ctx.sessions() as session:
        assert check_web_session(session, token, now=end - timedelta(seconds=1)).user.name == "bob"
        assert check_web_session(session, token, now=end).refusal == "expired"
        assert check_web_session(session, token + "x", now=issued_at).refusal == "unknown"
        assert check_web_session(session, "yk_" + token[3:], now=issued_at).refusal == "unknown"
