"""`yakuba mask`: the masked text and what was found, with offsets into the input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from assistant.cli import app

ZWSP = "\u200b"


def test_mask_json_from_stdin_gives_offsets_into_the_input():
    text = f"課長 山田太郎様（横浜市中区本町6丁目50番地10、電話090{ZWSP}-1234-5678、taro(at)example.jp）"
    result = CliRunner().invoke(app, ["mask", "-", "--json"], input=text.encode("utf-8"))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["masked"] == "課長 ［氏名1］様（［住所1］、電話［電話番号1］、［メール1］）"
    assert [(f["kind"], f["text"]) for f in out["found"]] == [
        ("name", "山田太郎"),
        ("address", "横浜市中区本町6丁目50番地10"),
        ("phone", f"090{ZWSP}-1234-5678"),
        ("email", "taro(at)example.jp"),
    ]
    assert all(text[f["start"] : f["end"]] == f["text"] for f in out["found"])


def test_mask_reads_a_shift_jis_file_and_prints_text(tmp_path):
    path = tmp_path / "memo.txt"
    path.write_bytes("担当 鈴木一郎氏、個人番号一二三四五六七八九〇一八".encode("cp932"))
    result = CliRunner().invoke(app, ["mask", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "担当 ［氏名1］氏、個人番号［個人番号1］"
    assert "found: 2" in result.stdout and "name\t3-7\t鈴木一郎" in result.stdout


def test_mask_missing_file_is_an_error(tmp_path):
    result = CliRunner().invoke(app, ["mask", str(tmp_path / "none.txt")])
    assert result.exit_code == 2
