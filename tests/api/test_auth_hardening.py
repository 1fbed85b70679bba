"""Authentication under attack (issue 12, failure 10): proxy identities never take over API-key users, duplicate
or malformed identity headers are refused, and failed sign-ins are throttled per client address and audited."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assistant.records import create_user, get_user, revoke_api_keys
from assistant.records.models import ApiKey, AuditLog
from assistant.records.users import check_name
from core.errors import InvalidRecord

PROXY = {
    "trusted_proxy_enabled": True,
    "trusted_proxy_addresses": ["10.0.0.0/24"],
    "client_address": "10.0.0.7",
}


def _proxy_headers(user: str, groups: str = "", clearance: str = "1") -> dict[str, str]:
    return {
        "X-Forwarded-User": quote(user),
        "X-Forwarded-Groups": quote(groups),
        "X-Forwarded-Clearance": clearance,
    }


def _signin_audit(api) -> list[AuditLog]:
    with api.ctx.sessions() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.task == "signin").order_by(AuditLog.id)))


@pytest.mark.parametrize("name", ["alice", "kanri"])
def test_proxy_headers_never_change_an_api_key_user_or_an_administrator(make_api, name):
    api = make_api(**PROXY)
    before = api.get("/me", name).json()
    response = api.client.get("/me", headers=_proxy_headers(name, "人事課,財政課", "3"))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden" and "APIキー" in response.json()["message"]
    assert api.get("/me", name).json() == before  # the key still grants exactly what it did
    with api.ctx.sessions() as session:
        user = get_user(session, name)
        assert (user.groups, user.clearance) == (before["groups"], before["clearance"])
    [row] = _signin_audit(api)
    assert (row.user_name, row.outcome, row.extra["client"]) == (name, "refused", "10.0.0.7")


def test_proxy_users_have_no_key_and_users_whose_keys_were_revoked_follow_the_proxy(make_api):
    api = make_api(**PROXY)
    assert api.client.get("/me", headers=_proxy_headers("田中", "財政課", "2")).status_code == 200
    with api.ctx.write_sessions.begin() as session:
        tanaka = get_user(session, "田中")
        assert session.scalars(select(ApiKey).where(ApiKey.user_id == tanaka.id)).all() == []
        # A user made by the proxy of earlier versions: created with a key, revoked at once.
        old, _key = create_user(session, "佐藤", ["総務課"], 1)
        revoke_api_keys(session, old)
    response = api.client.get("/me", headers=_proxy_headers("佐藤", "税務課", "2"))
    assert response.status_code == 200
    assert (response.json()["groups"], response.json()["clearance"]) == (["税務課"], 2)


@pytest.mark.parametrize(
    "header", ["X-Forwarded-User", "X-Forwarded-Groups", "X-Forwarded-Clearance"]
)  # fmt: skip
def test_an_identity_header_sent_twice_is_refused(make_api, header):
    api = make_api(**PROXY)
    headers = list(_proxy_headers("mallory", "総務課", "1").items())
    headers.append(
        (header, {"X-Forwarded-User": "kanri", "X-Forwarded-Groups": quote("人事課")}.get(header, "3"))
    )
    response = api.client.get("/me", headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    with api.ctx.sessions() as session:
        assert get_user(session, "mallory") is None


@pytest.mark.parametrize(
    "value",
    [
        "tanaka%00admin",  # NUL
        "tanaka%0Akanri",  # line break
        "tanaka%E2%80%8B",  # zero-width space
        "%E2%80%AEkanri",  # right-to-left override
        "%1B[31mtanaka",  # terminal escape
        "%FF%FEtanaka",  # not UTF-8
        "a" * 101,  # longer than a user name may be
    ],
)
def test_malformed_proxy_names_and_groups_are_refused(make_api, value):
    api = make_api(**PROXY)
    response = api.client.get("/me", headers={"X-Forwarded-User": value})
    assert response.status_code == 400, value
    bad_group = api.client.get(
        "/me", headers={"X-Forwarded-User": "tanaka", "X-Forwarded-Groups": quote("総務課") + "," + value}
    )
    assert bad_group.status_code == 400, value
    with api.ctx.sessions() as session:
        assert get_user(session, "tanaka") is None


def test_user_names_are_checked_everywhere():
    assert check_name("  田中 ") == "田中"
    for bad in ("", "   ", "a\x00b", "a\u200bb", "\u202ekanri", "a\tb", "x" * 101):
        with pytest.raises(InvalidRecord):
            check_name(bad)


def test_failed_sign_ins_are_throttled_per_address_and_audited(make_api):
    api = make_api(signin_failure_limit=5, signin_failure_window_seconds=600)
    wrong = {"Authorization": "Bearer yk_wrong-key-wrong-key-wrong-key"}
    assert [api.client.get("/me", headers=wrong).status_code for _ in range(5)] == [401] * 5
    for _ in range(3):
        throttled = api.client.get("/me", headers=wrong)
        assert throttled.status_code == 429
        assert throttled.json()["error"] == "rate_limited" and "認証" in throttled.json()["message"]
        assert 1 <= int(throttled.headers["retry-after"]) <= 600
    # While throttled, even a right key is not checked from that address; elsewhere it is.
    assert api.get("/me", "bob").status_code == 429
    elsewhere = TestClient(api.client.app, client=("192.0.2.10", 50000))
    assert elsewhere.get("/me", headers=api.auth("bob")).status_code == 200
    assert elsewhere.get("/me").status_code == 401  # no key at all is not a failed sign-in
    rows = _signin_audit(api)
    assert [row.reason.startswith("invalid") for row in rows] == [True] * 5 + [False]
    assert "throttled" in rows[-1].reason and {row.extra["client"] for row in rows} == {"testclient"}


def test_the_sign_in_limit_can_be_turned_off(make_api):
    api = make_api(signin_failure_limit=0)
    wrong = {"Authorization": "Bearer yk_wrong-key-wrong-key-wrong-key"}
    assert {api.client.get("/me", headers=wrong).status_code for _ in range(15)} == {401}


def test_behind_a_trusted_proxy_failed_sign_ins_count_by_the_forwarded_address(make_api):
    api = make_api(signin_failure_limit=2, **PROXY)
    wrong = {"Authorization": "Bearer yk_wrong-key-wrong-key-wrong-key"}
    one = {**wrong, "X-Forwarded-For": "203.0.113.5, 192.168.1.20"}
    assert [api.client.get("/me", headers=one).status_code for _ in range(3)] == [401, 401, 429]
    other = {**api.auth("bob"), "X-Forwarded-For": "192.168.1.21"}
    assert api.client.get("/me", headers=other).status_code == 200  # the next desk is not locked out
    assert {row.extra["client"] for row in _signin_audit(api)} == {"192.168.1.20"}
    # From an address that is no proxy, X-Forwarded-For is ignored: the peer is counted.
    direct = TestClient(api.client.app, client=("192.0.2.10", 50000))
    statuses = [
        direct.get("/me", headers={**wrong, "X-Forwarded-For": f"10.9.9.{i}"}).status_code for i in range(3)
    ]
    assert statuses == [401, 401, 429]
