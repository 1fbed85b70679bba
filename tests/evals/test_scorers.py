"""Scorers on hand-made items and outcomes."""

from __future__ import annotations

import pytest

from assistant.extractive import LEAD
from assistant.tasks.ask import NO_ANSWER
from evals.scorers import SCORERS, UnknownScorerError, get_scorers
from evals.scorers.rouge import lcs_length, rouge_scores
from evals.types import Item, Outcome

CHUNK_1 = "住民票の写しの交付は市民課の窓口で受け付けます。手数料は1通300円です。"
CHUNK_2 = "郵送による請求も受け付けます。返信用封筒を同封してください。"
SOURCES = [
    {"chunk_id": "c1", "title": "住民票の案内", "source": "docs/juminhyo.pdf", "text": CHUNK_1},
    {"chunk_id": "c2", "title": "郵送請求", "source": "docs/yuso.pdf", "text": CHUNK_2},
    {"chunk_id": "c3", "title": "住民票の案内", "source": "docs/juminhyo.pdf", "text": "受付時間は8時30分からです。"},
]
CITATIONS = [
    {"n": 1, "chunk_id": "c1", "title": "住民票の案内", "source": "docs/juminhyo.pdf", "location": "", "quote": ""},
    {"n": 2, "chunk_id": "c2", "title": "郵送請求", "source": "docs/yuso.pdf", "location": "", "quote": ""},
]


def item(**expected) -> Item:
    meta = expected.pop("meta", {})
    return Item(id="q1", input={"question": "住民票の手数料はいくらですか。"}, expected=expected, meta=meta)


def outcome(text: str, mode: str = "llm", **kw) -> Outcome:
    values = {
        "item_id": "q1",
        "variant": "v",
        "output": {"answer": text},
        "text": text,
        "citations": CITATIONS,
        "sources": SOURCES,
        "mode": mode,
    }
    return Outcome(**(values | kw))


def score(name: str, it: Item, out: Outcome, **options) -> dict:
    (scorer,) = get_scorers([name], **options)
    assert scorer.name == name
    return scorer.score(it, out)


# --- registry -----------------------------------------------------------------------------------------------
def test_registry_names_and_errors():
    assert {"containment", "char_f1", "rouge", "rouge_char", "exact_choice", "length", "format",
            "citation_validity", "citation_coverage", "source_hit", "refusal", "retrieval", "latency", "tokens", "cost",
            "judge", "section_match"} == SCORERS.keys()
    assert [s.name for s in get_scorers(["rouge", "containment", "rouge"])] == ["rouge", "containment"]
    with pytest.raises(UnknownScorerError, match="bleu"):
        get_scorers(["bleu"])
    with pytest.raises(UnknownScorerError, match="judge_backnd"):
        get_scorers(["containment"], judge_backnd="bedrock/claude-haiku-4-5")


# --- containment, char F1 -----------------------------------------------------------------------------------
def test_containment_nfkc_whitespace_and_markers():
    it = item(answers=["３００円"])
    assert score("containment", it, outcome("手数料は1通 300円 です。[1]")) == {"containment": 1.0}
    assert score("containment", it, outcome("手数料は無料です。")) == {"containment": 0.0}
    assert score("containment", item(answers=["300円"]), outcome("300[1]円")) == {"containment": 1.0}
    assert score("containment", item(answers=["x"], answerable=False), outcome("x")) == {"containment": None}
    assert score("containment", item(reference="300円"), outcome("300円")) == {"containment": 1.0}  # reference counts


def test_containment_error_outcome_scores_zero():
    out = outcome("", output=None, error="BackendUnavailable")
    assert score("containment", item(answers=["300円"]), out) == {"containment": 0.0}


def test_char_f1_best_of_answers_and_reference():
    it = item(answers=["千円", "300円"], reference="手数料は300円です。")
    result = score("char_f1", it, outcome(LEAD + "\n・300円。[1]"))
    assert result["char_f1"] == pytest.approx(1.0)  # best is 「300円」; lead-in, marker and punctuation ignored
    partial = score("char_f1", item(answers=["300円"]), outcome("30円"))["char_f1"]
    # prediction 3,0,円 vs reference 3,0,0,円: common 3 → P = 1, R = 3/4
    assert partial == pytest.approx(2 * 1 * 0.75 / 1.75)
    assert score("char_f1", item(), outcome("x")) == {"char_f1": None}


# --- ROUGE --------------------------------------------------------------------------------------------------
def _lcs_dp(a, b):
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


@pytest.mark.parametrize(
    ("a", "b"),
    [("ABCBDAB", "BDCABA"), ("", "abc"), ("aaaa", "aa"), ("市民課の窓口", "窓口は市民課"), ("abcde", "edcba")],
)
def test_bit_parallel_lcs_matches_dynamic_programming(a, b):
    assert lcs_length(list(a), list(b)) == _lcs_dp(a, b)


def test_rouge_scores_by_hand():
    scores = rouge_scores(["a", "b", "c", "d"], ["a", "b", "x"])
    assert scores["rouge1_r"] == pytest.approx(2 / 3) and scores["rouge1_p"] == pytest.approx(2 / 4)
    assert scores["rouge2_r"] == pytest.approx(1 / 2) and scores["rouge2_p"] == pytest.approx(1 / 3)
    assert scores["rougeL_r"] == pytest.approx(2 / 3)
    assert scores["rouge1_f"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_rouge_on_content_words_ignores_particles():
    it = item(reference="窓口で申請を受け付けます。")
    # different particles and auxiliaries, the same content words (受け付ける) after normalisation
    result = score("rouge", it, outcome("窓口にて申請は受け付けました[1]"))
    assert result["rouge1_f"] == pytest.approx(1.0)
    assert result["rougeL_f"] == pytest.approx(1.0)
    chars = score("rouge_char", it, outcome("窓口にて申請は受け付けました[1]"))
    assert set(chars) == {f"rouge_char{n}_{k}" for n in "12L" for k in "rpf"}
    assert 0 < chars["rouge_char1_f"] < 1.0  # characters see the particles
    assert set(score("rouge", item(), outcome("x")).values()) == {None}


# --- choice, length, format -----------------------------------------------------------------------------------
def test_exact_choice():
    assert score("exact_choice", item(choice="b"), outcome("", output={"choice": "Ｂ"})) == {"exact_choice": 1.0}
    assert score("exact_choice", item(choice="B"), outcome("(c) です", output={})) == {"exact_choice": 0.0}
    assert score("exact_choice", item(choice="C"), outcome("C：理由は…", output={})) == {"exact_choice": 1.0}
    assert score("exact_choice", item(choice="a"), outcome("a", output={"choice": None})) == {"exact_choice": 0.0}
    assert score("exact_choice", item(), outcome("A")) == {"exact_choice": None}


def test_length_and_format():
    assert score("length", item(max_chars=5), outcome("あい う\nえお[1]")) == {
        "length_chars": 5.0,
        "within_max_chars": 1.0,
    }
    assert score("length", item(max_chars=4), outcome("あいうえお"))["within_max_chars"] == 0.0
    assert score("length", item(), outcome("あ"))["within_max_chars"] is None
    assert score("format", item(), outcome("答え")) == {"format_ok": 1.0}
    assert score("format", item(), outcome("  ")) == {"format_ok": 0.0}
    assert score("format", item(), outcome("", output=None, error="x")) == {"format_ok": 0.0}
    assert score("format", item(choice="A"), outcome("わかりません", output={})) == {"format_ok": 0.0}


# --- refusal ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        NO_ANSWER,
        "ご質問に関する記載は見当たりません。\n別の資料をご確認ください。",
        "提供された資料には、ご質問に対する回答となる記載がありません。",
    ],
)
def test_refusal_detected(text):
    assert score("refusal", item(answerable=False), outcome(text)) == {"refusal": 1.0, "false_refusal": None}
    assert score("refusal", item(answers=["x"]), outcome(text)) == {"refusal": None, "false_refusal": 1.0}


def test_answer_is_not_a_refusal():
    text = "手数料は300円です。[1]\nなお、郵送料の記載は見当たりません。"  # not on the first line
    assert score("refusal", item(answerable=False), outcome(text)) == {"refusal": 0.0, "false_refusal": None}
    assert score("refusal", item(), outcome(text)) == {"refusal": None, "false_refusal": 0.0}


# --- citations ----------------------------------------------------------------------------------------------
def test_citation_validity_extractive_verbatim():
    text = "\n".join(
        [
            LEAD,
            "・住民票の写しの交付は市民課の窓口で受け付けます。[1]",
            "・手数料は1通300円です。[1][2]",  # true for [1], not in chunk 2
            "・返信用封筒は不要です。[2]",  # not in chunk 2
            "・受付時間は8時30分からです。[3]",  # no citation n=3
        ]
    )
    result = score("citation_validity", item(), outcome(text, mode="extractive"))
    assert result == {"citation_validity": pytest.approx(2 / 5)}


def test_citation_validity_extractive_table_row_and_record_label():
    table = "| 区分 | 手数料 |\n| --- | --- |\n| 住民票 | 300円 |"
    sources = [{"chunk_id": "t", "title": "料金表", "source": "fees.xlsx", "text": table}]
    citations = [{"n": 1, "chunk_id": "t", "title": "料金表", "source": "fees.xlsx", "location": "", "quote": ""}]
    out = outcome(f"{LEAD}\n・（回答）区分：住民票、手数料：300円[1]", "extractive", sources=sources,
                  citations=citations)
    assert score("citation_validity", item(), out) == {"citation_validity": 1.0}


def test_citation_validity_llm_content_word_overlap():
    text = (
        "住民票の写しは市民課の窓口で交付されます[1]。"  # shares most content words with chunk 1
        "郵送での請求には返信用封筒が必要です。[2]"  # shares with chunk 2
        "マイナンバーカードがあればコンビニで取得できます。[1]"  # not in chunk 1
    )
    assert score("citation_validity", item(), outcome(text)) == {"citation_validity": pytest.approx(2 / 3)}
    assert score("citation_validity", item(), outcome("手数料は300円です。")) == {"citation_validity": None}


def test_citation_coverage_leaves_out_the_lead_in():
    text = f"{LEAD}\n・手数料は1通300円です。[1]\n・返信用封筒を同封してください。"
    assert score("citation_coverage", item(), outcome(text, "extractive")) == {"citation_coverage": 0.5}
    llm = "手数料は300円です。[1]窓口は市民課です[1]。受付は平日です。詳しくはお問い合わせください。"
    assert score("citation_coverage", item(), outcome(llm)) == {"citation_coverage": 0.5}
    assert score("citation_coverage", item(), outcome(NO_ANSWER)) == {"citation_coverage": None}


# --- retrieval, latency, tokens, cost ----------------------------------------------------------------------------
def test_retrieval_ranks_distinct_files():
    keys = ("recall@1", "recall@5", "recall@10", "mrr@10")
    first = score("retrieval", item(meta={"gold_source": "docs/juminhyo.pdf"}), outcome("x"))
    assert first == dict.fromkeys(keys, 1.0)
    # c3 is the same file as c1: the gold file is rank 2, not 3; matched by file name
    second = score("retrieval", item(meta={"gold_source": "yuso.pdf"}), outcome("x"))
    assert second == {"recall@1": 0.0, "recall@5": 1.0, "recall@10": 1.0, "mrr@10": 0.5}
    by_title = score("retrieval", item(meta={"gold_source": "郵送請求"}), outcome("x"))
    assert by_title["mrr@10"] == 0.5
    missing = score("retrieval", item(meta={"gold_source": "other.pdf"}), outcome("x"))
    assert missing == dict.fromkeys(keys, 0.0)
    assert score("retrieval", item(), outcome("x")) == dict.fromkeys(keys)


def test_latency_tokens_cost():
    out = outcome("x", latency_ms=1234, usage={"input_tokens": 100, "output_tokens": 20, "cost": 0.0012})
    assert score("latency", item(), out) == {"latency_ms": 1234.0}
    assert score("tokens", item(), out) == {"tokens": 120.0, "input_tokens": 100.0, "output_tokens": 20.0}
    assert score("cost", item(), out) == {"cost_usd": 0.0012}
    unknown = outcome("x", usage={"input_tokens": 1, "output_tokens": 1, "cost": None})
    assert score("cost", item(), unknown) == {"cost_usd": None}
    assert score("tokens", item(), outcome("x"))["tokens"] is None


def test_source_hit_matches_titles_paths_and_file_names():
    from evals.scorers.citations import SourceHit

    item = Item("1", {"question": "q"}, {"sources": ["手引.md"]})
    cited = Outcome("1", "v", {}, "a[1]", [{"n": 1, "title": "手引", "source": "corpus/手引.md"}], [])
    other = Outcome("1", "v", {}, "a[1]", [{"n": 1, "title": "規程", "source": "corpus/規程.txt"}], [])
    assert SourceHit().score(item, cited) == {"source_hit": 1.0}
    assert SourceHit().score(item, other) == {"source_hit": 0.0}
    assert SourceHit().score(Item("2", {}, {}), cited) == {"source_hit": None}
