"""The 照会回答, 確認・承認 and 一括作成 pages driven by `AppTest` against the real API (conftest.py): a pasted
照会文 split for correction, a draft made and shown with its labels, edited and sent for review; the reviewer's
queue, versions and decision; a batch uploaded with a bad row, followed to the end."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest

from tests.ui.test_app import all_text, button, sign_in, ui_session
from ui import reply_texts as rt
from ui import texts
from ui.sections.review import version_diff

PASTED = """み総第72号
令和7年6月10日

みなと市長　様

みどり町総務課長

　　　マイナンバーカードの交付について（照会）

　標記の件について、下記のとおり照会します。令和7年6月24日までに御回答ください。

記

1　交付申請に必要な書類は何か。
2　交付通知書が届いた後の受取の窓口はどこか。
3　代理人による受取の可否はどうか。

以上
"""


@pytest.fixture(scope="module")
def reviewer(live_api) -> str:
    """An administrator of the live API (administrators review); returns the key."""
    from assistant.config import Settings
    from assistant.records import create_user, init_db, make_session_factory

    engine = init_db(Settings(home=live_api.home).resolved_database_url)
    with make_session_factory(engine).begin() as session:
        key = create_user(
            session, f"shonin-{secrets.token_hex(3)}", groups=["総務課"], clearance=2, admin=True
        )[1]
    engine.dispose()
    return key


def open_section(monkeypatch, live_api, key: str, section: str):
    at = sign_in(ui_session(monkeypatch, live_api.url), key)
    return at.sidebar.radio(key="section").set_value(section).run()


def drafted(monkeypatch, live_api):
    """tanaka pastes the 照会文, splits it, and drafts a reply; returns the page."""
    at = open_section(monkeypatch, live_api, live_api.keys["tanaka"], texts.SECTION_REPLY)
    at.radio(key="yakuba_reply_mode").set_value(rt.REPLY_INPUT_PASTE).run()
    at.text_area(key="yakuba_reply_paste").input(PASTED)
    button(at, rt.REPLY_SPLIT_BUTTON).click().run()
    assert not at.exception, at.exception
    return at


def test_paste_split_draft_edit_and_send_for_review(monkeypatch, live_api):
    at = drafted(monkeypatch, live_api)
    assert rt.REPLY_SPLIT_DONE in all_text(at)
    assert at.text_input(key="yakuba_reply_subject").value == "マイナンバーカードの交付について"
    assert at.text_input(key="yakuba_reply_sender").value == "みどり町総務課長"
    assert at.text_input(key="yakuba_reply_reference").value == "み総第72号"
    assert str(at.date_input(key="yakuba_reply_due_on").value) == "2025-06-24"
    split = next(e for e in at.expander if e.label == rt.REPLY_SPLIT_ITEMS.format(count=3))
    assert [t.value for t in split.text][0] == "1　交付申請に必要な書類は何か。"

    button(at, rt.REPLY_DRAFT_BUTTON).click().run()
    assert not at.exception, at.exception
    shown = all_text(at)
    assert "状態：下書き" in shown and "第1版" in shown
    assert texts.EXTRACTIVE_LABEL in shown and rt.REPLY_MODE_EXTRACTIVE_EXPLAIN in shown
    assert at.subheader[0].value == "マイナンバーカードの交付について（回答）"
    assert [b.label for b in at.get("download_button")] == [rt.REPLY_DOWNLOAD_DOCX, rt.REPLY_DOWNLOAD_TXT]

    # The author corrects item 3 (no source said it) and saves: version 2.
    answer = next(t for t in at.text_area if t.label == rt.REPLY_EDIT_ITEM.format(number="3"))
    answer.input("代理人による受取は、委任状及び代理人の本人確認書類により認めている。")
    status = next(r for r in at.radio if r.label == rt.REPLY_EDIT_STATUS.format(number="3"))
    status.set_value("回答")
    button(at, rt.REPLY_EDIT_SAVE).click().run()
    assert not at.exception, at.exception
    assert rt.REPLY_EDIT_SAVED.format(version=2) in [s.value for s in at.success]
    assert "第2版" in all_text(at)

    button(at, rt.REPLY_SUBMIT_BUTTON).click().run()
    assert not at.exception, at.exception
    assert rt.REPLY_SUBMITTED in [s.value for s in at.success]
    assert "状態：確認依頼" in all_text(at)
    assert not [b for b in at.button if b.label == rt.REPLY_SUBMIT_BUTTON]  # nothing more to send


def test_reviewer_compares_versions_and_decides(monkeypatch, live_api, reviewer):
    test_paste_split_draft_edit_and_send_for_review(monkeypatch, live_api)
    at = open_section(monkeypatch, live_api, reviewer, texts.SECTION_REVIEW)
    assert not at.exception, at.exception
    queue = at.dataframe[0].value
    assert "マイナンバーカードの交付について（回答）" in list(queue[rt.REVIEW_COLUMNS["subject"]])
    assert "状態：確認依頼" in all_text(at)
    diff = at.code[0].value
    assert "+\u3000（回答）代理人による受取は、委任状及び代理人の本人確認書類により認めている。" in diff
    assert "-\u3000（要確認）検索対象の資料" in diff  # answered now: no longer to be checked
    assert "@@" not in diff

    picked = at.selectbox(key="yakuba_review_pick").value
    button(at, rt.REVIEW_RETURN).click().run()  # returning needs a reason
    assert (
        at.selectbox(key="yakuba_review_pick").value == picked
    )  # same subject twice in the queue: still this one
    assert rt.REVIEW_RETURN_NEEDS_COMMENT in [w.value for w in at.warning]
    next(t for t in at.text_area if t.label == rt.REVIEW_COMMENT).input(
        "記1の書類を最新の手引きで確認してください。"
    )
    button(at, rt.REVIEW_RETURN).click().run()
    assert not at.exception, at.exception
    assert rt.REVIEW_RETURNED in [s.value for s in at.success]

    # The author sees the reason with the returned draft.
    author = open_section(monkeypatch, live_api, live_api.keys["tanaka"], texts.SECTION_REPLY)
    assert any("記1の書類を最新の手引きで確認してください。" in e.value for e in author.error)


def test_version_diff_marks_changes_for_readers():
    old = {"number": 1, "text": "記\n1　問\n（回答）旧\n以上"}
    new = {"number": 2, "text": "記\n1　問\n（回答）新\n以上"}
    lines = version_diff(old, new).splitlines()
    assert lines[:2] == ["--- 第1版", "+++ 第2版"] and "-（回答）旧" in lines and "+（回答）新" in lines
    assert "⋯" in lines


def test_batch_page_shows_bad_rows_progress_and_items(monkeypatch, live_api):
    table = (
        "件名,照会元,照会内容\n"
        "交付申請について,みどり町,マイナンバーカードの交付申請に必要な書類は何か。\n"
        "空の行,みどり町,\n"
        "在宅勤務について,さくら市,在宅勤務の日数の上限は何日か。\n"
    ).encode()
    headers = {"Authorization": f"Bearer {live_api.keys['tanaka']}"}
    created = httpx.post(
        f"{live_api.url}/batches",
        headers=headers,
        files={"file": ("照会一覧.csv", table, "text/csv")},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    job_id = created.json()["job_id"]
    deadline = time.monotonic() + 120
    while httpx.get(f"{live_api.url}/batches/{job_id}", headers=headers).json()["state"] == "running":
        assert time.monotonic() < deadline, "the batch job did not finish"
        time.sleep(0.5)

    at = open_section(monkeypatch, live_api, live_api.keys["tanaka"], texts.SECTION_BATCH)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[rt.BATCH_METRICS["done"]] == "2" and metrics[rt.BATCH_METRICS["failed"]] == "0"
    assert rt.BATCH_BAD_ROWS.format(count=1) in [w.value for w in at.warning]
    bad = at.dataframe[0].value
    assert list(bad[rt.BATCH_BAD_COLUMNS["row"]]) == [3]
    items = at.dataframe[1].value
    assert list(items[rt.BATCH_ITEM_COLUMNS["state"]]) == [rt.BATCH_ITEM_STATES["done"]] * 2
    labels = [b.label for b in at.get("download_button")]
    assert labels == [rt.BATCH_DOWNLOAD[f] for f in ("zip", "xlsx", "csv")]
