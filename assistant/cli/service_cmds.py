"""`yakuba serve` and `yakuba users …` (`yakuba audit …` lives in audit_cmds.py).

Wiring (in assistant/cli/__init__.py):
    app.command("serve")(service_cmds.serve)
    app.add_typer(service_cmds.users_app, name="users")
"""

from __future__ import annotations

import json

import typer

from assistant.cli.options import fail

users_app = typer.Typer(help="Manage API users and their keys.", no_args_is_help=True)


def _engine():
    from assistant.config import get_settings
    from assistant.records import init_db

    return init_db(get_settings().resolved_database_url)


def _sessions(lock: bool = True, engine=None):
    from assistant.records import make_session_factory

    return make_session_factory(engine or _engine(), lock=lock)


def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default: YAKUBA_API_HOST)."),
    port: int | None = typer.Option(None, help="Port to listen on (default: YAKUBA_API_PORT)."),
) -> None:
    """Run the HTTP API (uvicorn)."""
    import uvicorn

    from assistant.config import get_settings

    settings = get_settings()
    uvicorn.run(
        "assistant.api.app:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        # The trusted-proxy check needs the real peer address, never one taken from X-Forwarded-For.
        proxy_headers=False,
        log_level="info",
    )


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="User name (e.g. the staff ID)."),
    groups: str = typer.Option("", "--groups", help="Access groups, comma-separated (e.g. 財政課,総務課)."),
    clearance: int = typer.Option(
        1, "--clearance", min=1, max=3, help="Highest 機密性 level the user may see."
    ),
    admin: bool = typer.Option(False, "--admin", help="May read the audit log and everyone's usage."),
    as_json: bool = typer.Option(False, "--json", help='Print {"name": ..., "api_key": ...}.'),
) -> None:
    """Create a user and print their API key (shown once: it is not stored)."""
    from assistant.records import create_user
    from core.errors import YakubaError
    from ingest.labels import parse_groups

    try:
        with _sessions().begin() as session:
            user, api_key = create_user(session, name, parse_groups(groups), clearance, admin=admin)
            name = user.name
    except YakubaError as exc:
        fail(exc.message)
    if as_json:
        typer.echo(json.dumps({"name": name, "api_key": api_key}, ensure_ascii=False))
        return
    typer.echo(f"created user {name}")
    typer.echo(f"API key (shown only now, keep it safe): {api_key}")


@users_app.command("list")
def users_list(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """List users with their groups, clearance and state."""
    from assistant.records import list_users

    with _sessions(lock=False)() as session:
        rows = [
            {"name": u.name, "groups": list(u.groups or []), "clearance": u.clearance,
             "admin": u.is_admin, "disabled": u.disabled}
            for u in list_users(session)
        ]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        flags = " ".join(f for f, on in (("admin", row["admin"]), ("disabled", row["disabled"])) if on)
        typer.echo(f"{row['name']}\tclearance {row['clearance']}\t{','.join(row['groups']) or '-'}\t{flags}")


def _audit_users(engine, name: str, reason: str, **extra: object) -> None:
    """One administrative change of a user, audited (task "users")."""
    from assistant.records import AuditEntry, append_audit

    append_audit(engine, AuditEntry(user=name, task="users", reason=reason, extra={"via": "cli", **extra}))


@users_app.command("disable")
def users_disable(name: str = typer.Argument(..., help="User to disable.")) -> None:
    """Disable a user: their API keys and browser sessions stop working at once (audited)."""
    from assistant.records import get_user, set_user_disabled

    engine = _engine()
    with _sessions(engine=engine).begin() as session:
        user = get_user(session, name)
        if user is None:
            fail(f"no user named '{name}'")
        set_user_disabled(session, user, True)
    _audit_users(engine, name, "disable")
    typer.echo(f"disabled user {name}")


@users_app.command("reset-key")
def users_reset_key(
    name: str = typer.Argument(..., help="User whose key was lost or may have leaked."),
    as_json: bool = typer.Option(
        False, "--json", help='Print {"name": ..., "api_key": ..., "revoked_...": n}.'
    ),
) -> None:
    """Replace a user's API key: revoke all their keys and browser sessions (every signed-in browser is
    signed out) and print one new key, shown only now. The reset is audited."""
    from assistant.records import get_user
    from assistant.records.users import reset_api_key

    engine = _engine()
    with _sessions(engine=engine).begin() as session:
        user = get_user(session, name.strip())
        if user is None:
            fail(
                f"利用者「{name}」は登録されていません。`yakuba users list` で利用者名を確認してください。"
                f" (no user named '{name}')"
            )
        api_key, keys, web_sessions = reset_api_key(session, user)
        name, disabled = user.name, user.disabled
    _audit_users(engine, name, "reset_key", keys_revoked=keys, sessions_revoked=web_sessions)
    if disabled:
        typer.secho(
            f"note: {name} is disabled; the new key works only once the user is enabled again", err=True
        )
    if as_json:
        payload = {"name": name, "api_key": api_key, "revoked_keys": keys, "revoked_sessions": web_sessions}
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    typer.echo(
        f"reset the key of {name}: {keys} key(s) revoked, {web_sessions} browser session(s) signed out"
    )
    typer.echo(f"new API key (shown only now, keep it safe): {api_key}")
