"""Dataset loaders over tiny files written here, plus the real ../shared files when present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.errors import YakubaError
from evals.datasets import DatasetMissing, load_dataset
from evals.datasets.lawqa import load_lawqa, parse_options
from evals.datasets.poliinfo import load_poliinfo1, load_poliinfo3, parse_length
from evals.datasets.squad import load_squad_dataset
from evals.datasets.table import load_table


def _write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def squad(tmp_path) -> Path:
    return _write_json(tmp_path / "squad.json", {"data": [
        {"title": "梅雨", "paragraphs": [
            {"context": "梅雨 [SEP] 梅雨は東アジア特有の気象現象である。", "qas": [
                {"id": "q1", "question": "梅雨はどこの現象か。", "answers": [{"text": "東アジア", "answer_start": 3}]}]},
            {"context": "梅雨 [SEP] 北海道には梅雨がない。", "qas": [
                {"id": "q2", "question": "梅雨がないのはどこか。", "answers": [{"text": "北海道", "answer_start": 0}]}]},
        ]},
        {"title": "富士山", "paragraphs": [
            {"context": "富士山 [SEP] 富士山の高さは3776メートルである。", "qas": [
                {"id": "q3", "question": "富士山の高さは。", "answers": [{"text": "3776メートル", "answer_start": 5}]}]},
        ]},
    ]})


def test_squad_dataset_items_and_corpus(squad):
    dataset = load_squad_dataset(squad)
    assert [i.id for i in dataset.items] == ["q1", "q2", "q3"]
    first = dataset.items[0]
    assert first.input == {"question": "梅雨はどこの現象か。"}
    assert first.expected == {"answers": ["東アジア"], "answerable": True}
    assert first.meta == {"gold_source": "squad/0-0", "article": "梅雨"}
    assert [(d.source, d.title) for d in dataset.corpus] == [("squad/0-0", "梅雨"), ("squad/0-1", "梅雨"),
                                                             ("squad/1-0", "富士山")]
    assert dataset.corpus[2].text == "富士山の高さは3776メートルである。"
    assert len(dataset.sha256) == 64


def test_squad_unanswerable_excludes_the_whole_article(squad):
    dataset = load_squad_dataset(squad, unanswerable=True)
    by_id = {i.id: i for i in dataset.items}
    assert len(dataset.items) == 6
    twin = by_id["q2#unanswerable"]
    assert twin.input == by_id["q2"].input
    assert twin.expected == {"answerable": False}
    assert twin.meta["exclude_sources"] == ["squad/0-0", "squad/0-1"]
    assert by_id["q3#unanswerable"].meta["exclude_sources"] == ["squad/1-0"]


LAW_CONTEXT = "## 情報公開法\n### 第5条\n#### 第1項\n行政機関の長は、開示請求があったときは開示しなければならない。\n##### 第1号\n個人に関する情報"


def _lawqa(tmp_path) -> Path:
    sample = {"ファイル名": "情報公開法_問題1", "コンテキスト": LAW_CONTEXT, "指示": "選んでください。",
              "問題文": "開示請求があったとき行政機関の長はどうするか。",
              "選択肢": "a 開示しなければならない\nb 開示してはならない\nc 開示できる\nd 何もしない",
              "output": "a", "references": ["https://laws.e-gov.go.jp/law/411AC0000000042"]}
    second = {**sample, "ファイル名": "情報公開法_問題2", "output": "c"}
    broken = {**sample, "ファイル名": "壊れた問題", "output": "e"}
    return _write_json(tmp_path / "selection.json", {"samples": [sample, second, broken]})


def test_lawqa_items_and_excerpt_corpus(tmp_path):
    dataset = load_lawqa(_lawqa(tmp_path))
    assert [i.id for i in dataset.items] == ["情報公開法_問題1", "情報公開法_問題2"]
    item = dataset.items[0]
    assert item.input["options"] == {"a": "開示しなければならない", "b": "開示してはならない",
                                     "c": "開示できる", "d": "何もしない"}
    assert item.expected == {"choice": "a"}
    assert item.meta["gold_source"].startswith("lawqa/")
    assert dataset.items[1].meta["gold_source"] == item.meta["gold_source"]  # same excerpt, one corpus entry
    assert {d.source for d in dataset.corpus} == {item.meta["gold_source"]}
    assert all(d.title == "情報公開法" for d in dataset.corpus)
    assert "個人に関する情報" in "\n".join(d.text for d in dataset.corpus)
    assert [b.row for b in dataset.bad_rows] == [3] and "選択肢にありません" in dataset.bad_rows[0].reason


def test_parse_options_full_width_and_continuations():
    assert parse_options("ａ　一つ目\n続き\nb) 二つ目") == {"a": "一つ目\n続き", "b": "二つ目"}


def test_ask_csv_in_cp932_with_japanese_headers(tmp_path):
    path = tmp_path / "questions.csv"
    text = ("番号,質問,正解,出典,回答可能\n"
            "Q1,住民票の写しの手数料は？,300円,手数料表.pdf;窓口案内.html,はい\n"
            "Q2,市営プールの開場時間は？,,,×\n")
    path.write_bytes(text.encode("cp932"))
    dataset = load_table(path, "ask")
    first, second = dataset.items
    assert first.id == "Q1"
    assert first.input == {"question": "住民票の写しの手数料は？"}
    assert first.expected == {"reference": "300円", "sources": ["手数料表.pdf", "窓口案内.html"], "answerable": True}
    assert second.expected == {"answerable": False}
    assert dataset.bad_rows == []


def test_ask_csv_utf8_bom_english_headers_and_row_number_ids(tmp_path):
    path = tmp_path / "questions.csv"
    path.write_bytes("Question,Reference,Answerable\nWhat?,It,true\nWhy?,Because,0\n".encode("utf-8-sig"))
    dataset = load_table(path)
    assert [i.id for i in dataset.items] == ["2", "3"]  # row numbers: the header is row 1
    assert dataset.items[1].expected == {"reference": "Because", "answerable": False}


def test_bad_rows_are_reported_and_the_others_load(tmp_path):
    path = tmp_path / "questions.csv"
    path.write_text("id,question,answerable\n1,ok?,true\n2,,true\n3,maybe?,perhaps\n1,dup?,true\n,,\n4,fine?,1\n",
                    encoding="utf-8")
    dataset = load_table(path)
    assert [i.id for i in dataset.items] == ["1", "4"]
    assert [b.row for b in dataset.bad_rows] == [3, 4, 5]
    assert "空です" in dataset.bad_rows[0].reason
    assert "perhaps" in dataset.bad_rows[1].reason
    assert "重複" in dataset.bad_rows[2].reason


def test_missing_required_column_names_headers_found_and_expected(tmp_path):
    path = tmp_path / "questions.csv"
    path.write_text("番号,正解\n1,300円\n", encoding="utf-8")
    with pytest.raises(YakubaError) as caught:
        load_table(path, "ask")
    message = caught.value.message
    assert "question/質問" in message and "番号、正解" in message


def test_file_without_usable_rows_raises(tmp_path):
    path = tmp_path / "questions.csv"
    path.write_text("質問,回答可能\n,はい\n", encoding="utf-8")
    with pytest.raises(YakubaError, match="使える行がありません"):
        load_table(path)


def test_reply_xlsx(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["番号", "件名", "照会元", "照会内容", "正解回答", "正解所管課"])
    sheet.append([1, "広域交付", "かわせ市", "兄弟姉妹の戸籍証明書は請求できるか。", "できない。", "市民課"])
    sheet.append([2, "件名だけ", "さくら市", None, None, None])
    path = tmp_path / "inquiries.xlsx"
    book.save(path)
    dataset = load_table(path, "reply")
    (item,) = dataset.items
    assert item.id == "1"
    assert item.input == {"subject": "広域交付", "sender": "かわせ市", "content": "兄弟姉妹の戸籍証明書は請求できるか。"}
    assert item.expected == {"reference": "できない。", "section": "市民課"}
    assert [b.row for b in dataset.bad_rows] == [3]


def test_minutes_jsonl_with_transcript_file_and_bad_lines(tmp_path):
    (tmp_path / "meeting1.txt").write_text("議長　開会します。\n委員　賛成です。", encoding="utf-8")
    lines = [
        {"id": "m1", "発言": "meeting1.txt", "字数": "200字", "正解要約": "開会し賛成した。"},
        {"transcript": "直接書いた発言。", "max_chars": 50},
        {"transcript": "missing.txt"},
    ]
    path = tmp_path / "minutes.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n{broken\n", encoding="utf-8")
    dataset = load_table(path, "minutes")
    first, second = dataset.items
    assert first.id == "m1"
    assert first.input == {"transcript": "議長　開会します。\n委員　賛成です。", "max_chars": 200}
    assert first.expected == {"reference": "開会し賛成した。", "max_chars": 200}
    assert second.id == "2" and second.input["transcript"] == "直接書いた発言。"
    assert [b.row for b in dataset.bad_rows] == [3, 4]
    assert "見つかりません" in dataset.bad_rows[0].reason


def _poliinfo3(tmp_path) -> Path:
    def record(n, date):
        return {"ID": f"P3-{n}", "Meeting": "定例会", "Date": date, "Headlines": ["見出し"], "SubTopic": "防災",
                "QuestionSpeaker": "議員（党）", "QuestionSummary": f"質問{n}", "AnswerSpeaker": "総務局長",
                "AnswerSummary": f"答弁{n}"}

    return _write_json(tmp_path / "qa.json", [record(1, "2017-03-01"), record(2, "2018-06-01"),
                                              record(3, "2019-09-01"), {"ID": "bad", "Date": "2019-01-01"}])


def test_poliinfo3_reply_items_and_date_split(tmp_path):
    path = _poliinfo3(tmp_path)
    dataset = load_poliinfo3(path)
    item = dataset.items[0]
    assert item.input == {"subject": "防災", "content": "質問1", "sender": "議員（党）", "asked_on": "2017-03-01"}
    assert item.expected == {"reference": "答弁1", "section": "総務局長"}
    assert item.meta["date"] == "2017-03-01"
    assert [b.row for b in dataset.bad_rows] == [4]
    assert [i.id for i in load_poliinfo3(path, until=2018).items] == ["P3-1", "P3-2"]
    assert [i.id for i in load_poliinfo3(path, since=2018, until=2018).items] == ["P3-2"]


def test_poliinfo1_summarization(tmp_path):
    path = _write_json(tmp_path / "sum.json", [
        {"ID": "S1", "Source": "一行目。\\n二行目。", "Summary": "要約。", "Length": "５０字以内", "Speaker": "知事"},
        {"ID": "S2", "Source": "発言。", "Summary": "要約。", "Length": "適当"},
    ])
    dataset = load_poliinfo1(path)
    (item,) = dataset.items
    assert item.input == {"transcript": "一行目。\n二行目。", "max_chars": 50}
    assert item.expected == {"reference": "要約。", "max_chars": 50}
    assert [b.row for b in dataset.bad_rows] == [2]
    assert parse_length("100字以内") == 100 and parse_length(200) == 200 and parse_length("") is None


def test_load_dataset_dispatches_with_relative_paths(tmp_path, squad):
    dataset = load_dataset({"kind": "squad", "path": "squad.json", "unanswerable": True}, tmp_path)
    assert len(dataset.items) == 6 and dataset.path == str(tmp_path / "squad.json")
    _poliinfo3(tmp_path)
    assert len(load_dataset({"kind": "poliinfo3", "path": "qa.json", "since": 2019}, tmp_path).items) == 1


def test_missing_dataset_file_raises_dataset_missing(tmp_path):
    with pytest.raises(DatasetMissing) as caught:
        load_dataset({"kind": "lawqa", "path": "../shared/datasets/lawqa_jp/none.json"}, tmp_path)
    assert "none.json" in caught.value.message and "ありません" in caught.value.message
    assert isinstance(caught.value, YakubaError)


def test_unknown_kind_and_option_are_rejected(tmp_path, squad):
    with pytest.raises(YakubaError, match="kind"):
        load_dataset({"kind": "csv", "path": "squad.json"}, tmp_path)
    with pytest.raises(YakubaError, match="since"):
        load_dataset({"kind": "squad", "path": "squad.json", "since": 2019}, tmp_path)


@pytest.mark.shared
def test_real_lawqa(shared_dataset):
    dataset = load_lawqa(shared_dataset("lawqa_jp/selection.json"))
    assert len(dataset.items) == 140 and not dataset.bad_rows
    assert all(set(i.input["options"]) == {"a", "b", "c", "d"} for i in dataset.items)
    assert len({d.source for d in dataset.corpus}) == 114
    assert {i.meta["gold_source"] for i in dataset.items} == {d.source for d in dataset.corpus}


@pytest.mark.shared
def test_real_poliinfo(shared_dataset):
    qa = load_poliinfo3(shared_dataset("poliinfo3_qa/PoliInfo3_QuestionAnswering_v20211120-Train.json"),
                        since=2019)
    assert qa.items and all(i.meta["date"].startswith("2019") for i in qa.items)
    assert all(i.input["content"] and i.expected["reference"] for i in qa.items)
    summaries = load_poliinfo1(shared_dataset("poliinfo1_summarization/Summarization-FormalRun-Training.json"))
    assert len(summaries.items) > 500
    assert all(i.input["max_chars"] in (50, 100, 150, 200) for i in summaries.items)
    assert not any("\\n" in i.input["transcript"] for i in summaries.items)
