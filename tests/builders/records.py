"""Writers for inquiry-record fixtures (照会・回答の記録) in CSV, JSONL and XLSX."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

SAMPLE_RECORDS: list[dict[str, str]] = [
    {
        "番号": "1",
        "照会日": "令和6年4月1日",
        "照会元": "A市",
        "所管課": "総務課",
        "件名": "公印の押印について",
        "照会内容": "電子決裁で起案した文書にも公印の押印は必要か。",
        "回答内容": "電子署名を付す場合は、公印の押印を省略して差し支えありません。",
        "回答日": "令和6年4月10日",
        "区分": "文書管理",
    },
    {
        "番号": "2",
        "照会日": "R6.5.7",
        "照会元": "B町",
        "所管課": "財政課",
        "件名": "補助金の繰越",
        "照会内容": "年度内に事業が完了しない場合、補助金は繰り越せるか。",
        "回答内容": "繰越明許費として議会の議決を経れば、翌年度に繰り越すことができます。",
        "回答日": "",
        "区分": "財務",
    },
]


def write_records_csv(
    path: Path,
    rows: Sequence[Mapping[str, str]],
    encoding: str = "utf-8",
    headers: Sequence[str] | None = None,
) -> Path:
    """A CSV with a header row (the keys of the first record, or `headers`), in the given encoding
    ("utf-8", "utf-8-sig" for Excel's UTF-8 with BOM, "cp932" for Shift_JIS)."""
    headers = list(headers or rows[0].keys())
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(header, "") for header in headers])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_records_jsonl(path: Path, rows: Sequence[Mapping[str, object]]) -> Path:
    path.write_text(
        "".join(json.dumps(dict(row), ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    return path


def write_records_xlsx(
    path: Path, rows: Sequence[Mapping[str, object]], title_row: str | None = None
) -> Path:
    """Records on the first sheet of a workbook, optionally under a title row above the header."""
    from tests.builders.office import write_xlsx

    headers = list(rows[0].keys())
    grid: list[list[object]] = [[title_row]] if title_row else []
    grid += [headers] + [[row.get(header) for header in headers] for row in rows]
    return write_xlsx(path, {"照会回答": grid})
