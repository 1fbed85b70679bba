"""Hostile numbers and error bodies (issue 12): integers past what the database holds are a Japanese 422, never a
500 or a reset connection; every error code is listed in the schema, and every error message is Japanese."""

from __future__ import annotations

from typing import get_args

import pytest

from assistant.api.errors import ERROR_CODES, HTTP_STATUS_ERRORS, JAPANESE_FALLBACK, error_payload
from assistant.api.schemas import OFFSET_MAX, ROW_ID_MAX, ErrorCode
from core.errors import CorruptFile, UnsupportedFile

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("path", "user"),
    [("/conversations", "bob"), ("/audit", "kanri")],
)
@pytest.mark.parametrize("offset", [HUGE, str(OFFSET_MAX + 1), "-1"])
def test_an_offset_the_database_cannot_hold_is_a_japanese_422(api, path, user, offset):
    response = api.get(path, user, params={"offset": offset})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert "「開始位置」は" in body["message"] and body["details"][0]["loc"] == ["query", "offset"]
    # the connection is still good, and the largest offset the database takes is answered
    assert api.get(path, user, params={"offset": OFFSET_MAX}).status_code == 200


@pytest.mark.parametrize("message_id", [2**63, 2**64 + 1, ROW_ID_MAX + 1, 0, -(2**63) - 1])
def test_feedback_on_an_id_the_database_cannot_hold_is_a_japanese_422(api, message_id):
    response = api.post("/feedback", "bob", json={"message_id": message_id, "rating": "good"})
    assert response.status_code == 422, response.text
    assert "「回答」は" in response.json()["message"]
    largest = api.post("/feedback", "bob", json={"message_id": ROW_ID_MAX, "rating": "good"})
    assert largest.status_code == 404 and largest.json()["error"] == "not_found"


def test_every_error_code_is_in_the_schema_enum(api):
    codes = set(get_args(ErrorCode))
    sent = {code for _, code in ERROR_CODES.values()} | {code for code, _ in HTTP_STATUS_ERRORS.values()}
    assert sent | {"validation_error", "internal_error", "http_error"} <= codes
    schema = api.client.get("/openapi.json").json()
    assert set(schema["components"]["schemas"]["ErrorBody"]["properties"]["error"]["enum"]) == codes
    # every code an exception may carry has a Japanese sentence for when its message is not Japanese
    assert {code for status, code in ERROR_CODES.values() if status < 500} - {"validation_error"} <= set(
        JAPANESE_FALLBACK
    )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            UnsupportedFile("file.png is a binary file (it contains NUL bytes), not text."),
            "unsupported_media_type",
        ),
        (CorruptFile("Bad magic number for central directory"), "corrupt_file"),
    ],
)
def test_an_error_written_in_english_reaches_the_user_in_japanese(error, code):
    status, body = error_payload(error)
    assert body == {"error": code, "message": JAPANESE_FALLBACK[code]} and status in (415, 422)
    japanese = UnsupportedFile("この形式のファイルは登録できません。")
    assert error_payload(japanese)[1]["message"] == japanese.message  # a Japanese message is kept as written
