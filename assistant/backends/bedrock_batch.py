"""Amazon Bedrock batch inference: request bodies, the JSONL round trip through S3, and the job's control plane.

A batch job is one `CreateModelInvocationJob` over a JSONL file in S3: one line per request,
`{"recordId": …, "modelInput": <the model's InvokeModel body>}`. Bedrock writes
`<output s3Uri>/<job id>/<input file name>.out`, one line per record with `modelOutput` (the InvokeModel
response body) or an `error` object, in no guaranteed order, so outputs are matched by recordId.

Facts taken from the Bedrock documentation (2025-2026):
- `modelInvocationType` "Converse" jobs reject records with `toolConfig`; tool use (our structured output) needs
  the default "InvokeModel" type with each model's native body. Anthropic Claude: the Messages API body with
  `anthropic_version` "bedrock-2023-05-31", `tools` (name, description, input_schema) and
  `tool_choice` {"type": "tool"} forcing it — the same forced tool that LangChain's
  `with_structured_output(method="function_calling")` sends through Converse online. Amazon Nova: its native
  body (`system`, `messages`, `inferenceConfig`, `toolConfig`), shaped like Converse.
- A job needs at least "Minimum number of records per batch inference job" records (service quota, 100 by
  default); a smaller job fails in validation. Smaller sets are refused here before anything is written.
- Batch inference is billed at half the on-demand price of the model (Amazon Bedrock pricing).

boto3 is imported only when a client is built.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.backends.base import InvalidOutput, Reply, TokenUsage
from core.errors import YakubaError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from assistant.config import Settings

log = logging.getLogger(__name__)

ANTHROPIC_VERSION = "bedrock-2023-05-31"
BEDROCK_MIN_RECORDS = 100  # default service quota "Minimum number of records per batch inference job"
BATCH_PRICE_FACTOR = 0.5  # batch inference costs half the on-demand token price
TERMINAL = frozenset({"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"})
WITHOUT_OUTPUT = frozenset({"Failed", "Expired"})  # terminal states that leave no record outputs
_INPUT_FILE = "records.jsonl"


class BatchInferenceError(YakubaError):
    """Batch inference cannot be used or did not finish (configuration, job size, failed job)."""


# --- request bodies ------------------------------------------------------------------------------
def model_family(model_id: str, provider: str | None = None) -> str:
    """'anthropic' or 'nova' from the model ID / inference profile (or the configured provider of an ARN)."""
    if provider == "anthropic" or "anthropic." in model_id:
        return "anthropic"
    if (provider == "amazon" and "nova" in model_id) or "amazon.nova" in model_id:
        return "nova"
    raise BatchInferenceError(
        f"モデル「{model_id}」は一括推論（Bedrock バッチ推論）に対応していません。"
        "Anthropic Claude または Amazon Nova のモデルを選択してください。"
    )


def tool_for(schema: type[BaseModel]) -> dict[str, Any]:
    """The schema as LangChain offers it for function calling: {name, description, parameters}."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return convert_to_openai_tool(schema)["function"]


def model_input(
    family: str,
    system: str,
    prompt: str,
    schema: type[BaseModel] | None,
    max_tokens: int,
    temperature: float,
) -> dict[str, Any]:
    """The InvokeModel body of one request: text, or one forced tool whose input schema is `schema`."""
    tool = tool_for(schema) if schema is not None else None
    if family == "anthropic":
        body: dict[str, Any] = {
            "anthropic_version": ANTHROPIC_VERSION,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
        }
        if system.strip():
            body["system"] = system
        if tool is not None:
            body["tools"] = [
                {"name": tool["name"], "description": tool["description"], "input_schema": tool["parameters"]}
            ]
            body["tool_choice"] = {"type": "tool", "name": tool["name"]}
        return body
    body = {
        "schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": {"maxTokens": max_tokens, "temperature": temperature},
    }
    if system.strip():
        body["system"] = [{"text": system}]
    if tool is not None:
        spec = {
            "name": tool["name"],
            "description": tool["description"],
            "inputSchema": {"json": tool["parameters"]},
        }
        body["toolConfig"] = {"tools": [{"toolSpec": spec}], "toolChoice": {"tool": {"name": tool["name"]}}}
    return body


# --- outputs -------------------------------------------------------------------------------------
@dataclass
class RecordOutput:
    """One record's outcome: a reply (validated object when a schema was asked), or an error."""

    record_id: str
    reply: Reply | None = None
    usage: TokenUsage = field(default_factory=TokenUsage)
    error: str | None = None  # Bedrock's error code and message, or why the output is invalid
    error_code: int | None = None
    invalid: bool = False  # the model answered, but not in the requested form

    @property
    def transient(self) -> bool:
        """Worth another try (throttling, server errors, an answer not in the requested form)."""
        return self.invalid or self.error_code in (None, 408, 424, 429) or (self.error_code or 0) >= 500


def parse_record(family: str, schema: type[BaseModel] | None, line: dict[str, Any]) -> RecordOutput:
    """A line of a `.jsonl.out` file as the online path would have returned it (`Reply` + usage)."""
    out = RecordOutput(str(line.get("recordId", "")))
    error = line.get("error")
    if error is not None or "modelOutput" not in line:
        error = error if isinstance(error, dict) else {}
        out.error_code = _int(error.get("errorCode"))
        out.error = f"{error.get('errorCode', '')}: {error.get('errorMessage') or 'no output'}".strip(": ")
        return out
    body = line["modelOutput"] or {}
    if family == "anthropic":
        blocks = body.get("content") or []
        texts = [b.get("text", "") for b in blocks if b.get("type") == "text"]
        tool_inputs = [b.get("input") for b in blocks if b.get("type") == "tool_use"]
        usage = body.get("usage") or {}
        out.usage.add(
            {"input_tokens": usage.get("input_tokens"), "output_tokens": usage.get("output_tokens")}
        )
        stop = body.get("stop_reason")
    else:
        blocks = ((body.get("output") or {}).get("message") or {}).get("content") or []
        texts = [b["text"] for b in blocks if isinstance(b.get("text"), str)]
        tool_inputs = [b["toolUse"].get("input") for b in blocks if isinstance(b.get("toolUse"), dict)]
        usage = body.get("usage") or {}
        out.usage.add({"input_tokens": usage.get("inputTokens"), "output_tokens": usage.get("outputTokens")})
        stop = body.get("stopReason")
    if schema is None:
        out.reply = Reply(text="".join(texts))
        return out
    if not tool_inputs:
        out.invalid = True
        out.error = f"the model did not call the {schema.__name__} tool (stop reason {stop!r})"
        if stop == "max_tokens":
            out.error += "; the output was cut off at the token limit (llm_max_tokens)"
        return out
    try:
        data = schema.model_validate(tool_inputs[0])
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        out.invalid = True
        out.error = f"structured output that does not match {schema.__name__}: {exc}"
        return out
    out.reply = Reply(text=data.model_dump_json(), data=data)
    return out


def check_reply(record: RecordOutput) -> Reply:
    """The record's reply, or the error the online path would raise (InvalidOutput / BatchInferenceError)."""
    if record.reply is not None:
        return record.reply
    if record.invalid:
        raise InvalidOutput(record.error or "invalid output")
    raise BatchInferenceError(f"Bedrock の一括推論でこの項目の処理に失敗しました（{record.error}）。")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def record_id_for(key: str) -> str:
    """A stable alphanumeric recordId (11 characters) for a job item's key."""
    return "R" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10].upper()


# --- S3 and the control plane --------------------------------------------------------------------
@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending with "/"

    @classmethod
    def parse(cls, value: str) -> S3Location:
        """`bucket`, `bucket/prefix` or `s3://bucket/prefix`."""
        bucket, _, prefix = value.removeprefix("s3://").partition("/")
        prefix = prefix.strip("/")
        return cls(bucket, f"{prefix}/" if prefix else "")

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


def min_records(settings: Settings) -> int:
    """Fewest items a job must have to run as batch inference (never below Bedrock's own minimum)."""
    return max(settings.bedrock_batch_min_items, BEDROCK_MIN_RECORDS)


def configuration_problem(settings: Settings) -> str | None:
    """Japanese reason why batch inference cannot be used as configured, or None."""
    if not settings.bedrock_batch_bucket or not settings.bedrock_batch_role_arn:
        return (
            "Bedrock の一括推論を使うには、管理者が YAKUBA_BEDROCK_BATCH_BUCKET（S3 の保存先）と "
            "YAKUBA_BEDROCK_BATCH_ROLE_ARN（Bedrock が S3 を読み書きする IAM ロール）を設定する必要があります。"
        )
    return None


class BedrockBatchClient:
    """Writes a job's records to S3, runs the job on Bedrock, and reads its outputs back."""

    def __init__(
        self,
        settings: Settings,
        *,
        poll_seconds: float = 10.0,
        max_poll_seconds: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        problem = configuration_problem(settings)
        if problem:
            raise BatchInferenceError(problem)
        self.settings = settings
        self.location = S3Location.parse(settings.bedrock_batch_bucket or "")
        self.poll_seconds = poll_seconds
        self.max_poll_seconds = max_poll_seconds
        self._sleep = sleep
        import boto3
        from botocore.config import Config

        config = Config(region_name=settings.aws_region, retries={"max_attempts": 5, "mode": "standard"})
        self.s3 = boto3.client("s3", region_name=settings.aws_region, endpoint_url=settings.s3_endpoint_url)
        self.control = boto3.client(
            "bedrock",
            region_name=settings.aws_region,
            endpoint_url=settings.bedrock_endpoint_url,
            config=config,
        )

    # --- submit ------------------------------------------------------------------------------------
    def input_uri(self, job_name: str) -> str:
        return self.location.uri(f"{self.location.prefix}{job_name}/input/{_INPUT_FILE}")

    def output_uri(self, job_name: str) -> str:
        return self.location.uri(f"{self.location.prefix}{job_name}/output/")

    def submit(self, job_name: str, model_id: str, records: list[dict[str, Any]]) -> str:
        """Write `records` ({recordId, modelInput}) as JSONL to S3 and create the job; returns its ARN."""
        if len(records) < min_records(self.settings):
            raise BatchInferenceError(
                f"Bedrock の一括推論は {min_records(self.settings)} 件以上の場合にのみ使用します"
                f"（今回は {len(records)} 件）。通常の処理で実行してください。"
            )
        ids = [r["recordId"] for r in records]
        if len(set(ids)) != len(ids):
            raise BatchInferenceError("一括推論の recordId が重複しています。通常の処理で実行してください。")
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
        key = self.input_uri(job_name).removeprefix(f"s3://{self.location.bucket}/")
        self.s3.put_object(Bucket=self.location.bucket, Key=key, Body=body, ContentType="application/jsonl")
        response = self.control.create_model_invocation_job(
            jobName=job_name,
            roleArn=self.settings.bedrock_batch_role_arn,
            clientRequestToken=hashlib.sha256(job_name.encode()).hexdigest()[:64],
            modelId=model_id,
            inputDataConfig={
                "s3InputDataConfig": {"s3Uri": self.input_uri(job_name), "s3InputFormat": "JSONL"}
            },
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": self.output_uri(job_name)}},
        )
        log.info(
            "submitted Bedrock batch job %s (%d records): %s", job_name, len(records), response["jobArn"]
        )
        return response["jobArn"]

    # --- watch -------------------------------------------------------------------------------------
    def find(self, name_prefix: str) -> list[dict[str, Any]]:
        """Jobs whose name starts with `name_prefix`, newest first (to resume instead of submitting twice)."""
        found: list[dict[str, Any]] = []
        paginator = self.control.get_paginator("list_model_invocation_jobs")
        for page in paginator.paginate(nameContains=name_prefix, sortOrder="Descending"):
            found += [
                j for j in page.get("invocationJobSummaries") or [] if j["jobName"].startswith(name_prefix)
            ]
        return found

    def status(self, job_arn: str) -> dict[str, Any]:
        return self.control.get_model_invocation_job(jobIdentifier=job_arn)

    def wait(
        self,
        job_arn: str,
        check: Callable[[], None] | None = None,
        on_status: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Poll until the job ends, waiting longer each time (×1.5 up to `max_poll_seconds`). `check` may raise
        (cancellation) between polls; the caller then stops the job."""
        delay = self.poll_seconds
        while True:
            job = self.status(job_arn)
            if on_status is not None:
                on_status(job)
            if job["status"] in TERMINAL:
                return job
            if check is not None:
                check()
            self._sleep(delay)
            delay = min(self.max_poll_seconds, delay * 1.5)

    def stop(self, job_arn: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.control.stop_model_invocation_job(jobIdentifier=job_arn)
        except ClientError as exc:  # already ended: nothing to stop
            log.info("stopping %s: %s", job_arn, exc)

    # --- outputs -----------------------------------------------------------------------------------
    def outputs(self, job: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """recordId → output line, from every `.jsonl.out` file of the job (none for a failed job)."""
        uri = job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        job_id = job["jobArn"].rsplit("/", 1)[-1]
        folder = f"{prefix.rstrip('/')}/{job_id}/".lstrip("/")
        lines: dict[str, dict[str, Any]] = {}
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=folder):
            for obj in page.get("Contents") or []:
                if not obj["Key"].endswith(".jsonl.out"):
                    continue  # manifest.json.out holds only counts
                text = self.s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8")
                for raw in text.splitlines():
                    if raw.strip():
                        line = json.loads(raw)
                        lines[str(line.get("recordId"))] = line
        return lines
