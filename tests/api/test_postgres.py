"""Smoke test of the API on PostgreSQL (from the `pgserver` package; skipped if it cannot start)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.records import verify_audit_chain


@pytest.fixture
def pg_url(tmp_path_factory) -> Iterator[str]:
    try:
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
        url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    except Exception as exc:  # any failure to start means: no PostgreSQL on this machine
        pytest.skip(f"PostgreSQL from pgserver could not start ({type(exc).__name__}: {exc})")
    yield url
    server.cleanup()


@pytest.mark.slow
def test_chat_history_and_audit_on_postgresql(pg_url, make_api):
    api = make_api(database_url=pg_url)
    answer = api.post("/chat", "bob", json={"message": "住民票の写しの交付手数料はいくらですか"}).json()
    follow = api.post(
        "/chat",
        "bob",
        json={"message": "交付の窓口はどこですか", "conversation_id": answer["conversation_id"]},
    )
    assert follow.status_code == 200
    conversation = api.get(f"/conversations/{answer['conversation_id']}", "bob").json()
    assert len(conversation["messages"]) == 4 and conversation["messages"][1]["citations"]
    assert (
        api.post("/feedback", "bob", json={"message_id": answer["message_id"], "rating": "good"}).status_code
        == 200
    )
    assert api.get(f"/conversations/{answer['conversation_id']}", "alice").status_code == 404
    assert api.get("/usage", "bob").json()["requests"] == 2
    with api.ctx.sessions() as session:
        result = verify_audit_chain(session)
    assert result.ok and result.rows_checked == 2
