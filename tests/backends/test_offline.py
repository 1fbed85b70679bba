"""The offline extractive backend needs no model server: it runs the task's own extractive path."""

from __future__ import annotations

import pytest

from assistant.audit import JsonlAuditSink
from assistant.backends.base import Reply
from assistant.config import Settings
from assistant.router import ModelRequest, Router
from assistant.tasks.ask import ASK, AskInput
from assistant.tasks.base import Sources
from assistant.tasks.runner import Runner
from core.errors import UnknownBackendError
from core.model import Chunk


@pytest.fixture
def settings(tmp_path):
    return Settings(home=tmp_path, bedrock_endpoint_url="http://127.0.0.1:9", openai_base_url=None)


def test_offline_backend_answers_without_any_server(settings, tmp_path):
    text = "住民票の写しは市民課の窓口で交付します。手数料は1通300円です。"
    chunks = [Chunk("c1", text, text, "guide.pdf", "窓口案内", classification=3)]
    runner = Runner(settings, Router(settings, JsonlAuditSink(tmp_path / "audit.jsonl")))
    result = runner.run(ASK, AskInput(question="住民票の手数料はいくらですか"), sources=Sources(chunks))
    assert result.backend == "offline/extractive"
    assert result.mode == "extractive" and result.notice and "抽出モード" in result.notice
    assert "300円" in result.answer and "[1]" in result.answer
    assert result.citations[0].chunk_id == "c1"
    assert result.usage.input_tokens == 0 and result.usage.cost == 0.0


def test_a_task_without_an_offline_path_is_refused_by_the_offline_backend(settings, tmp_path):
    router = Router(settings, JsonlAuditSink(tmp_path / "audit.jsonl"))
    with pytest.raises(UnknownBackendError, match="抽出モード"):
        router.call(ModelRequest("judge", "", "p", backend="offline/extractive"))


def test_offline_reply_data_is_returned_as_is(settings, tmp_path):
    router = Router(settings, JsonlAuditSink(tmp_path / "audit.jsonl"))
    result = router.call(ModelRequest("ask", "", "p", offline=lambda: Reply("本文", data={"x": 1})))
    assert result.text == "本文" and result.data == {"x": 1} and result.decision.mode == "extractive"
