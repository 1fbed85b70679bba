"""Suite files: every packaged suite loads; the model rejects unknown keys; datasets resolve from the root."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from core.errors import YakubaError
from evals.datasets import DatasetMissing
from evals.suite import SUITES_DIR, Suite, list_suites, load_suite


def test_packaged_suites_are_listed():
    assert {"jsquad-retrieval", "jsquad-answer", "lawqa-jp", "sample-regression", "poliinfo3-reply",
            "poliinfo1-minutes"} <= set(list_suites())


@pytest.mark.parametrize("name", list_suites())
def test_every_suite_file_loads(name):
    suite = load_suite(name)
    assert isinstance(suite, Suite) and suite.name == name
    assert suite.description and suite.scorers and suite.variants
    assert suite.dataset["kind"] in {"squad", "lawqa", "table", "poliinfo3", "poliinfo1"}
    assert suite.path == SUITES_DIR / f"{name}.toml"


def test_planned_suites_are_not_runnable():
    assert load_suite("poliinfo3-reply").runnable  # the reply task exists (issue 10)
    assert load_suite("poliinfo1-minutes").runnable  # the minutes task exists (issue 11)
    assert load_suite("jsquad-answer").runnable


def test_jsquad_answer_compares_two_fusion_weights():
    suite = load_suite("jsquad-answer")
    assert suite.dataset["unanswerable"] is True
    assert [v.settings["fusion_alpha"] for v in suite.variants] == [0.6, 0.3]
    assert all(v.backend == "offline/extractive" for v in suite.variants)


def test_sample_regression_dataset_loads_from_the_project_root():
    suite = load_suite("sample-regression")
    assert suite.index == "sample"
    dataset = suite.load_dataset()
    assert len(dataset.items) >= 12 and not dataset.bad_rows
    unanswerable = [i for i in dataset.items if i.expected.get("answerable") is False]
    assert len(unanswerable) == 4
    answerable = [i for i in dataset.items if i.expected.get("answerable", True)]
    assert all(i.expected.get("reference") and i.expected.get("sources") for i in answerable)


def test_suite_by_path_and_defaults(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('description = "自作"\ntask = "ask"\nscorers = ["containment"]\n'
                    '[dataset]\nkind = "table"\npath = "q.csv"\n', encoding="utf-8")
    suite = load_suite(path)
    assert suite.name == "mine" and suite.status == "ready" and suite.index is None
    assert [(v.name, v.backend) for v in suite.variants] == [("default", "offline/extractive")]
    assert suite.index_mode(has_corpus=True) == "dataset" and suite.index_mode(has_corpus=False) == "configured"
    (tmp_path / "q.csv").write_text("質問\nテスト？\n", encoding="utf-8")
    assert len(suite.load_dataset(tmp_path).items) == 1


def test_unknown_keys_are_rejected_in_japanese(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('description = "x"\ntask = "ask"\nscorers = ["a"]\nthreshold = 1\n'
                    '[dataset]\nkind = "squad"\npath = "x.json"\n', encoding="utf-8")
    with pytest.raises(YakubaError, match="threshold"):
        load_suite(path)


def test_unknown_suite_names_the_known_ones():
    with pytest.raises(YakubaError, match="jsquad-answer"):
        load_suite("no-such-suite")


def test_suite_over_absent_data_raises_dataset_missing(tmp_path):
    suite = load_suite("lawqa-jp")
    with pytest.raises(DatasetMissing, match="selection.json"):
        suite.load_dataset(tmp_path / "elsewhere")  # ../shared/... does not exist from here


@pytest.mark.shared
def test_shared_suites_load_their_datasets(shared_dataset):
    shared_dataset("lawqa_jp/selection.json")
    dataset = load_suite("lawqa-jp").load_dataset()
    assert dataset.corpus and Path(dataset.path).resolve().is_relative_to((PROJECT_ROOT.parent / "shared").resolve())  # data stays in ../shared
