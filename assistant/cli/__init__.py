"""The `yakuba` command line. Each command imports what it needs inside its body: `yakuba --help`
must not import torch, faiss, boto3 or streamlit."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

import typer

from assistant.cli import (
    ask_cmds,
    audit_cmds,
    index_cmds,
    ingest_cmds,
    jobs_cmds,
    mask_cmds,
    minutes_cmds,
    model_cmds,
    reply_cmds,
    search_cmds,
    service_cmds,
    ui_cmds,
    up_cmds,
)

app = typer.Typer(
    name="yakuba",
    help="Yakuba (役場): retrieval-augmented assistant for Japanese civil servants.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(ingest_cmds.ingest)
app.command("search")(search_cmds.search)
app.command("ask")(ask_cmds.ask)
app.command("mask")(mask_cmds.mask)
app.command("models")(model_cmds.models)
app.command("serve")(service_cmds.serve)
app.command("ui")(ui_cmds.ui)
app.command("up")(up_cmds.up)
app.add_typer(service_cmds.users_app, name="users")
app.add_typer(audit_cmds.app, name="audit")
app.add_typer(reply_cmds.app, name="reply")
app.add_typer(jobs_cmds.jobs_app, name="jobs")
app.add_typer(minutes_cmds.app, name="minutes")
app.add_typer(index_cmds.app, name="index")

# Command groups of packages above this one (e.g. `yakuba eval` from evals/) register themselves as entry points
# of the group "yakuba.commands" in pyproject.toml, so the CLI does not import them by name: `evals` drives the
# tasks of `assistant`, and `assistant` does not import `evals` back.
for _group in entry_points(group="yakuba.commands"):
    app.add_typer(_group.load(), name=_group.name)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages.")) -> None:
    level = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Some libraries (bm25s) set DEBUG on their own loggers; filter at the handler so they stay quiet.
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)


def main() -> None:
    app()
