"""`yakuba mask`: show what would be masked before a text leaves for an external model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from assistant.cli.options import fail


def mask(
    file: str = typer.Argument("-", help="Text file to read (UTF-8, Shift_JIS …), or - for standard input."),
    as_json: bool = typer.Option(False, "--json", help="Print {masked, found} as JSON."),
) -> None:
    """Mask personal data (names, addresses, マイナンバー, phone, e-mail …) as the router does before an
    external model; `found` lists kind, text, start and end (character offsets into the input)."""
    from assistant.masking import Masker, detector_from_settings
    from core.errors import YakubaError
    from ingest.encoding import decode_bytes

    if file == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(file)
        if not path.is_file():
            fail(f"ファイル「{file}」が見つかりません。")
        data = path.read_bytes()
    try:
        text = decode_bytes(data, name=file)
    except YakubaError as exc:
        fail(exc.message)
    detector = detector_from_settings()
    found = [
        {"kind": f.kind, "text": text[f.start : f.end], "start": f.start, "end": f.end}
        for f in detector.find(text)
    ]
    masked = Masker(detector).mask(text)
    if as_json:
        typer.echo(json.dumps({"masked": masked, "found": found}, ensure_ascii=False, indent=2))
        return
    typer.echo(masked.rstrip("\n"))
    typer.echo(f"\nfound: {len(found)}")
    for item in found:
        typer.echo(f"{item['kind']}\t{item['start']}-{item['end']}\t{item['text']}")
