"""The choice task: multiple-choice questions answered from an in-memory index, offline and through fake Bedrock."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.prompts import load_prompt
from assistant.retrieval.local_store import build_in_memory
from assistant.router import Router
from assistant.tasks import get_task
from assistant.tasks.base import Principal, TaskContext
from assistant.tasks.choice import CHOICE, NO_SOURCES, ChoiceInput, asks_for_wrong
from assistant.tasks.runner import Runner
from core.errors import InvalidModelOutput
from core.model import Chunk, make_chunk_id
from tests.support.embedder import BigramEmbedder

HAIKU = "bedrock/claude-haiku-4-5"

DOCS = [
    (
        "手数料条例.pdf",
        "手数料条例",
        "住民票の写しの交付手数料は、1通につき300円とする。窓口は市民課である。",
    ),
    ("ごみ収集の手引.docx", "ごみ収集の手引", "粗大ごみの収集は事前申込制とし、処理券を購入して貼付する。"),
    (
        "情報公開条例.txt",
        "情報公開条例",
        "実施機関は、開示請求があった日から15日以内に、開示するかどうかの決定をしなければならない。",
    ),
]

FEE = "住民票の写しの交付手数料について、正しいものはどれか。"
FEE_WRONG = "住民票の写しの交付手数料について、誤っているものはどれか。"
FEE_OPTIONS = {
    "a": "交付手数料は1通につき500円であり、窓口は税務課である。",
    "b": "交付手数料は1通につき300円であり、窓口は市民課である。",
    "c": "交付手数料は無料であり、窓口は総務課である。",
    "d": "交付手数料は1通につき300円であり、窓口は総務課である。",
}


@pytest.fixture
def store():
    chunks = [
        Chunk(make_chunk_id(source, 0, text), text, f"{title}\n{text}", source, title, page=i + 1)
        for i, (source, title, text) in enumerate(DOCS)
    ]
    return build_in_memory(chunks, BigramEmbedder())


@pytest.fixture
def runner(tmp_path, fake_bedrock, store):
    settings = Settings(
        home=tmp_path,
        bedrock_endpoint_url=fake_bedrock.url,
        backend_backoff_seconds=0.001,
        backend_backoff_max_seconds=0.002,
        backend_timeout_seconds=10,
    )
    return Runner(settings, Router(settings, JsonlAuditSink(tmp_path / "audit.jsonl")), lambda: store)


def test_registered():
    assert get_task("choice") is CHOICE


def test_offline_picks_the_supported_option_and_quotes_it(runner, fake_bedrock):
    result = runner.run(CHOICE, ChoiceInput(question=FEE, options=FEE_OPTIONS, k=3))
    assert (result.choice, result.mode, result.backend) == ("b", "extractive", "offline/extractive")
    assert set(result.scores) == set("abcd") and result.scores["b"] == max(result.scores.values())
    assert result.scores["b"] > result.scores["d"] > result.scores["c"]
    (cite,) = result.citations
    assert cite.title == "手数料条例" and "300円" in cite.quote
    assert f"[{cite.n}]" in result.reason
    assert fake_bedrock.requests == []


def test_offline_text_names_the_choice_and_quotes_with_a_marker(store, runner):
    context = TaskContext(runner.settings, Principal(), lambda: store)
    sources = CHOICE.gather(ChoiceInput(question=FEE, options=FEE_OPTIONS), context)
    reply = CHOICE.offline(ChoiceInput(question=FEE, options=FEE_OPTIONS), sources)
    assert reply.text.startswith("選択肢 b：")
    assert "・住民票の写しの交付手数料は、1通につき300円とする。[" in reply.text
    assert reply.data.choice == "b"


def test_offline_takes_the_least_supported_option_when_the_wrong_one_is_asked(runner):
    assert asks_for_wrong(FEE_WRONG) and not asks_for_wrong(FEE)
    result = runner.run(CHOICE, ChoiceInput(question=FEE_WRONG, options=FEE_OPTIONS))
    assert result.choice == "c" and result.scores["c"] == min(result.scores.values())
    assert "誤っているもの" in result.reason


def test_offline_tie_still_chooses_and_says_the_evidence_is_weak(runner):
    options = {"a": "量子ビットの原理", "b": "量子コンピュータの冷却"}
    result = runner.run(CHOICE, ChoiceInput(question="正しいものはどれか。", options=options))
    assert result.choice == "a" and "確度は低い" in result.reason


def test_scope_exclusion_leaves_the_answer_without_sources(runner):
    result = runner.run(
        CHOICE,
        ChoiceInput(question=FEE, options=FEE_OPTIONS, k=5),
        scope={"exclude_sources": [source for source, _, _ in DOCS]},
    )
    assert result.choice is None and result.reason == NO_SOURCES and result.citations == []


def test_llm_path_returns_the_structured_choice_with_citations(runner, fake_bedrock):
    fake_bedrock.script_structured(
        [{"choice": "b", "reason": "資料に1通300円、市民課とあります[1]。", "sources": [1, 9]}]
    )
    result = runner.run(CHOICE, ChoiceInput(question=FEE, options=FEE_OPTIONS, k=2), backend=HAIKU)
    assert (result.choice, result.mode, result.backend) == ("b", "llm", HAIKU)
    assert result.reason == "資料に1通300円、市民課とあります[1]。"
    assert [(c.n, c.title) for c in result.citations] == [(1, "手数料条例")]  # 9 points to no source
    assert result.scores == {}
    (request,) = fake_bedrock.requests
    body = request["body"]
    system = "".join(block["text"] for block in body["system"])
    user = "".join(block.get("text", "") for block in body["messages"][0]["content"])
    assert system == load_prompt("choice_system").render()
    assert "<question>\n" + FEE + "\n</question>" in user
    assert "b: 交付手数料は1通につき300円であり、窓口は市民課である。" in user
    assert '<source id="1" title="手数料条例" location="p.1">' in user
    assert "choice" in json.dumps(body.get("toolConfig", {}), ensure_ascii=False)


def test_an_invalid_letter_is_re_asked_once(runner, fake_bedrock):
    fake_bedrock.script_structured(
        [
            {"choice": "e", "reason": "x", "sources": [1]},
            {"choice": "d", "reason": "資料によります[1]。", "sources": [1]},
        ]
    )
    result = runner.run(CHOICE, ChoiceInput(question=FEE, options=FEE_OPTIONS), backend=HAIKU)
    assert result.choice == "d" and len(fake_bedrock.requests) == 2
    assert "形式に適合しません" in json.dumps(fake_bedrock.requests[1]["body"], ensure_ascii=False)


def test_an_invalid_letter_twice_is_a_clear_error(runner, fake_bedrock):
    fake_bedrock.script_structured([{"choice": "e", "reason": "x", "sources": []}] * 2)
    with pytest.raises(InvalidModelOutput):
        runner.run(CHOICE, ChoiceInput(question=FEE, options=FEE_OPTIONS), backend=HAIKU)


def test_input_checks_the_option_letters():
    assert list(ChoiceInput(question="問", options={"B": "x", " a": "y"}).options) == ["a", "b"]
    for options in ({"a": "x"}, {"a": "x", "e": "y"}, {"a": "x", "b": " "}):
        with pytest.raises(ValidationError):
            ChoiceInput(question="問", options=options)
