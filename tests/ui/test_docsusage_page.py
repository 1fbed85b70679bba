"""The documents page's administrators' actions (reclassify, replace, delete: each confirmed before it happens)
and the usage page's period and section filters, yen and chart, driven by `AppTest` against the live API."""

from __future__ import annotations

import httpx
import pytest

from tests.ui.test_app import all_text, ask, button, sign_in, ui_session
from ui import docsusage_texts as t
from ui import texts
from ui.sections import documents_admin

NOTICE = "閉庁日のお知らせ\n\n年末年始の閉庁日は十二月二十九日から一月三日までとする。\n"


@pytest.fixture
def app(live_api, monkeypatch):
    return ui_session(monkeypatch, live_api.url)


@pytest.fixture(scope="module")
def admin_key(live_api) -> str:
    from assistant.records import create_user, init_db, make_session_factory

    engine = init_db(f"sqlite:///{live_api.home / 'yakuba.db'}")
    with make_session_factory(engine).begin() as session:
        key = create_user(session, "kanri", groups=["総務課", "財政課"], clearance=3, admin=True)[1]
    engine.dispose()
    return key


def _upload(live_api, key: str, name: str, text: str) -> str:
    response = httpx.post(
        f"{live_api.url}/documents",
        headers={"Authorization": f"Bearer {key}"},
        files={"files": (name, text.encode(), "text/plain")},
    )
    assert response.status_code == 200, response.text
    listing = httpx.get(f"{live_api.url}/documents", headers={"Authorization": f"Bearer {key}"}).json()
    return next(d["source"] for d in listing["documents"] if d["file_name"] == name)


def _documents_page(app, key: str):
    at = sign_in(app, key)
    return at.sidebar.radio(key="section").set_value(texts.SECTION_DOCUMENTS).run()


def _table(at) -> dict[str, list]:
    frame = at.dataframe[0].value
    return {column: list(frame[column]) for column in frame.columns}


def test_the_list_hides_folders_and_shows_the_key_columns(app, live_api):
    at = _documents_page(app, live_api.keys["sato"])
    table = _table(at)
    columns = texts.DOCUMENTS_COLUMNS
    assert list(table)[:5] == [
        columns[k] for k in ("title", "doc_type", "classification", "groups", "updated")
    ]
    assert "財政課" in table[columns["groups"]] and t.EVERYONE in table[columns["groups"]]
    assert all("/" not in name for name in table[columns["file_name"]])
    assert t.MANAGE_HEADER not in [s.value for s in at.subheader]  # not an administrator


def test_reclassify_and_delete_are_confirmed_first(app, live_api, admin_key):
    source = _upload(live_api, admin_key, "年末年始閉庁日.txt", NOTICE)
    at = _documents_page(app, admin_key)
    at.selectbox(key=documents_admin.PICK).set_value(source).run()
    form_level = next(s for s in at.selectbox if s.label == t.NEW_CLASSIFICATION)
    form_level.set_value(2)
    button(at, t.RECLASSIFY_BUTTON).click().run()
    assert not at.exception, at.exception
    assert "「機密性1・全職員」から「機密性2・全職員」に変更します" in all_text(at)
    table = _table(at)
    row = table[texts.DOCUMENTS_COLUMNS["file_name"]].index("年末年始閉庁日.txt")
    assert table[texts.DOCUMENTS_COLUMNS["classification"]][row] == "機密性1"  # not changed yet
    button(at, t.CONFIRM_YES["reclassify"]).click().run()
    assert not at.exception, at.exception
    assert at.success and "区分を変更しました" in at.success[0].value
    table = _table(at)
    row = table[texts.DOCUMENTS_COLUMNS["file_name"]].index("年末年始閉庁日.txt")
    assert table[texts.DOCUMENTS_COLUMNS["classification"]][row] == "機密性2"

    at.selectbox(key=documents_admin.PICK).set_value(source).run()
    button(at, t.DELETE_BUTTON).click().run()
    assert "元に戻すことはできません。よろしいですか" in all_text(at)
    button(at, t.CONFIRM_NO).click().run()  # 取りやめる: nothing happens
    assert "年末年始閉庁日.txt" in _table(at)[texts.DOCUMENTS_COLUMNS["file_name"]]
    button(at, t.DELETE_BUTTON).click().run()
    button(at, t.CONFIRM_YES["delete"]).click().run()
    assert not at.exception, at.exception
    assert "削除しました" in at.success[0].value
    assert "年末年始閉庁日.txt" not in _table(at)[texts.DOCUMENTS_COLUMNS["file_name"]]


def test_files_registered_with_the_cli_are_explained_not_managed(app, live_api, admin_key):
    at = _documents_page(app, admin_key)
    pick = at.selectbox(key=documents_admin.PICK)
    cli = next(o for o in pick.options if "テレワーク" in o)
    pick.select(cli).run()
    assert t.CLI_MANAGED in [i.value for i in at.info]
    assert not any(b.label == t.DELETE_BUTTON for b in at.button)


def test_usage_shows_yen_a_chart_and_filters_by_period(app, live_api):
    at = sign_in(app, live_api.keys["sato"])
    ask(at, "予算要求書の提出期限はいつですか")
    at.sidebar.radio(key="section").set_value(texts.SECTION_USAGE).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics[texts.USAGE_REQUESTS].replace(",", "")) >= 1
    assert metrics[t.COST_JPY].startswith("約") and metrics[t.COST_JPY].endswith("円")
    assert "1米ドル＝150円" in all_text(at)
    assert at.get("vega_lite_chart")  # the chart of use per day
    assert t.COST_JPY_COLUMN in at.table[0].value.columns
    at.radio(key="usage-period").set_value(t.PERIODS[1]).run()  # 先月: nothing yet
    assert int({m.label: m.value for m in at.metric}[texts.USAGE_REQUESTS]) == 0
    assert texts.USAGE_NONE in [i.value for i in at.info]
    assert not at.selectbox  # the section filter is for administrators


def test_administrators_filter_usage_by_section(live_api, admin_key, monkeypatch):
    at = ui_session(monkeypatch, live_api.url)
    sign_in(at, live_api.keys["sato"])
    ask(at, "予算要求書の提出期限はいつですか")
    admin = ui_session(monkeypatch, live_api.url)
    sign_in(admin, admin_key)
    admin.sidebar.radio(key="section").set_value(texts.SECTION_USAGE).run()
    everyone = int({m.label: m.value for m in admin.metric}[texts.USAGE_REQUESTS])
    admin.selectbox(key="usage-group").set_value("財政課").run()
    assert not admin.exception, admin.exception
    finance = int({m.label: m.value for m in admin.metric}[texts.USAGE_REQUESTS])
    assert 1 <= finance <= everyone
    # of 財政課 only sato asked (kanri's sign-in and document actions are not requests): no user column
    assert texts.USAGE_COLUMNS["user"] not in admin.table[0].value.columns


def test_replace_asks_for_the_same_name_then_confirms(app, live_api, admin_key):
    source = _upload(live_api, admin_key, "窓口時間.txt", "窓口の受付時間は午前九時からとする。\n")
    at = _documents_page(app, admin_key)
    at.selectbox(key=documents_admin.PICK).set_value(source).run()
    at.file_uploader[-1].set_value(
        [("別名.txt", "受付時間は午前八時半からとする。".encode(), "text/plain")]
    ).run()
    button(at, t.REPLACE_BUTTON).click().run()
    assert "名前が元のファイル名（窓口時間.txt）と異なります" in all_text(at)
    at.file_uploader[-1].set_value(
        [("窓口時間.txt", "受付時間は午前八時半からとする。".encode(), "text/plain")]
    ).run()
    button(at, t.REPLACE_BUTTON).click().run()
    assert "新しい版" in all_text(at) and "よろしいですか" in all_text(at)
    button(at, t.CONFIRM_YES["replace"]).click().run()
    assert not at.exception, at.exception
    assert "差し替えました" in at.success[0].value
    hits = httpx.post(
        f"{live_api.url}/search",
        headers={"Authorization": f"Bearer {admin_key}"},
        json={"query": "受付時間"},
    ).json()["hits"]
    assert any("八時半" in h["text"] for h in hits) and not any("午前九時" in h["text"] for h in hits)
