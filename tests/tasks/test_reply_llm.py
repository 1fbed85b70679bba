"""The reply task's LLM path through the real runner and router against the fake Bedrock runtime: structured output
LLMReply; items the model does not support (in_sources=false, missing, or without a valid [n]) become 要確認."""

from __future__ import annotations

import json

import pytest

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.prompts import load_prompt
from assistant.router import Router
from assistant.tasks.reply import REPLY
from assistant.tasks.reply_models import ReplyInput
from assistant.tasks.runner import Runner
from tests.inquiry.corpus import reply_store

HAIKU = "bedrock/claude-haiku-4-5"
CONTENT = "(1) 会計年度任用職員の夏季休暇は付与しているか。\n(2) 病気休暇は有給としているか。\n(3) 住民票の写しの交付手数料はいくらか。\n(4) その他"


@pytest.fixture
def runner(tmp_path, fake_bedrock):
    settings = Settings(home=tmp_path, bedrock_endpoint_url=fake_bedrock.url, backend_backoff_seconds=0.001,
                        backend_backoff_max_seconds=0.002, backend_timeout_seconds=10)  # fmt: skip
    store = reply_store()
    return Runner(settings, Router(settings, JsonlAuditSink(tmp_path / "audit.jsonl")), lambda: store)


def test_structured_items_map_to_the_draft_and_unsupported_ones_need_checking(runner, fake_bedrock):
    fake_bedrock.script_structured([{"items": [
        {"number": "(1)", "in_sources": True, "answer": "7月1日から9月30日までの間で夏季休暇を付与している。[1]"},
        {"number": "（２）", "in_sources": True, "answer": "病気休暇は有給としている。", "missing": ""},
        {"number": "(3)", "in_sources": False, "answer": "", "missing": "手数料の額は資料に記載がない。"},
    ]}])  # fmt: skip
    draft = runner.run(
        REPLY, ReplyInput(subject="休暇等について", sender="つばさ町", content=CONTENT), backend=HAIKU
    )
    assert (draft.mode, draft.backend) == ("llm", HAIKU)
    first, second, third, fourth = draft.items
    assert first.status == "回答" and first.answer.endswith("[1]") and first.sources == [1]
    assert second.status == "要確認" and "出典" in second.note  # no marker: not taken
    assert third.status == "要確認" and third.note == "手数料の額は資料に記載がない。"
    assert fourth.status == "要確認" and "含まれていません" in fourth.note
    assert len(draft.open_points) == 3 and draft.addressee == "つばさ町長　様"
    assert [s.n for s in draft.sources] == [1] and draft.sources[0].kind == "past_answer"
    (request,) = fake_bedrock.requests
    body = request["body"]
    system = "".join(block["text"] for block in body["system"])
    user = "".join(block.get("text", "") for block in body["messages"][0]["content"])
    assert system == load_prompt("reply_system").render()
    assert '<item number="(1)">\n会計年度任用職員の夏季休暇は付与しているか。\n</item>' in user
    assert "件名：休暇等について" in user and '<source id="1"' in user
    assert "in_sources" in json.dumps(body.get("toolConfig", {}), ensure_ascii=False)


def test_markers_are_renumbered_in_the_order_cited(runner, fake_bedrock):
    fake_bedrock.script_structured([{"items": [
        {"number": "(1)", "in_sources": True, "answer": "病気休暇は有給としている。[2]"},
        {"number": "(2)", "in_sources": True, "answer": "夏季休暇を付与している。[1][9]"},
    ]}])  # fmt: skip
    content = "(1) 病気休暇は有給としているか。\n(2) 会計年度任用職員の夏季休暇は付与しているか。"
    draft = runner.run(REPLY, ReplyInput(content=content), backend=HAIKU)
    assert [i.answer for i in draft.items] == ["病気休暇は有給としている。[2]", "夏季休暇を付与している。[1]"]
    assert [s.n for s in draft.sources] == [1, 2]
