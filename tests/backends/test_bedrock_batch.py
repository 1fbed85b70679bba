"""Bedrock batch inference end to end: boto3 against moto's S3 (server mode) and the fake Bedrock control plane."""

from __future__ import annotations

import json
import uuid
from typing import ClassVar

import boto3
import pytest
from pydantic import BaseModel, ConfigDict, Field

from assistant.audit import JsonlAuditSink
from assistant.backends.base import Reply
from assistant.backends.bedrock_batch import (
    ANTHROPIC_VERSION,
    BatchInferenceError,
    BedrockBatchClient,
    record_id_for,
)
from assistant.config import Settings
from assistant.jobs.bedrock_batch_mode import BatchModeItem, batch_mode_applies, run_batch_mode
from assistant.router import Router
from assistant.tasks.base import Principal, Sources, Task, TaskContext, TaskOutput
from core.errors import Cancelled
from core.model import Chunk
from tests.fakes.bedrock_server import FakeBedrock
from tests.fakes.s3_server import moto_s3_server
from tests.support.audit import events

ROLE = "arn:aws:iam::123456789012:role/YakubaBedrockBatch"
HAIKU = "bedrock/claude-haiku-4-5"
NOVA = "bedrock/nova-lite"


# --- a small task with structured output (the reply task's shape, without retrieval) ----------------
class NoteInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    level: int = 1


class NoteSummary(BaseModel):
    """The summary of one note."""

    model_config = ConfigDict(extra="forbid")
    summary: str = Field(description="One sentence.")
    in_sources: bool = Field(description="true when the note supports the summary.")


class NoteOutput(TaskOutput):
    summary: str
    in_sources: bool = False


class NoteTask(Task[NoteInput, NoteOutput]):
    name = "note"
    version = 1
    input_model: ClassVar[type[BaseModel]] = NoteInput
    output_model: ClassVar[type[TaskOutput]] = NoteOutput
    schema: ClassVar[type[BaseModel] | None] = NoteSummary

    def gather(self, inp: NoteInput, ctx: TaskContext) -> Sources:
        if not inp.text:
            return Sources([])
        return Sources(
            [Chunk(f"c-{inp.text[:8]}", inp.text, inp.text, "notes.txt", "メモ", classification=inp.level)]
        )

    def without_model(self, inp: NoteInput, sources: Sources) -> NoteOutput | None:
        return None if sources.chunks else NoteOutput(summary="資料がありません。")

    def prompts(self, inp: NoteInput, sources: Sources) -> tuple[str, str]:
        return "あなたは市役所の職員です。", f"資料:\n[1] {inp.text}\n要約してください。"

    def offline(self, inp: NoteInput, sources: Sources) -> Reply:
        return Reply(inp.text, NoteOutput(summary=inp.text))

    def from_model(self, inp: NoteInput, sources: Sources, result) -> NoteOutput:
        if self.schema is None:
            return NoteOutput(summary=result.text)
        return NoteOutput(summary=result.data.summary, in_sources=result.data.in_sources)


class TextNoteTask(NoteTask):
    name = "note_text"
    schema: ClassVar[type[BaseModel] | None] = None


NOTE, TEXT_NOTE = NoteTask(), TextNoteTask()


# --- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def s3_url():
    with moto_s3_server() as url:
        yield url


@pytest.fixture
def bucket(s3_url, aws_dummy_credentials):
    name = f"yakuba-batch-{uuid.uuid4().hex[:8]}"
    s3(s3_url).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    return name


@pytest.fixture
def fake(s3_url, aws_dummy_credentials):
    with FakeBedrock(s3_endpoint_url=s3_url) as server:
        server.batch.delay_seconds = 0.15
        yield server


@pytest.fixture
def settings(tmp_path, fake, s3_url, bucket):
    return Settings(
        home=tmp_path,
        bedrock_endpoint_url=fake.url,
        s3_endpoint_url=s3_url,
        bedrock_batch_bucket=f"s3://{bucket}/yakuba",
        bedrock_batch_role_arn=ROLE,
        audit_path=tmp_path / "audit.jsonl",
        batch_concurrency=8,
    )


@pytest.fixture
def router(settings):
    return Router(settings, JsonlAuditSink(settings.audit_path))


def s3(url):
    return boto3.client("s3", endpoint_url=url, region_name="ap-northeast-1")


def client_for(settings):
    return BedrockBatchClient(settings, poll_seconds=0.05, max_poll_seconds=0.2)


def notes(n, text="窓口は市民課です。受付は平日の午前9時から午後5時までとする。", **kw):
    return [BatchModeItem(f"item-{i}", NoteInput(text=f"案内{i:03d}号：{text}", **kw)) for i in range(n)]


def run(settings, router, items, task=NOTE, backend=HAIKU, job_id="job-1", **kw):
    return run_batch_mode(
        task, items, settings=settings, router=router, backend=backend, job_id=job_id,
        client=kw.pop("client", None) or client_for(settings), **kw,
    )  # fmt: skip


def input_lines(settings, report):
    bucket, prefix = settings.bedrock_batch_bucket.removeprefix("s3://").split("/", 1)
    key = f"{prefix}/{report.job_name}/input/records.jsonl"
    body = s3(settings.s3_endpoint_url).get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    return [json.loads(line) for line in body.splitlines()]


def operations(fake):
    return [r["operation"] for r in fake.requests]


# --- tests ------------------------------------------------------------------------------------------
def test_structured_job_maps_every_output_to_its_item(settings, router, fake):
    items = notes(120)
    report = run(settings, router, items)
    assert report.job_status == "Completed" and report.submitted == 120
    assert report.count("done") == 120
    for i, item in enumerate(items):
        output = report.outcomes[item.key].output
        # the fake quotes the record's own source, so each output sits with its item: mapped by recordId
        assert f"案内{i:03d}号" in output.summary
        assert output.backend == HAIKU and output.mode == "llm" and output.usage.output_tokens > 0
    (line, *_) = input_lines(settings, report)
    body = line["modelInput"]
    assert line["recordId"] == record_id_for("item-0")
    assert body["anthropic_version"] == ANTHROPIC_VERSION and body["system"] == "あなたは市役所の職員です。"
    assert body["tools"][0]["name"] == "NoteSummary" and "type" not in body["tools"][0]
    assert body["tools"][0]["input_schema"]["required"] == ["summary", "in_sources"]
    assert body["tool_choice"] == {"type": "tool", "name": "NoteSummary"}
    create = next(r for r in fake.requests if r["operation"] == "CreateModelInvocationJob")["body"]
    assert create["roleArn"] == ROLE and create["modelId"] == settings.bedrock_models["claude-haiku-4-5"]


def test_text_job_on_nova_and_its_audit(settings, router, fake):
    report = run(settings, router, notes(100), task=TEXT_NOTE, backend=NOVA)
    assert report.count("done") == 100
    output = report.outcomes["item-7"].output
    assert "案内007号" in output.summary and output.backend == NOVA
    body = input_lines(settings, report)[0]["modelInput"]
    assert body["messages"][0]["content"][0]["text"].startswith("資料:") and "toolConfig" not in body
    audit = events(settings.audit_path)
    assert len(audit) == 100 and {e["outcome"] for e in audit} == {"ok"}
    event = audit[0]
    assert event["backend"] == NOVA and event["task"] == "note_text" and event["data_location"] == "apac"
    assert "一括推論" in event["reason"] and event["chunk_ids"] and event["usage"]["input_tokens"] > 0
    full = (event["usage"]["input_tokens"] * 0.06 + event["usage"]["output_tokens"] * 0.24) / 1e6
    assert event["cost"] == pytest.approx(full / 2)  # batch inference is billed at half price


def test_personal_data_is_masked_in_the_jsonl_and_restored_in_the_output(settings, router):
    items = notes(100, text="問い合わせは 03-1234-5678 または madoguchi@city.example.jp へ。")
    report = run(settings, router, items)
    raw = json.dumps(input_lines(settings, report), ensure_ascii=False)
    assert "03-1234-5678" not in raw and "madoguchi@city.example.jp" not in raw
    assert "［電話番号1］" in raw and "［メール1］" in raw
    output = report.outcomes["item-3"].output
    assert "03-1234-5678" in output.summary and "［" not in output.summary
    assert events(settings.audit_path)[3]["masked"] == {"email": 1, "phone": 1}


def test_items_above_the_backends_classification_are_refused_and_never_sent(settings, router):
    items = notes(100) + [
        BatchModeItem(f"secret-{i}", NoteInput(text=f"秘{i}。人事案です。", level=3)) for i in range(4)
    ]
    report = run(settings, router, items)
    assert report.count("done") == 100 and report.count("refused") == 4
    refused = report.outcomes["secret-0"]
    assert "機密性3" in refused.error and HAIKU in refused.error and refused.output is None
    sent = {line["recordId"] for line in input_lines(settings, report)}
    assert record_id_for("secret-0") not in sent and len(sent) == 100
    audit = events(settings.audit_path)
    assert [e["outcome"] for e in audit].count("refused") == 4 and len(audit) == 104


def test_level_2_may_go_to_a_japan_profile_but_not_to_apac(settings, router):
    report = run(settings, router, notes(100, level=2), backend=NOVA)
    assert report.count("refused") == 100 and report.job_arn is None
    assert "機密性2" in report.outcomes["item-0"].error


def test_a_backend_outside_the_callers_groups_is_refused(settings, router):
    settings = settings.model_copy(update={"backend_groups": {"bedrock/*": ["企画課"]}})
    items = [BatchModeItem(i.key, i.input, Principal(name="sato", groups=["市民課"])) for i in notes(100)]
    report = run(settings, Router(settings, JsonlAuditSink(settings.audit_path)), items)
    assert report.count("refused") == 100 and "権限" in report.outcomes["item-0"].error


def test_per_record_errors_are_isolated(settings, router, fake):
    fake.batch.fail_record(record_id_for("item-1"), 400, "Malformed input request: bad")
    fake.batch.fail_record(record_id_for("item-2"), 429, "Too many tokens")
    fake.script_structured([{"wrong": "shape"}])  # the first record answers outside the schema
    report = run(settings, router, notes(100))
    assert report.count("done") == 97 and report.count("failed") == 3
    malformed, throttled, invalid = (report.outcomes[f"item-{i}"] for i in (1, 2, 0))
    assert "Malformed input request" in malformed.error and not malformed.retryable
    assert "Too many tokens" in throttled.error and throttled.retryable
    assert "形式に適合しません" in invalid.error and invalid.retryable
    outcomes = [e["outcome"] for e in events(settings.audit_path)]
    assert outcomes.count("error") == 2 and outcomes.count("invalid_output") == 1


def test_a_failed_job_fails_its_items_with_the_reason(settings, router, fake):
    fake.batch.fail_next_job("Internal error while processing the job.")
    report = run(settings, router, notes(100))
    assert report.job_status == "Failed" and report.count("failed") == 100
    outcome = report.outcomes["item-0"]
    assert "完了しませんでした" in outcome.error and "Internal error" in outcome.error and outcome.retryable
    assert {e["outcome"] for e in events(settings.audit_path)} == {"unavailable"}


def test_small_jobs_do_not_use_batch_inference(settings, router, fake):
    assert not batch_mode_applies(settings, HAIKU, 99)
    assert batch_mode_applies(settings, HAIKU, 100)
    assert not batch_mode_applies(settings, "offline/extractive", 1000)
    assert not batch_mode_applies(settings.model_copy(update={"bedrock_batch_role_arn": None}), HAIKU, 1000)
    assert (
        batch_mode_applies(settings.model_copy(update={"bedrock_batch_min_items": 500}), HAIKU, 499) is False
    )
    report = run(settings, router, notes(99))
    assert report.count("deferred") == 99 and report.job_arn is None and fake.requests == []
    with pytest.raises(BatchInferenceError, match="100 件以上"):
        client_for(settings).submit("tiny", "jp.anthropic.claude-haiku-4-5-20251001-v1:0", [])


def test_the_fake_fails_a_job_below_the_minimum_record_count(settings, fake, bucket):
    store = s3(settings.s3_endpoint_url)
    store.put_object(Bucket=bucket, Key="in/few.jsonl", Body=b'{"recordId": "R1", "modelInput": {}}\n')
    control = boto3.client("bedrock", endpoint_url=fake.url, region_name="ap-northeast-1")
    arn = control.create_model_invocation_job(
        jobName="few", roleArn=ROLE, modelId="jp.anthropic.claude-haiku-4-5-20251001-v1:0",
        inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{bucket}/in/few.jsonl"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/out/"}},
    )["jobArn"]  # fmt: skip
    fake.batch.wait_idle()
    job = control.get_model_invocation_job(jobIdentifier=arn)
    assert job["status"] == "Failed" and "minimum number of records" in job["message"]
    listed = control.list_model_invocation_jobs(nameContains="fe")["invocationJobSummaries"]
    assert [j["jobArn"] for j in listed] == [arn]
    with pytest.raises(control.exceptions.ValidationException):
        control.stop_model_invocation_job(jobIdentifier=arn)


def test_a_resumed_run_follows_the_job_already_submitted(settings, router, fake):
    items = notes(100)
    first = run(settings, router, items)
    second = run(settings, router, items)
    assert second.job_arn == first.job_arn and second.count("done") == 100
    assert operations(fake).count("CreateModelInvocationJob") == 1


def test_cancelling_stops_the_bedrock_job(settings, router, fake):
    fake.batch.delay_seconds = 5.0
    submitted = []

    def check():
        raise Cancelled("処理は取り消されました。")

    with pytest.raises(Cancelled):
        run(settings, router, notes(100), check=check, on_submitted=lambda arn, name: submitted.append(arn))
    assert "StopModelInvocationJob" in operations(fake)
    status = boto3.client(
        "bedrock", endpoint_url=fake.url, region_name="ap-northeast-1"
    ).get_model_invocation_job(jobIdentifier=submitted[0])["status"]
    assert status in ("Stopping", "Stopped")


def test_items_needing_no_model_are_answered_without_one(settings, router):
    items = notes(100) + [BatchModeItem("empty", NoteInput(text=""))]
    report = run(settings, router, items)
    assert (
        report.outcomes["empty"].status == "done"
        and report.outcomes["empty"].output.summary == "資料がありません。"
    )
    assert report.submitted == 100
