from ingest.normalize import clean_display, normalize_for_search


def test_nfkc_folds_width_and_enclosed_forms():
    assert normalize_for_search("２０２４年①ＡＢＣ㈱ｶﾞｲﾄﾞ") == "2024年1ABC(株)ガイド"


def test_whitespace_is_unified_and_lines_kept():
    text = "　第一条　\t目的  と\t\t範囲\r\n\r\n\n  第二条  定義 \n"
    assert normalize_for_search(text) == "第一条 目的 と 範囲\n第二条 定義"


def test_control_and_invisible_characters_are_removed():
    assert normalize_for_search("\ufeff申請\x00書\u200bの\x07提出") == "申請書の提出"


def test_empty_and_blank_text():
    assert normalize_for_search("") == ""
    assert normalize_for_search(" \n\u3000\t\n") == ""


def test_clean_display_trims_line_ends_and_collapses_blank_lines():
    text = "\n\n第一条 \u3000\n\n\n\n\n　この法律は、\t\r\n\r\n２\n"
    assert clean_display(text) == "第一条\n\n　この法律は、\n\n２"


def test_clean_display_keeps_characters_as_written():
    text = "①　２０２４年　㈱"
    assert clean_display(text) == text
