"""The JSON-lines audit sink."""

from __future__ import annotations

import json
import threading

from assistant.audit import JsonlAuditSink, default_audit_sink
from assistant.config import Settings


def test_appends_one_json_line_per_event_with_time(tmp_path):
    sink = JsonlAuditSink(tmp_path / "logs" / "audit.jsonl")
    sink.record({"task": "ask", "reason": "利用者の選択"})
    sink.record({"task": "reply", "masked": {"phone": 2}})
    lines = (tmp_path / "logs" / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["task"] == "ask" and "time" in first
    assert second["masked"] == {"phone": 2}
    assert "利用者の選択" in lines[0]  # Japanese kept readable


def test_concurrent_records_stay_whole_lines(tmp_path):
    sink = JsonlAuditSink(tmp_path / "audit.jsonl")
    threads = [
        threading.Thread(target=lambda i=i: sink.record({"n": i, "pad": "x" * 5000})) for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert sorted(e["n"] for e in events) == list(range(20))


def test_default_path_and_override(tmp_path):
    assert default_audit_sink(Settings(home=tmp_path)).path == tmp_path / "audit.jsonl"
    custom = tmp_path / "elsewhere.jsonl"
    assert default_audit_sink(Settings(home=tmp_path, audit_path=custom)).path == custom
