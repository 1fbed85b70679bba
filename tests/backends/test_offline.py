"""The offline extractive backend needs no model server."""

from __future__ import annotations

from assistant.audit import JsonlAuditSink
from assistant.config import Settings
from assistant.router import ModelRequest, Router
from core.model import Chunk


def test_offline_backend_answers_without_any_server(tmp_path):
    settings = Settings(home=tmp_path, bedrock_endpoint_url="http://127.0.0.1:9", openai_base_url=None)
    text = "住民票の写しは市民課の窓口で交付します。手数料は1通300円です。"
    chunks = [Chunk("c1", text, text, "guide.pdf", "窓口案内", classification=3)]
    router = Router(settings, JsonlAuditSink(tmp_path / "audit.jsonl"))
    result = router.invoke(ModelRequest("ask", "住民票の手数料はいくらですか", "", "", chunks))
    assert result.decision.address == "offline/extractive"
    assert result.decision.mode == "extractive" and result.decision.data_location == "organisation"
    assert "300円" in result.text and "[1]" in result.text
    assert result.usage == {"input_tokens": 0, "output_tokens": 0, "cost": 0.0}
    assert result.masked == {}
