"""The evaluators' dataset columns for the minutes task (発言 as text or a transcript file, 字数, 正解要約), and the
minutes as plain text in the harness's per-item `text`."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from docx import Document

from assistant.minutes.offline import build_minutes
from assistant.tasks.minutes import finish
from assistant.tasks.minutes_models import MinutesInput, Turn
from evals.datasets.table import load_table
from evals.runner import output_text

DATA = Path(__file__).parent / "data"


def test_minutes_columns_read_text_files_and_docx(tmp_path):
    shutil.copy(DATA / "teams.vtt", tmp_path / "teams.vtt")
    document = Document()
    for line in ["山田 太郎   0:03", "開始します。", "佐藤 花子   0:10", "報告します。"]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    (tmp_path / "teams.docx").write_bytes(buffer.getvalue())
    table = tmp_path / "items.csv"
    table.write_text(
        "番号,発言,字数,正解要約\n"
        "a,teams.vtt,100字,予算は前年度と同額。\n"
        "b,teams.docx,50,報告があった。\n"
        'c,"山田：開会します。",80,\n'
        "d,missing.srt,50,\n",
        encoding="utf-8",
    )
    dataset = load_table(table, "minutes")
    first, second, third = dataset.items
    assert first.input["transcript"].startswith("WEBVTT") and first.input["max_chars"] == 100
    assert first.expected == {"reference": "予算は前年度と同額。", "max_chars": 100}
    assert second.input["transcript"] == "山田 太郎：開始します。\n佐藤 花子：報告します。"
    assert third.input == {"transcript": "山田：開会します。", "max_chars": 80}
    assert [b.row for b in dataset.bad_rows] == [5] and "見つかりません" in dataset.bad_rows[0].reason


def test_the_harness_text_of_minutes_is_their_plain_text():
    turns = [Turn(index=1, speaker="発言者不明", text="防災対策の強化について、知事の見解を伺います。")]
    minutes = finish(build_minutes(MinutesInput(max_chars=50), turns))
    assert output_text(minutes.model_dump(mode="json")) == "防災対策の強化について、知事の見解を伺います。"
