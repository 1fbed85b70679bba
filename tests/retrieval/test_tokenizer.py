from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.retrieval.tokenizer import SUDACHI_MAX_BYTES, TOKENIZER_NAME, get_tokenizer
from core.errors import IndexMismatch


def test_content_words_normalised_and_function_words_dropped():
    tokens = get_tokenizer().tokenize("東京都の職員はAppleのiPhoneを使っていない。　ＡＢＣ 附属")
    assert tokens == ["東京都", "職員", "apple", "iphone", "使う", "居る", "abc", "付属"]


def test_mode_c_keeps_compounds_whole():
    assert "国家公務員" in get_tokenizer().tokenize("国家公務員の給与")


def test_name_is_recorded_and_checked():
    assert get_tokenizer().name == TOKENIZER_NAME
    with pytest.raises(IndexMismatch, match="yakuba ingest"):
        get_tokenizer("mecab-v0")


def test_text_longer_than_sudachi_limit():
    sentence = "行政文書の管理に関する規則を定める。"
    text = (sentence * 1500 + "\n") * 2
    assert len(text.encode()) > SUDACHI_MAX_BYTES
    tokens = get_tokenizer().tokenize(text)
    assert tokens.count("規則") == 3000


def test_single_line_without_sentence_end_longer_than_limit():
    text = "あ" * (SUDACHI_MAX_BYTES // 3 + 100)
    assert get_tokenizer().tokenize(text)  # no Sudachi input-size error


def test_threads_get_the_same_tokens():
    texts = [f"第{i}条 住民票の写しの交付を請求することができる。" for i in range(50)]
    tok = get_tokenizer()
    expected = tok.tokenize_many(texts)
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(tok.tokenize, texts)) == expected
