"""The incremental pipeline: add, change, delete, no work on unchanged trees, bad input, labels, crash safety."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.retrieval.local_store import LocalIndex
from assistant.retrieval.local_target import LocalIndexTarget
from core.errors import IndexMismatch
from ingest.labels import Labels
from ingest.pipeline import IngestOptions, IngestPipeline
from tests.support.embedder import BigramEmbedder

POLICY = "# 文書管理規程\n\n## 保存期間\n\n公文書の保存期間は、文書の種類に応じて一年から三十年までとする。\n"
NOTICE = "テレワーク勤務について\n\n在宅勤務を行う職員は、事前に所属長の承認を受けること。\n"
RECORDS = (
    "番号,照会日,照会元,所管課,件名,照会内容,回答内容,回答日\n"
    "1,令和6年4月1日,A市,総務課,公印の押印,公印の押印は省略できるか。,電子決裁の場合は省略できます。,令和6年4月10日\n"
)


def write_tree(root: Path) -> Path:
    docs = root / "docs"
    (docs / "内部").mkdir(parents=True)
    (docs / "規程.md").write_text(POLICY, encoding="utf-8")
    (docs / "通知.txt").write_text(NOTICE, encoding="utf-8")
    (docs / "照会.csv").write_bytes(RECORDS.encode("cp932"))
    (docs / "内部" / "予算メモ.txt").write_text(
        "令和7年度の予算要求は十月末までに提出する。\n", encoding="utf-8"
    )
    (docs / "内部" / ".yakuba.json").write_text(json.dumps({"classification": 2, "groups": ["財政課"]}))
    return docs


def run(index: Path, paths: list[Path], embedder=None, **options) -> tuple:
    embedder = embedder or BigramEmbedder()
    summary = IngestPipeline(LocalIndexTarget(index), embedder, IngestOptions(**options)).run(paths)
    return summary, embedder


def test_first_run_ingests_everything_and_second_run_does_no_work(tmp_path):
    docs = write_tree(tmp_path)
    index = tmp_path / "index"
    first, _ = run(index, [docs])
    assert first.exit_code == 0, first.render()
    assert first.files_ingested == 4 and first.chunks_added == first.chunks_total > 0

    second, embedder = run(index, [docs])
    assert second.files_unchanged == 4 and second.files_ingested == 0
    assert embedder.calls == 0 and second.chunks_embedded == 0
    assert second.generation == first.generation  # no new generation for an unchanged tree


def test_changed_file_replaces_its_chunks_and_deleted_file_leaves(tmp_path):
    docs = write_tree(tmp_path)
    index = tmp_path / "index"
    run(index, [docs])
    (docs / "通知.txt").write_text(
        "テレワーク勤務について\n\n在宅勤務は週三日までとする。\n", encoding="utf-8"
    )
    (docs / "規程.md").unlink()
    summary, embedder = run(index, [docs])
    assert summary.files_ingested == 1 and summary.files_removed == 1 and summary.files_unchanged == 2
    assert 0 < embedder.calls <= 2  # only the changed text is embedded again

    store = LocalIndex.open(index)
    texts = "\n".join(c.text for c in store.chunks)
    assert "週三日" in texts and "事前に所属長" not in texts
    assert not any(c.source.endswith("規程.md") for c in store.chunks)
    assert set(store.manifest["files"]) == {"docs/通知.txt", "docs/照会.csv", "docs/内部/予算メモ.txt"}


def test_added_file_is_indexed_and_other_roots_are_kept(tmp_path):
    docs = write_tree(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "メモ.txt").write_text("別の資料です。\n", encoding="utf-8")
    index = tmp_path / "index"
    run(index, [docs, other])
    (docs / "追加.md").write_text(
        "# 追加資料\n\n窓口の受付時間は午前八時三十分からとする。\n", encoding="utf-8"
    )
    summary, _ = run(index, [docs])  # only docs this time: other/ must stay in the index
    assert summary.files_ingested == 1 and summary.files_removed == 0
    sources = {c.source for c in LocalIndex.open(index).chunks}
    assert "docs/追加.md" in sources and "other/メモ.txt" in sources


def test_labels_from_run_and_sidecar(tmp_path):
    docs = write_tree(tmp_path)
    index = tmp_path / "index"
    run(index, [docs], labels=Labels(classification=1, groups=("全庁",)))
    by_source = {c.source: c for c in LocalIndex.open(index).chunks}
    memo = by_source["docs/内部/予算メモ.txt"]
    assert memo.classification == 2 and memo.groups == ["財政課"]
    notice = by_source["docs/通知.txt"]
    assert notice.classification == 1 and notice.groups == ["全庁"]


def test_run_classification_is_never_lowered_by_a_sidecar(tmp_path):
    docs = write_tree(tmp_path)
    index = tmp_path / "index"
    run(index, [docs], labels=Labels(classification=3))
    assert {c.classification for c in LocalIndex.open(index).chunks} == {3}


def test_bad_files_are_reported_and_the_rest_is_ingested(tmp_path):
    docs = write_tree(tmp_path)
    (docs / "壊れた.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (docs / "バイナリ.txt").write_bytes(bytes(range(256)) * 4)
    (docs / "不明.xyz").write_text("unknown", encoding="utf-8")
    (docs / "列不明.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (docs / "空.md").write_text("", encoding="utf-8")
    (docs / "大きい.txt").write_text("あ" * 400_000, encoding="utf-8")
    index = tmp_path / "index"
    summary, _ = run(index, [docs], max_file_mb=1.0)
    failed = {i.source: i.reason for i in summary.failed}
    skipped = {i.source: i.reason for i in summary.skipped}
    assert set(failed) == {"docs/壊れた.pdf", "docs/バイナリ.txt", "docs/列不明.csv", "docs/空.md"}
    assert set(skipped) == {"docs/不明.xyz", "docs/大きい.txt"}
    assert all(reason for reason in (*failed.values(), *skipped.values()))
    assert "MB" in skipped["docs/大きい.txt"]
    assert summary.files_ingested == 4 and summary.exit_code == 1
    report = tmp_path / "report.json"
    summary.write_json(report)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["files_failed"] == 4 and data["exit_code"] == 1 and len(data["failed"]) == 4


def test_nothing_ingestable_exits_2(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "壊れた.pdf").write_bytes(b"garbage")
    summary, _ = run(tmp_path / "index", [docs])
    assert summary.exit_code == 2
    summary, _ = run(tmp_path / "index", [tmp_path / "missing"])
    assert summary.exit_code == 2 and "missing" in summary.usage_error


def test_crash_during_ingest_leaves_previous_index_readable(tmp_path, monkeypatch):
    docs = write_tree(tmp_path)
    index = tmp_path / "index"
    run(index, [docs])
    before = [c.chunk_id for c in LocalIndex.open(index).chunks]
    (docs / "通知.txt").write_text("改正後の通知です。\n", encoding="utf-8")

    class Crash(RuntimeError):
        pass

    def crashing_embed(self, texts):
        raise Crash("power cut")

    monkeypatch.setattr(BigramEmbedder, "embed_documents", crashing_embed)
    with pytest.raises(Crash):
        run(index, [docs])
    monkeypatch.undo()
    assert [c.chunk_id for c in LocalIndex.open(index).chunks] == before
    hits = LocalIndex.open(index, embedder=BigramEmbedder()).search("公文書の保存期間", k=3)
    assert hits and "保存期間" in hits[0].chunk.text


def test_other_embedder_is_a_clear_error_unless_rebuild(tmp_path):
    docs = write_tree(tmp_path)
    index = tmp_path / "index"
    run(index, [docs])
    with pytest.raises(IndexMismatch, match="--rebuild"):
        run(index, [docs], embedder=BigramEmbedder(name="other", dim=64))
    summary, embedder = run(index, [docs], embedder=BigramEmbedder(name="other", dim=64), rebuild=True)
    assert summary.exit_code == 0 and embedder.calls == summary.chunks_total
    assert LocalIndex.open(index).embedder_name == "other"


def test_external_embedder_never_receives_documents_above_its_level(tmp_path):
    docs = write_tree(tmp_path)
    external = BigramEmbedder(name="bedrock/test")
    external.data_location = "apac"
    policy = {3: ["organisation"], 2: ["organisation", "japan"], 1: ["organisation", "japan", "apac", "global"]}
    summary, _ = run(tmp_path / "index", [docs], embedder=external, classification_policy=policy)
    failed = {i.source: i.reason for i in summary.failed}
    assert list(failed) == ["docs/内部/予算メモ.txt"] and "機密性2" in failed["docs/内部/予算メモ.txt"]
    texts = " ".join(c.text for c in LocalIndex.open(tmp_path / "index").chunks)
    assert "予算要求" not in texts and summary.files_ingested == 3



def test_a_file_raised_above_the_embedders_level_leaves_the_index(tmp_path):
    """Raised to 機密性2 by a new sidecar, the notice is refused for the external embedder: its earlier level-1
    version must not stay searchable under the labels the operator has just replaced."""
    docs = write_tree(tmp_path)
    external = BigramEmbedder(name="bedrock/test")
    external.data_location = "apac"
    policy = {3: ["organisation"], 2: ["organisation", "japan"], 1: ["organisation", "japan", "apac", "global"]}
    run(tmp_path / "index", [docs], embedder=external, classification_policy=policy)
    assert "在宅勤務" in " ".join(c.text for c in LocalIndex.open(tmp_path / "index").chunks)
    (docs / ".yakuba.json").write_text(json.dumps({"classification": 2}))
    summary, _ = run(tmp_path / "index", [docs], embedder=external, classification_policy=policy)
    assert "docs/通知.txt" in {i.source for i in summary.failed}
    assert "在宅勤務" not in " ".join(c.text for c in LocalIndex.open(tmp_path / "index").chunks)


KILLED_RUN = """
import sys, time
from pathlib import Path
from assistant.retrieval.local_target import LocalIndexTarget
from ingest.pipeline import IngestOptions, IngestPipeline
from tests.support.embedder import BigramEmbedder

class Slow(BigramEmbedder):
    def embed_documents(self, texts):
        Path(sys.argv[3]).touch()  # tell the test we are mid-embedding
        time.sleep(60)
        return super().embed_documents(texts)

IngestPipeline(LocalIndexTarget(Path(sys.argv[1])), Slow(), IngestOptions()).run([Path(sys.argv[2])])
"""


def test_killed_ingest_leaves_previous_index_readable(tmp_path):
    import subprocess
    import sys
    import time

    docs = write_tree(tmp_path)
    index = tmp_path / "index"
    run(index, [docs])
    before = sorted(c.chunk_id for c in LocalIndex.open(index).chunks)
    (docs / "新規.md").write_text("# 新規\n\n新しい通知の本文です。\n", encoding="utf-8")
    marker = tmp_path / "embedding-started"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(index), str(docs), str(marker)])
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.kill()  # SIGKILL: no clean-up code runs
    proc.wait()
    assert marker.exists()
    assert sorted(c.chunk_id for c in LocalIndex.open(index).chunks) == before
    summary, _ = run(index, [docs])  # the next run finishes the job
    assert summary.files_ingested == 1 and summary.exit_code == 0


class MemoryTarget:
    """An index kept in memory: the pipeline works with any `IndexTarget`, not only local folders."""

    def __init__(self):
        self.generations: list[dict] = []

    location = "memory"

    def lock(self):
        import contextlib

        return contextlib.nullcontext()

    def open_previous(self, *, rebuild):
        if not self.generations:
            return None
        from types import SimpleNamespace

        g = self.generations[-1]

        def stored(sources):
            rows = [i for i, c in enumerate(g["chunks"]) if c.source in sources]
            return [g["chunks"][i] for i in rows], g["vectors"][rows]

        return SimpleNamespace(
            manifest={"files": g["files"]}, chunk_count=len(g["chunks"]), stored=stored,
            embedder_name=g["embedder_name"], generation=g["name"],
        )  # fmt: skip

    def write_generation(self, chunks, vectors, *, embedder_name, dim, files):
        name = f"g{len(self.generations) + 1}"
        self.generations.append(
            {"chunks": chunks, "vectors": vectors, "embedder_name": embedder_name, "files": files, "name": name}
        )
        return name


def test_the_index_target_is_passed_in(tmp_path):
    docs = write_tree(tmp_path)
    target = MemoryTarget()
    embedder = BigramEmbedder()
    first = IngestPipeline(target, embedder).run([docs])
    assert first.exit_code == 0 and first.generation == "g1" and first.index_dir == "memory"
    assert len(target.generations[0]["chunks"]) == first.chunks_total
    (docs / "通知.txt").write_text("テレワーク勤務について\n\n在宅勤務は週三日までとする。\n", encoding="utf-8")
    embedder.calls = 0
    second = IngestPipeline(target, embedder).run([docs])
    assert second.files_ingested == 1 and second.generation == "g2" and 0 < embedder.calls <= 2
    with pytest.raises(TypeError, match="LocalIndexTarget"):
        IngestPipeline(tmp_path / "index", embedder)


def test_ingest_imports_nothing_of_assistant():
    import subprocess
    import sys

    code = (
        "import sys, pkgutil, importlib, ingest;"
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages(ingest.__path__, 'ingest.')"
        " if not m.name.endswith('__main__')];"
        "import ingest.pipeline, ingest.target;"
        "print(sorted(m for m in sys.modules if m == 'assistant' or m.startswith('assistant.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_index_built_with_an_older_embedder_address_takes_new_files(tmp_path):
    docs = write_tree(tmp_path)
    index = tmp_path / "index"
    run(index, [docs], embedder=BigramEmbedder(name="usem3"))  # as written before `offline/usem3`
    (docs / "追加.md").write_text("# 追加資料\n\n窓口の受付時間は午前八時三十分からとする。\n", encoding="utf-8")
    summary, _ = run(index, [docs], embedder=BigramEmbedder(name="offline/usem3"))
    assert summary.exit_code == 0 and summary.files_ingested == 1
    assert LocalIndex.open(index).embedder_name == "offline/usem3"


def test_files_named_in_yakubaignore_are_not_indexed(tmp_path):
    from assistant.retrieval.local_store import LocalIndex

    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "README.md").write_text("# このフォルダーについて\n\nサンプルの説明です。", encoding="utf-8")
    (docs / "sub" / "notes.txt").write_text("作業メモ。", encoding="utf-8")
    (docs / "規程.txt").write_text("第一条　この規程は文書の管理について定める。", encoding="utf-8")
    (docs / ".yakubaignore").write_text("# not content\nREADME.md\nsub/*.txt\n", encoding="utf-8")
    summary, _ = run(tmp_path / "index", [docs])
    assert summary.files_ingested == 1
    sources = {c.source for c in LocalIndex.open(tmp_path / "index", BigramEmbedder()).chunks}
    assert sources == {"docs/規程.txt"}
