"""POST /documents with hostile files and names: a clear Japanese answer, no server error, nothing left behind,
and other users' requests served while a hostile file is being parsed."""

from __future__ import annotations

import threading
import time

from tests.builders import hostile

GOOD = "# 開庁時間\n\n市役所の開庁時間は午前八時三十分から午後五時十五分までです。\n"


def upload(api, user: str, name: str, data: bytes, **form):
    return api.post(
        "/documents", user, files=[("files", (name, data, "application/octet-stream"))], data=form
    )


def upload_folders(api) -> list:
    uploads = api.ctx.settings.home / "uploads"
    return sorted(uploads.iterdir()) if uploads.exists() else []


def test_a_300_character_file_name_is_refused_in_japanese_and_leaves_no_folder(api):
    response = upload(api, "uploader", "あ" * 296 + ".txt", GOOD.encode())
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error" and "ファイル名" in body["message"]
    assert upload_folders(api) == []


def test_chunks_total_counts_only_chunks_the_uploader_may_see(api):
    index_size = len(api.ctx.stores.get().chunks)
    response = upload(api, "uploader", "開庁時間.md", GOOD.encode())
    assert response.status_code == 200, response.text
    visible = sum(d["chunks"] for d in api.get("/documents", "uploader").json()["documents"])
    assert response.json()["chunks_total"] == visible
    assert visible < index_size + response.json()["chunks_added"]  # 財政課 and 人事課 chunks are not counted


def test_a_hostile_upload_is_refused_with_its_reason_and_removed(api):
    html = b"<html><body>" + b"<div>" * 20_000 + b"</div>" * 20_000 + b"</body></html>"
    response = upload(api, "uploader", "deep.html", html)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "ingest_failed" and "入れ子が深すぎる" in response.json()["message"]
    assert upload_folders(api) == []


def test_a_sheet_merged_over_every_cell_is_ingested_without_harm(api, tmp_path):
    path = hostile.xlsx_merged_everywhere(tmp_path / "merged.xlsx")
    response = upload(api, "uploader", "merged.xlsx", path.read_bytes())
    assert response.status_code == 200, response.text
    assert response.json()["files_ingested"] == 1
    assert api.client.get("/health").status_code == 200


def test_other_users_are_served_while_a_hostile_file_is_parsed(make_api, tmp_path):
    api = make_api(ingest_file_seconds=10, ingest_workers=2)
    slow = hostile.docx_many_paragraphs(tmp_path / "many.docx", 1_000_000).read_bytes()
    result: dict = {}
    hostile_upload = threading.Thread(
        target=lambda: result.update(r=upload(api, "uploader", "many.docx", slow))
    )
    hostile_upload.start()
    while not any((folder / "many.docx").exists() for folder in upload_folders(api)):
        time.sleep(0.05)  # the hostile file is saved: its parsing starts now

    assert api.client.get("/health").status_code == 200
    small = upload(api, "kanri", "開庁時間.md", GOOD.encode())
    assert small.status_code == 200, small.text
    assert hostile_upload.is_alive()  # the small upload did not wait for the hostile one (nor for the lock)

    hostile_upload.join()
    assert result["r"].status_code == 422
    assert "制限時間（10秒）" in result["r"].json()["message"]
