"""`yakuba minutes …`: meeting minutes (議事録). `draft` reads a transcript file (text / Markdown with speaker
lines, WebVTT, SRT, DOCX, JSON {Speaker, Utterance}) and writes the minutes in the chosen style, through
`assistant.minutes.mapreduce.draft_minutes` (the task's own path for short transcripts and the offline backend,
map-reduce with cached steps for long sessions on an LLM); progress of long input goes to stderr."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from assistant.cli.options import fail

app = typer.Typer(help="Meeting minutes (議事録): draft minutes from a transcript.", no_args_is_help=True)

LONG_INPUT_TURNS = 40  # report progress on stderr from this many turns
PROGRESS_EVERY = 1.0  # seconds between progress lines of one stage


def _progress():
    """A progress callback printing to stderr: each new stage, then at most one line a second."""
    last: dict[str, float] = {}

    def report(progress) -> None:
        now = time.monotonic()
        stage = progress.stage
        if stage in last and now - last[stage] < PROGRESS_EVERY and progress.done < progress.total:
            return
        last[stage] = now
        cached = f"（保存済み{progress.cached}件）" if progress.cached else ""
        message = progress.message or stage
        count = f" {progress.done}/{progress.total}" if progress.total > 1 else ""
        typer.echo(f"{message}{count}{cached}", err=True)

    return report


def _write(out: Path, minutes) -> Path:
    """The minutes as DOCX (.docx) or Markdown (.md, or when the DOCX export is not available), marked 「案」."""
    if out.suffix.lower() == ".docx":
        try:
            from assistant.exports.minutes_docx import render_minutes_docx
        except ImportError:
            out = out.with_suffix(".md")
            typer.secho(f"DOCX 出力が利用できないため、Markdown で {out} に出力します。", err=True, dim=True)
        else:
            out.write_bytes(render_minutes_docx(minutes, approved=False))
            return out
    try:
        from assistant.exports.minutes_markdown import render_minutes_markdown
    except ImportError:
        out.write_text(minutes.text + "\n", encoding="utf-8")
    else:
        out.write_text(render_minutes_markdown(minutes, approved=False), encoding="utf-8")
    return out


def _transcribed(file: Path, runner, classification: int, speakers: int):
    """Audio → a transcript through Amazon Transcribe (policy-checked and audited in `transcribe_audio`)."""
    from assistant.minutes.transcribe import transcribe_audio
    from assistant.minutes.transcripts import Transcript

    if not file.is_file():
        fail(f"ファイル「{file}」が見つかりません。パスを確認してください。")
    typer.echo(f"{file.name}: 音声を Amazon Transcribe で文字起こししています。", err=True)
    turns = transcribe_audio(
        file.read_bytes(), file.name, runner.settings, runner.router.audit,
        classification=classification, user="cli", max_speakers=speakers,
    )  # fmt: skip
    return Transcript(turns=turns, format="audio")


@app.command("draft")
def draft(
    file: Path = typer.Argument(
        ...,
        help="Transcript: .txt/.md, .vtt, .srt, .docx or .json (UTF-8 or cp932); or audio (.wav, .mp3, .m4a, "
        ".mp4, .flac, .ogg, .webm, .amr) through Amazon Transcribe where the 機密性 allows.",
    ),
    style: str = typer.Option("要点筆記", "--style", help="要点筆記 | 発言録 | 質疑応答."),
    max_chars: int | None = typer.Option(
        None, "--max-chars", min=10, help="Length limit per agenda summary / speaker summary / item (字)."
    ),
    backend: str | None = typer.Option(
        None, "--backend", "-b", help="provider/model (default: the task default)."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the minutes to FILE.docx (or FILE.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print the minutes as one JSON object."),
    title: str = typer.Option("", "--title", help="会議名 (default: from the transcript)."),
    held_on: str = typer.Option("", "--held-on", help="日時 as written, e.g. 令和7年4月1日 午後2時."),
    place: str = typer.Option("", "--place", help="場所."),
    agenda: list[str] = typer.Option([], "--agenda", help="議題 (repeat for each item; default: found)."),
    classification: int = typer.Option(
        1, "--classification", min=1, max=3, help="機密性 of the meeting (1–3)."
    ),
    meeting: int | None = typer.Option(
        None, "--meeting", min=1, help="Which meeting of a JSON file of several."
    ),
    auto: bool = typer.Option(
        False, "--auto", help="Allow re-routing when policy refuses the chosen backend."
    ),
    speakers: int = typer.Option(
        10, "--speakers", min=2, max=30, help="Audio only: the most speakers Transcribe tells apart."
    ),
) -> None:
    """Draft minutes from a transcript: 議題ごとの要旨, 発言者別の要点, 決定事項, 宿題, 次回予定 — every line with the
    turns it came from."""
    from assistant.cli.runner import cli_runner
    from assistant.minutes.mapreduce import draft_minutes
    from assistant.minutes.transcribe import MEDIA_FORMATS
    from assistant.minutes.transcripts import read_transcript_file
    from assistant.tasks.minutes import with_metadata
    from assistant.tasks.minutes_models import STYLES, MinutesInput
    from core.errors import YakubaError

    if style not in STYLES:
        fail(f"様式「{style}」はありません。指定できるもの: {'、'.join(STYLES)}")
    try:
        runner = cli_runner(None)
        if file.suffix.lower().lstrip(".") in MEDIA_FORMATS:
            transcript = _transcribed(file, runner, classification, speakers)
        else:
            transcript = read_transcript_file(file, meeting=meeting)
        inp = MinutesInput(
            turns=transcript.turns, title=title, held_on=held_on, place=place, agenda=agenda, style=style,
            max_chars=max_chars, classification=classification,
        )  # fmt: skip
        inp = with_metadata(inp, transcript)
        long = len(transcript.turns) >= LONG_INPUT_TURNS
        if long:
            typer.echo(f"{file.name}: {len(transcript.turns)}件の発言を読み込みました。", err=True)
        result = draft_minutes(
            inp, runner, None, backend, allow_auto=auto, on_progress=_progress() if long else None
        )
    except YakubaError as exc:
        fail(exc.message)
    for warning in transcript.warnings:
        typer.secho(f"注意: {warning}", err=True, fg=typer.colors.YELLOW)
    if out is not None:
        written = _write(out, result)
        typer.echo(f"{written} に出力しました（案）。", err=True)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    if out is None:
        typer.echo(result.text)
    label = "抽出モード" if result.mode == "extractive" else result.model_id
    typer.secho(
        f"\n[{result.backend} · {label} · 機密性{result.classification} · 発言{result.n_turns}件]",
        dim=True,
        err=out is not None,
    )
    for line in (result.substitution, result.notice):
        if line:
            typer.secho(line, dim=True, err=out is not None)
