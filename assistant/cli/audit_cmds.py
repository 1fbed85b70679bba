"""`yakuba audit verify` and `yakuba audit anchor`: check the audit log's chain, and record its head outside
the database so that a log cut short, emptied or rewritten whole is caught as well.

Wiring (in assistant/cli/__init__.py):
    app.add_typer(audit_cmds.app, name="audit")
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assistant.cli.options import fail

app = typer.Typer(help="Check the audit log and anchor its head outside the database.", no_args_is_help=True)

AnchorFileOption = typer.Option(
    None,
    "--file",
    help="Anchor file (default: YAKUBA_AUDIT_ANCHOR_PATH or $YAKUBA_HOME/audit-anchors.jsonl).",
)


def _anchor_path(explicit: Path | None) -> Path:
    from assistant.config import get_settings

    settings = get_settings()
    return explicit or settings.audit_anchor_path or settings.home / "audit-anchors.jsonl"


def _check(session, key: str | None, anchor_file: Path, anchor_line: str | None):
    """Verify the chain and the anchors; returns (result, anchor checked or None). Exits 1 when broken."""
    from assistant.records.audit_anchor import AnchorError, check_anchor, last_anchor, parse_anchor
    from assistant.records.audit_log import verify_audit_chain

    result = verify_audit_chain(session, key)
    if not result.ok:
        _report_broken(session, result)
    try:
        anchors = [last_anchor(anchor_file)] + ([parse_anchor(anchor_line)] if anchor_line else [])
    except (AnchorError, OSError) as exc:
        fail(f"監査ログのアンカーを読み取れません（anchor unreadable: {exc}）", code=1)
    anchors = [anchor for anchor in anchors if anchor is not None]
    for anchor in anchors:
        problem = check_anchor(session, result, anchor, key)
        if problem:
            typer.secho(
                f"監査ログがアンカーの記録と一致しません。削除又は改ざんのおそれがあります"
                f"（audit log does not match its anchor: {problem}; {result.rows_checked} rows checked）",
                err=True,
                fg=typer.colors.RED,
            )
            raise typer.Exit(1)
    return result, anchors[-1] if anchors else None


def _report_broken(session, result) -> None:
    from sqlalchemy import select

    from assistant.records.models import AuditLog

    row = session.scalar(select(AuditLog).where(AuditLog.id == result.first_bad_id))
    typer.secho(
        f"監査ログの改変を検出しました（audit log BROKEN at row {result.first_bad_id}: {result.reason}; "
        f"{result.rows_checked} rows before it are intact）",
        err=True,
        fg=typer.colors.RED,
    )
    if row is not None:
        fields = {c.name: getattr(row, c.name) for c in AuditLog.__table__.columns}
        typer.echo(json.dumps(fields, ensure_ascii=False, default=str, indent=2))
    raise typer.Exit(1)


def _sessions():
    from assistant.config import get_settings
    from assistant.records import init_db, make_session_factory

    settings = get_settings()
    return settings, make_session_factory(init_db(settings.resolved_database_url), lock=False)


@app.command("verify")
def audit_verify(
    anchor_file: Path | None = AnchorFileOption,
    anchor: str | None = typer.Option(
        None,
        "--anchor",
        help="Also check this anchor (a JSON line printed by `yakuba audit anchor --print`).",
    ),
) -> None:
    """Check the chain (HMAC with YAKUBA_AUDIT_KEY) and the newest anchor; exit 1 when either fails."""
    settings, sessions = _sessions()
    path = _anchor_path(anchor_file)
    with sessions() as session:
        result, checked = _check(session, settings.audit_key, path, anchor)
    keyed = f"; keyed from row {result.keyed_from}" if result.keyed_from else ""
    typer.echo(f"監査ログは改変されていません（audit log intact: {result.rows_checked} rows checked{keyed}）")
    if settings.audit_key and result.rows_checked and result.keyed_from is None:
        typer.echo("注意: 監査キーで連結された行はまだありません（no row is keyed yet）", err=True)
    if checked is None:
        typer.secho(
            f"注意: アンカーがないため、末尾の削除や全体の書換えは検出できません。`yakuba audit anchor` を定期的に実行して"
            f"ください（no anchor in {path}: only the chain was checked）",
            err=True,
            fg=typer.colors.YELLOW,
        )
    else:
        typer.echo(f"anchor of {checked.time}: {checked.rows} rows up to id {checked.last_id} match")


@app.command("anchor")
def audit_anchor(
    anchor_file: Path | None = AnchorFileOption,
    print_only: bool = typer.Option(
        False,
        "--print",
        help="Print the anchor (one JSON line) for an external record instead of appending it.",
    ),
) -> None:
    """Verify the log, then record its head (row count, last id, head hash, time) in the append-only anchor file."""
    from assistant.records.audit_anchor import append_anchor, make_anchor

    settings, sessions = _sessions()
    path = _anchor_path(anchor_file)
    with sessions() as session:
        result, _checked = _check(session, settings.audit_key, path, None)
    anchor = make_anchor(result, settings.audit_key)
    if print_only:
        typer.echo(anchor.line())
        return
    append_anchor(path, anchor)
    typer.echo(
        f"監査ログのアンカーを記録しました（anchored {anchor.rows} rows up to id {anchor.last_id} in {path}）"
    )
    typer.echo(anchor.line())
