"""Ingest-scale Bedrock embedding against the fake Bedrock Runtime (real boto3, botocore retries, the wire).

Concurrency, throttling, a permanent error, a killed ingest resumed, the classification policy, masking and
the per-run audit row.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.audit import JsonlAuditSink
from assistant.backends.bedrock_embeddings import BedrockEmbedder
from assistant.config import Settings
from assistant.retrieval.local_store import LocalIndex
from assistant.retrieval.local_target import LocalIndexTarget
from core.errors import BackendUnavailable, PolicyRefused
from core.model import Chunk
from ingest.embedding import embed_missing
from ingest.labels import Labels
from ingest.pipeline import IngestOptions, IngestPipeline
from tests.support.audit import events
from tests.support.embedder import BigramEmbedder

TITAN = "amazon.titan-embed-text-v2:0"
POLICY = {1: ["organisation", "japan"], 2: ["organisation", "japan"], 3: ["organisation"]}
ROOT = Path(__file__).resolve().parents[2]


def settings_for(tmp_path: Path, url: str, **extra) -> Settings:
    return Settings(home=tmp_path / "home", bedrock_endpoint_url=url, **extra)


def embedder_for(tmp_path: Path, url: str, **extra) -> BedrockEmbedder:
    embedder = BedrockEmbedder(TITAN, settings_for(tmp_path, url, **extra))
    embedder.audit = JsonlAuditSink(tmp_path / "audit.jsonl")
    return embedder


def chunks(n: int) -> list[Chunk]:
    texts = [f"第{i}条 行政文書の保存期間は、文書の種類に応じて{i}年とする。" for i in range(n)]
    return [Chunk(f"c{i}", t, t, f"docs/{i % 3}.md", "規程") for i, t in enumerate(texts)]


class Target:
    def __init__(self, path: Path):
        self.index_dir, self.location = path, str(path)


def sent_texts(fake) -> list[str]:
    return [r["body"]["inputText"] for r in fake.requests if r["operation"] == "InvokeModel"]


def test_requests_in_flight_never_exceed_the_concurrency(tmp_path, fake_bedrock):
    fake_bedrock.delay_seconds = 0.03
    embedder = embedder_for(tmp_path, fake_bedrock.url, embed_concurrency=4)
    items = chunks(96)  # six batches of 16
    vectors = embed_missing(embedder, items, target=Target(tmp_path / "index"))
    assert fake_bedrock.embed_peak_in_flight == 4
    assert sorted(sent_texts(fake_bedrock)) == sorted(c.search_text for c in items)
    query_side = BedrockEmbedder(TITAN, settings_for(tmp_path, fake_bedrock.url))
    assert np.allclose(vectors[5], query_side.embed_documents([items[5].search_text])[0], atol=1e-6)


def test_throttling_is_retried_with_backoff_and_succeeds(tmp_path, fake_bedrock):
    embedder = embedder_for(
        tmp_path, fake_bedrock.url, embed_concurrency=2
    )  # standard mode: backoff + jitter
    fake_bedrock.fail_next(4, "throttle")
    vectors = embed_missing(embedder, chunks(20), target=Target(tmp_path / "index"))
    assert vectors.shape == (20, 1024) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    failures = [r["failure"] for r in fake_bedrock.requests]
    assert failures.count("throttle") == 4 and len(failures) == 24
    [row] = events(tmp_path / "audit.jsonl")
    assert (row["requests"], row["retries"], row["texts_sent"], row["outcome"]) == (24, 4, 20, "ok")


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_capacity_throttling_under_load_still_embeds_everything(tmp_path, fake_bedrock, mode):
    fake_bedrock.delay_seconds, fake_bedrock.embed_capacity = 0.02, 2
    embedder = embedder_for(tmp_path, fake_bedrock.url, embed_concurrency=4, embed_retry_mode=mode)
    vectors = embed_missing(embedder, chunks(64), target=Target(tmp_path / "index"))
    assert np.count_nonzero(np.linalg.norm(vectors, axis=1)) == 64
    assert any(r["failure"] == "capacity" for r in fake_bedrock.requests)


def test_permanent_error_fails_clearly_and_keeps_what_was_embedded(tmp_path, fake_bedrock):
    embedder = embedder_for(tmp_path, fake_bedrock.url, embed_concurrency=1)
    fake_bedrock.embed_failures = {"第40条": "validation"}
    items = chunks(48)
    with pytest.raises(BackendUnavailable) as caught:
        embed_missing(embedder, items, target=Target(tmp_path / "index"))
    message = caught.value.message
    assert "ValidationException" in message and "受け付けませんでした" in message and "残りだけ" in message
    assert sum("第40条" in t for t in sent_texts(fake_bedrock)) == 1  # not retried
    [row] = events(tmp_path / "audit.jsonl")
    assert row["outcome"] == "error" and row["texts_sent"] == 32  # two batches of 16 were kept

    fake_bedrock.embed_failures, fake_bedrock.requests[:] = {}, []
    embed_missing(embedder, items, target=Target(tmp_path / "index"))
    assert len(sent_texts(fake_bedrock)) == 16  # only the failed batch went out again


def test_personal_data_is_masked_before_it_leaves(tmp_path, fake_bedrock):
    text = "山田太郎さん（電話 090-1234-5678）から転入届の照会があった。"
    embedder = embedder_for(tmp_path, fake_bedrock.url)
    embed_missing(embedder, [Chunk("c1", text, text, "docs/照会.txt", "照会")], target=Target(tmp_path / "i"))
    [sent] = sent_texts(fake_bedrock)
    assert "090-1234-5678" not in sent and "山田太郎" not in sent and "［電話番号1］" in sent
    [row] = events(tmp_path / "audit.jsonl")
    assert row["masked"]["phone"] == 1 and row["sources"] == ["docs/照会.txt"]
    assert "090" not in json.dumps(row, ensure_ascii=False)  # the audit row holds counts, not text


# --- through the ingest pipeline -------------------------------------------------------------------
def write_docs(root: Path, n: int = 40) -> Path:
    docs = root / "docs"
    (docs / "秘").mkdir(parents=True)
    for i in range(n):
        body = "\n\n".join(
            f"第{i}章第{j}節 窓口での{['申請', '届出', '照会'][j % 3]}は{j}日以内に処理する。"
            for j in range(6)
        )
        (docs / f"規程{i:02d}.md").write_text(f"# 規程{i}\n\n{body}\n", encoding="utf-8")
    (docs / "秘" / "人事案.txt").write_text("次期人事の内示案は極秘扱いとする。\n", encoding="utf-8")
    (docs / "秘" / ".yakuba.json").write_text(json.dumps({"classification": 3}))
    return docs


def pipeline(index: Path, embedder, **options) -> IngestPipeline:
    opts = IngestOptions(labels=Labels(), classification_policy=POLICY, chunk_size=60, **options)
    return IngestPipeline(LocalIndexTarget(index), embedder, opts)


def test_ingest_never_sends_files_the_policy_keeps_inside(tmp_path, fake_bedrock):
    docs = write_docs(tmp_path, n=3)
    summary = pipeline(tmp_path / "index", embedder_for(tmp_path, fake_bedrock.url)).run([docs])
    assert [i.source for i in summary.failed] == ["docs/秘/人事案.txt"] and "機密性3" in summary.failed[
        0
    ].reason
    assert summary.chunks_embedded == summary.chunks_total > 0
    assert not any("内示" in t for t in sent_texts(fake_bedrock))


def test_rebuild_onto_bedrock_never_sends_classified_chunks_already_indexed(tmp_path, fake_bedrock):
    docs = write_docs(tmp_path, n=2)
    index = tmp_path / "index"
    pipeline(index, BigramEmbedder()).run([docs])  # built in-house: the 機密性3 file is indexed
    assert any("内示" in c.text for c in LocalIndex.open(index).chunks)
    with pytest.raises(PolicyRefused, match="機密性3"):
        pipeline(index, embedder_for(tmp_path, fake_bedrock.url), rebuild=True).run([docs])
    assert fake_bedrock.requests == []  # refused before the first request
    [row] = events(tmp_path / "audit.jsonl")
    assert row["outcome"] == "refused" and row["texts_sent"] == 0
    assert LocalIndex.open(index).embedder_name == "test-bigram"  # the previous index stays live


KILLED_INGEST = """
import sys
from pathlib import Path
from assistant.backends.bedrock_embeddings import BedrockEmbedder
from assistant.config import Settings
from assistant.retrieval.local_target import LocalIndexTarget
from ingest.labels import Labels
from ingest.pipeline import IngestOptions, IngestPipeline

home, url, index, docs = sys.argv[1:5]
embedder = BedrockEmbedder("amazon.titan-embed-text-v2:0", Settings(home=home, bedrock_endpoint_url=url,
                           embed_concurrency=4))
embedder.record_embedding_run = lambda report: None
options = IngestOptions(labels=Labels(), classification_policy={1: ["japan"], 3: ["organisation"]}, chunk_size=60)
IngestPipeline(LocalIndexTarget(index), embedder, options).run([Path(docs)])
"""


def test_killed_ingest_resumes_with_only_the_missing_texts(tmp_path, fake_bedrock):
    docs, index = write_docs(tmp_path, n=40), tmp_path / "index"
    fake_bedrock.delay_seconds = 0.02
    args = [
        sys.executable,
        "-c",
        KILLED_INGEST,
        str(tmp_path / "home"),
        fake_bedrock.url,
        str(index),
        str(docs),
    ]
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 90
    while len(sent_texts(fake_bedrock)) < 160 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL  # killed mid-embedding, before any generation was written

    fake_bedrock.requests[:] = []
    summary = pipeline(index, embedder_for(tmp_path, fake_bedrock.url)).run([docs])
    rerun = len(sent_texts(fake_bedrock))
    assert summary.files_ingested == 40 and summary.chunks_embedded == summary.chunks_total
    [row] = events(tmp_path / "audit.jsonl")
    assert row["texts_cached"] >= 96  # six or more batches finished before the kill were not sent again
    assert rerun == row["texts_sent"] == summary.chunks_embedded - row["texts_cached"]
    assert len(LocalIndex.open(index).chunks) == summary.chunks_total


def test_by_default_the_run_is_audited_in_the_records_database(tmp_path, fake_bedrock):
    from sqlalchemy import select

    from assistant.records import create_db_engine
    from assistant.records.models import AuditLog

    settings = settings_for(tmp_path, fake_bedrock.url)
    embed_missing(BedrockEmbedder(TITAN, settings), chunks(3), target=Target(tmp_path / "index"))
    with create_db_engine(settings.resolved_database_url).connect() as conn:
        [row] = conn.execute(select(AuditLog).where(AuditLog.task == "ingest_embedding")).mappings().all()
    assert row["backend"] == f"bedrock/{TITAN}" and row["outcome"] == "ok" and row["input_tokens"] > 0
    assert row["extra"]["texts_sent"] == 3 and row["extra"]["data_location"] == "japan"
