"""`yakuba ask`: a grounded answer with numbered citations, streamed to the terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from assistant.cli.options import IndexOption, fail, index_dir


def ask(
    question: str = typer.Argument(..., help="The question, in Japanese."),
    backend: str | None = typer.Option(
        None, "--backend", "-b", help="provider/model, e.g. bedrock/nova-lite (see `yakuba models`)."
    ),
    index: Path | None = IndexOption,
    k: int = typer.Option(5, "-k", min=1, max=20, help="How many sources to retrieve."),
    auto: bool = typer.Option(
        False, "--auto", help="Allow re-routing when policy refuses the chosen backend."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (no streaming)."),
    no_stream: bool = typer.Option(False, "--no-stream", help="Print the answer when it is complete."),
) -> None:
    """Answer a question from the indexed documents, citing sources as [1], [2] …"""
    from assistant.cli.runner import cli_runner
    from assistant.tasks.ask import ASK, AskInput
    from core.errors import YakubaError

    streaming = not (as_json or no_stream)

    def on_token(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()

    try:
        runner = cli_runner(index_dir(index))
        result = runner.run(
            ASK, AskInput(question=question, k=k), backend=backend, allow_auto=auto,
            on_token=on_token if streaming else None,
        )  # fmt: skip
    except YakubaError as exc:
        fail(exc.message)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    if streaming:
        typer.echo("")
    else:
        typer.echo(result.answer)
    label = "抽出モード" if result.mode == "extractive" else result.model_id
    typer.secho(f"\n[{result.backend} · {label}]", dim=True)
    if result.substitution:
        typer.secho(result.substitution, fg=typer.colors.YELLOW)
    if result.notice:
        typer.secho(result.notice, dim=True)
    if result.citations:
        typer.echo("\n出典:")
    for c in result.citations:
        quote = " ".join(c.quote.split())
        typer.echo(f"[{c.n}] {c.title}  {c.location}")
        typer.echo(f"    「{quote[:120]}{'…' if len(quote) > 120 else ''}」")
    if result.usage.input_tokens or result.usage.output_tokens:
        cost = f", ${result.usage.cost:.5f}" if result.usage.cost is not None else ""
        typer.secho(
            f"tokens: {result.usage.input_tokens} in / {result.usage.output_tokens} out{cost}", dim=True
        )
