"""HTML loader: main text only, heading sections, tables with rowspan/colspan, legacy encodings."""

from __future__ import annotations

from ingest.loaders import load_file
from tests.builders.texts import HTML_PAGE, write_text


def test_main_text_sections_and_table(tmp_path):
    docs = load_file(write_text(tmp_path / "gomi.html", HTML_PAGE), root=tmp_path)
    assert {doc.title for doc in docs} == {"ごみの出し方｜架空市"}
    assert [doc.section for doc in docs] == [
        ["ごみの出し方"],
        ["ごみの出し方", "分別の区分"],
        ["ごみの出し方", "分別の区分", "粗大ごみ"],
    ]
    assert docs[0].text == "ごみは収集日の朝8時までに出してください。"
    assert docs[1].text.splitlines() == [
        "次の表のとおり分別してください。",
        "| 区分 | 収集日 東地区 | 収集日 西地区 |",
        "| --- | --- | --- |",
        "| 可燃ごみ | 月・木 | 火・金 |",
        "| 資源ごみ | 水 | 水 |",
    ]
    assert docs[2].text.splitlines() == ["事前に申込みが必要です。", "手数料がかかります。"]
    everything = "\n".join(doc.text for doc in docs)
    for chrome in ("公式ホームページ", "ホーム", "関連リンク", "Copyright", "スクリプト", "color"):
        assert chrome not in everything


def test_shift_jis_page_without_main_element_and_title_from_h1(tmp_path):
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"></head>'
        "<body><div id='sidebar'>メニュー</div><div><h1>①窓口のご案内</h1>"
        "<p>受付時間は<br>平日の午前8時30分からです。</p></div></body></html>"
    )
    docs = load_file(write_text(tmp_path / "madoguchi.htm", html, encoding="cp932"))
    assert [doc.title for doc in docs] == ["①窓口のご案内"]
    assert docs[0].text.splitlines() == ["受付時間は", "平日の午前8時30分からです。"]


def test_page_without_text_gives_no_documents(tmp_path):
    assert load_file(write_text(tmp_path / "empty.html", "<html><body><nav>x</nav></body></html>")) == []
