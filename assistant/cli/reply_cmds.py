"""`yakuba reply …`: inquiry replies (照会回答). `draft` writes one draft; `reply batch` is added to `app` by the
batch module."""

from __future__ import annotations

from pathlib import Path

import typer

from assistant.cli.options import IndexOption, fail, index_dir

app = typer.Typer(
    help="Inquiry replies (照会回答): draft one reply, or many in a batch.", no_args_is_help=True
)


def _date(text: str | None, what: str):
    if not text:
        return None
    from datetime import date

    from core.wareki import parse_date

    iso = parse_date(text)
    if iso is None:
        fail(f"{what}「{text}」を日付として読み取れません（例: 令和7年4月1日、2025-04-01）。")
    return date.fromisoformat(iso)


@app.command("draft")
def draft(
    subject: str | None = typer.Option(None, "--subject", "-s", help="件名 of the inquiry."),
    sender: str | None = typer.Option(None, "--sender", help="照会元, e.g. つばさ町総務課."),
    text: str | None = typer.Option(None, "--text", "-t", help="照会内容, or the whole pasted 照会文."),
    file: Path | None = typer.Option(
        None, "--file", "-f", help="A text file holding the pasted 照会文 (UTF-8 or cp932)."
    ),
    asked: str | None = typer.Option(None, "--asked", help="照会日 (和暦 or ISO)."),
    reference: str | None = typer.Option(None, "--reference", help="照会番号, e.g. 総第123号."),
    due: str | None = typer.Option(None, "--due", help="回答期限 (和暦 or ISO)."),
    section: str | None = typer.Option(None, "--section", help="所管課, when known (else suggested)."),
    backend: str | None = typer.Option(
        None, "--backend", "-b", help="provider/model (default: the task default)."
    ),
    index: Path | None = IndexOption,
    k: int = typer.Option(8, "-k", min=1, max=30, help="Sources retrieved per question item."),
    auto: bool = typer.Option(
        False, "--auto", help="Allow re-routing when policy refuses the chosen backend."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the draft as one JSON object."),
) -> None:
    """Draft a reply to one inquiry: 記 per question item, 根拠, 要確認事項, suggested 所管課, similar past inquiries."""
    from assistant.cli.runner import cli_runner
    from assistant.inquiry.compose import render_letter
    from assistant.inquiry.parse import parse_inquiry
    from assistant.tasks.reply import REPLY
    from core.errors import YakubaError

    if (text is None) == (file is None):
        fail("--text と --file のどちらか一方で照会内容を指定してください。")
    if file is not None:
        from ingest.encoding import read_text

        try:
            text = read_text(file)
        except (OSError, YakubaError) as exc:
            fail(f"ファイル {file} を読み込めません（{getattr(exc, 'message', exc)}）。")
    overrides = {
        "subject": subject, "sender": sender, "reference": reference, "section": section, "k": k,
        "asked_on": _date(asked, "照会日"), "due_on": _date(due, "回答期限"),
    }  # fmt: skip
    try:
        inp = parse_inquiry(text or "", **overrides)
        result = cli_runner(index_dir(index)).run(REPLY, inp, backend=backend, allow_auto=auto)
    except YakubaError as exc:
        fail(exc.message)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    typer.echo(render_letter(result))
    label = "抽出モード" if result.mode == "extractive" else result.model_id
    typer.secho(f"\n[{result.backend} · {label} · 機密性{result.classification}]", dim=True)
    for line in (result.substitution, result.notice):
        if line:
            typer.secho(line, dim=True)
    if result.section_suggestions:
        shown = "、".join(f"{s.section}（{s.confidence:.0%}）" for s in result.section_suggestions)
        typer.echo(f"\n所管課の候補: {shown}")
    if result.similar:
        typer.echo("\n類似する過去の照会:")
    for s in result.similar:
        when = s.answered_on or s.asked_on or "日付不明"
        typer.echo(f"・{s.subject}（{when}　照会元 {s.sender or '不明'}　回答 {s.section or '不明'}）")
        answer = " ".join(s.answer.split())
        typer.echo(f"    {answer[:100]}{'…' if len(answer) > 100 else ''}")


# Batch drafting (`yakuba reply batch`) lives in its own module with the job engine's options.
from assistant.cli.reply_batch import batch  # noqa: E402

app.command("batch")(batch)

