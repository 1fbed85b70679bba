"""Authentication: API keys, 401/403, and the trusted-proxy mode."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient

from assistant.records import get_user, set_user_disabled

PROTECTED = [
    ("GET", "/me"),
    ("GET", "/conversations"),
    ("GET", "/conversations/abc"),
    ("DELETE", "/conversations/abc"),
    ("POST", "/chat"),
    ("POST", "/search"),
    ("GET", "/documents"),
    ("POST", "/documents"),
    ("GET", "/models"),
    ("POST", "/feedback"),
    ("GET", "/usage"),
    ("GET", "/audit"),
]


def test_every_route_but_health_needs_a_key(api):
    for method, path in PROTECTED:
        response = api.client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"] == "unauthorized"
        assert "APIキー" in response.json()["message"]
    assert api.client.get("/health").status_code == 200


def test_invalid_revoked_and_disabled_keys_are_refused(api):
    for header in ("Bearer yk_not-a-real-key-at-all", "Bearer nonsense", "Basic dXNlcjpwdw=="):
        response = api.client.get("/conversations", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert api.get("/conversations", "bob").status_code == 200
    with api.ctx.write_sessions.begin() as session:
        set_user_disabled(session, get_user(session, "bob"), True)
    response = api.get("/conversations", "bob")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_me_describes_the_caller(api):
    assert api.get("/me", "uploader").json() == {
        "name": "uploader", "groups": ["文書管理", "総務課"], "clearance": 2, "is_admin": False, "can_upload": True,
    }  # fmt: skip
    assert api.get("/me", "bob").json()["can_upload"] is False
    assert api.get("/me", "kanri").json()["can_upload"] is True


def test_admin_routes_are_forbidden_to_staff(api):
    response = api.get("/audit", "alice")
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "message": "この操作は管理者のみ行うことができます。"}
    assert api.get("/audit", "kanri").status_code == 200


def test_health_reports_index_and_database(api, make_api, tmp_path):
    body = api.client.get("/health").json()
    assert body["status"] == "ok" and body["index_present"] and body["database_ok"]
    empty = make_api(index_dir=tmp_path / "no-index")
    body = empty.client.get("/health").json()
    assert body["status"] == "degraded" and not body["index_present"] and body["database_ok"]


def _proxy_headers(user: str, groups: str = "", clearance: str | None = None) -> dict[str, str]:
    headers = {"X-Forwarded-User": quote(user), "X-Forwarded-Groups": quote(groups)}
    if clearance is not None:
        headers["X-Forwarded-Clearance"] = clearance
    return headers


def test_trusted_proxy_identity_is_accepted_only_from_configured_addresses(make_api):
    api = make_api(
        trusted_proxy_enabled=True, trusted_proxy_addresses=["10.0.0.0/24"], client_address="10.0.0.7"
    )
    headers = _proxy_headers("田中", "財政課", "2")
    response = api.client.post("/search", headers=headers, json={"query": "予算編成の秘匿コード"})
    assert response.status_code == 200
    assert any("アオサギ" in hit["text"] for hit in response.json()["hits"])
    with api.ctx.sessions() as session:
        user = get_user(session, "田中")
        assert user.groups == ["財政課"] and user.clearance == 2 and not user.is_admin

    outsider = TestClient(api.client.app, client=("10.0.1.9", 50000))
    response = outsider.post("/search", headers=headers, json={"query": "予算編成の秘匿コード"})
    assert response.status_code == 401
    # The proxy is authoritative: groups it no longer sends are gone at the next request.
    response = api.client.post(
        "/search", headers=_proxy_headers("田中"), json={"query": "予算編成の秘匿コード"}
    )
    assert response.status_code == 200
    assert not any("アオサギ" in hit["text"] for hit in response.json()["hits"])
    # Without a user header, a request from the proxy still needs an API key.
    assert api.client.get("/conversations").status_code == 401
    assert api.get("/conversations", "bob").status_code == 200
    bad = api.client.get("/conversations", headers=_proxy_headers("田中", "", "9"))
    assert bad.status_code == 401


def test_proxy_headers_are_ignored_when_the_mode_is_off(make_api):
    api = make_api(trusted_proxy_addresses=["10.0.0.0/24"], client_address="10.0.0.7")
    response = api.client.get("/conversations", headers=_proxy_headers("田中", "財政課", "2"))
    assert response.status_code == 401
    with api.ctx.sessions() as session:
        assert get_user(session, "田中") is None


def test_a_proxy_address_that_is_no_ip_fails_at_start(make_api):
    import pytest

    with pytest.raises(ValueError, match="TRUSTED_PROXY_ADDRESSES"):
        make_api(trusted_proxy_enabled=True, trusted_proxy_addresses=["proxy.example.lg.jp"])
