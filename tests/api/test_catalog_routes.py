"""GET /models, GET /audit paging, and the OpenAPI document."""

from __future__ import annotations

import socket


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_models_show_availability_and_reasons(make_api, fake_bedrock):
    api = make_api(
        bedrock_endpoint_url=fake_bedrock.url, backend_groups={"bedrock/claude-sonnet-*": ["財政課"]}
    )
    models = {m["address"]: m for m in api.get("/models", "bob").json()["models"]}
    assert "bedrock/claude-sonnet-4-5" not in models  # restricted to 財政課
    offline = models["offline/extractive"]
    assert (
        offline["available"]
        and offline["default"]
        and offline["max_level"] == 3
        and offline["reason"] is None
    )
    assert models["bedrock/claude-haiku-4-5"]["max_level"] == 2
    assert models["bedrock/claude-haiku-4-5"]["data_location_label"].startswith("日本国内")
    nova = models["bedrock/nova-lite"]
    assert nova["available"] and nova["max_level"] == 1 and nova["reason"] is None  # bob: clearance 1
    openai = [m for a, m in models.items() if a.startswith("openai/")]
    assert openai and not openai[0]["available"] and openai[0]["reason"]

    alice = {m["address"]: m for m in api.get("/models", "alice").json()["models"]}
    assert "bedrock/claude-sonnet-4-5" in alice
    assert alice["bedrock/nova-lite"]["available"] and "機密性2以上" in alice["bedrock/nova-lite"]["reason"]


def test_unreachable_backends_say_why(make_api, aws_dummy_credentials):
    api = make_api(bedrock_endpoint_url=f"http://127.0.0.1:{_closed_port()}")
    models = {m["address"]: m for m in api.get("/models", "bob").json()["models"]}
    haiku = models["bedrock/claude-haiku-4-5"]
    assert not haiku["available"] and "接続できません" in haiku["reason"]


def test_audit_pages_newest_first(api):
    for _ in range(3):
        api.post("/chat", "bob", json={"message": "住民票の写しの交付手数料はいくらですか"})
    api.post("/chat", "alice", json={"message": "予算編成の秘匿コードは何ですか"})
    page = api.get("/audit", "kanri", params={"limit": 2}).json()
    assert page["total"] == 4 and [r["id"] for r in page["items"]] == [4, 3]
    assert [
        r["id"] for r in api.get("/audit", "kanri", params={"limit": 2, "offset": 2}).json()["items"]
    ] == [2, 1]
    bobs = api.get("/audit", "kanri", params={"user": "bob"}).json()
    assert bobs["total"] == 3 and {r["user"] for r in bobs["items"]} == {"bob"}
    assert api.get("/audit", "kanri", params={"limit": 0}).status_code == 422


def test_openapi_declares_every_route_model_and_error(api):
    spec = api.client.get("/openapi.json").json()
    operations = {(m.upper(), p): op for p, item in spec["paths"].items() for m, op in item.items()}
    expected = {
        ("POST", "/chat"), ("GET", "/conversations"), ("GET", "/conversations/{conversation_id}"),
        ("DELETE", "/conversations/{conversation_id}"), ("POST", "/search"), ("GET", "/documents"),
        ("POST", "/documents"), ("GET", "/models"), ("POST", "/feedback"), ("GET", "/usage"),
        ("GET", "/audit"), ("GET", "/health"), ("GET", "/me"),
        # plugged in by the evals package (entry point yakuba.api_routers)
        ("GET", "/evals/suites"), ("GET", "/evals"), ("POST", "/evals"), ("GET", "/evals/compare"),
        ("GET", "/evals/{run_id}"), ("GET", "/evals/{run_id}/report"),
        # inquiry replies and their review (issue 10)
        ("POST", "/replies/split"), ("POST", "/replies/draft"), ("GET", "/replies"), ("GET", "/replies/{draft_id}"),
        ("PUT", "/replies/{draft_id}"), ("POST", "/replies/{draft_id}/transition"),
        ("GET", "/replies/{draft_id}/versions"), ("GET", "/replies/{draft_id}/export"),
        # batch jobs (issue 10)
        ("POST", "/batches"), ("GET", "/batches"), ("GET", "/batches/{job_id}"), ("GET", "/batches/{job_id}/items"),
        ("GET", "/batches/{job_id}/download"), ("POST", "/batches/{job_id}/cancel"),
        ("POST", "/batches/{job_id}/resume"),
        # meeting minutes and their review (issue 11)
        ("POST", "/minutes/draft"), ("GET", "/minutes/jobs/{job_id}"), ("POST", "/minutes/jobs/{job_id}/cancel"),
        ("GET", "/minutes"), ("GET", "/minutes/{draft_id}"), ("GET", "/minutes/{draft_id}/turns"),
        ("PUT", "/minutes/{draft_id}"), ("POST", "/minutes/{draft_id}/transition"),
        ("GET", "/minutes/{draft_id}/export"),
        # original files of cited sources (issue 13); /open/{token} is the browser's signed link, no key
        ("GET", "/sources/{chunk_id}"), ("POST", "/sources/links"), ("GET", "/sources/{chunk_id}/file"),
        ("GET", "/sources/open/{token}"),
        # managing conversations (issue 13)
        ("PATCH", "/conversations/{conversation_id}"), ("POST", "/conversations/{conversation_id}/restore"),
        ("GET", "/conversations/{conversation_id}/export"),
        # browser sessions (issue 13)
        ("POST", "/sessions"), ("GET", "/sessions/current"), ("DELETE", "/sessions/current"), ("DELETE", "/sessions"),
        # administrators' document actions (issue 13)
        ("DELETE", "/documents/{upload_id}/{name}"), ("PUT", "/documents/{upload_id}/{name}"),
        ("PATCH", "/documents/{upload_id}/{name}"),
        # files attached to a conversation, and the filters kept with its answers (issue 13)
        ("POST", "/attachments"), ("GET", "/conversations/{conversation_id}/attachments"),
        ("DELETE", "/attachments/{attachment_id}"), ("GET", "/conversations/{conversation_id}/filters"),
    }  # fmt: skip
    assert set(operations) == expected
    error_ref = "#/components/schemas/ErrorBody"
    for key, op in operations.items():
        if key in {("GET", "/health"), ("GET", "/sources/open/{token}")}:
            assert "security" not in op
            continue
        assert op["security"] == [{"HTTPBearer": []}], key
        assert op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"] == error_ref, key
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"]["$ref"] == error_ref, (key, status)
    chat = operations[("POST", "/chat")]["responses"]
    assert set(chat["200"]["content"]) == {"application/json", "text/event-stream"}
    assert {"403", "404", "429", "503", "504"} <= set(chat)
    schemas = spec["components"]["schemas"]
    for name in (
        "ChatRequest",
        "ChatResponse",
        "CitationOut",
        "ErrorBody",
        "SearchRequest",
        "ModelList",
        "IngestSummaryOut",
        "ConversationDetail",
        "UsageResponse",
        "AuditPage",
        "HealthOut",
    ):
        assert name in schemas, name
    assert schemas["ChatRequest"]["additionalProperties"] is False
