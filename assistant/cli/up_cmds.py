"""`yakuba up`: the whole product on one machine — the API and the Streamlit UI, stopped together.

`make run` calls it after building the sample index. On the first start it creates a local demo user and prints
the API key once (it is stored only as a hash).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import typer

DEMO_USER = "demo"
DEMO_GROUPS = ("総務課",)
DEMO_CLEARANCE = 2


def _ensure_demo_user() -> str | None:
    """Create the demo user when the database has no users; return its new key (else None)."""
    from assistant.config import get_settings
    from assistant.records import create_user, init_db, list_users, make_session_factory

    sessions = make_session_factory(init_db(get_settings().resolved_database_url))
    with sessions() as session:
        if list_users(session):
            return None
        _, key = create_user(session, DEMO_USER, groups=DEMO_GROUPS, clearance=DEMO_CLEARANCE, admin=True)
        session.commit()
        return key


def _wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60.0) -> bool:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def up(
    host: str = typer.Option("127.0.0.1", "--host", help="Address both servers listen on."),
    api_port: int = typer.Option(8000, "--api-port", help="Port of the HTTP API."),
    ui_port: int = typer.Option(8501, "--ui-port", help="Port of the web UI."),
) -> None:
    """Start the API and the web UI; Ctrl-C stops both."""
    key = _ensure_demo_user()
    api_url = f"http://{host}:{api_port}"
    yakuba = [sys.executable, "-m", "assistant.cli"]
    api = subprocess.Popen([*yakuba, "serve", "--host", host, "--port", str(api_port)])
    if not _wait_healthy(api_url, api):
        api.terminate()
        typer.secho(f"error: the API did not start on {api_url}; see the messages above.", err=True, fg="red")
        raise typer.Exit(1)
    ui = subprocess.Popen([*yakuba, "ui", "--host", host, "--port", str(ui_port), "--api-url", api_url])

    typer.echo("")
    typer.secho("Yakuba is running (offline extractive mode unless Bedrock is configured).", bold=True)
    typer.echo(f"  web UI : http://{host}:{ui_port}")
    typer.echo(f"  API    : {api_url}  (OpenAPI: {api_url}/docs)")
    if key:
        typer.echo(f"  demo user '{DEMO_USER}' (groups {', '.join(DEMO_GROUPS)}, clearance {DEMO_CLEARANCE}, admin)")
        typer.secho(f"  API key (shown once): {key}", bold=True)
    typer.echo("Stop with Ctrl-C.")

    def stop(*_: object) -> None:
        for process in (ui, api):
            if process.poll() is None:
                process.terminate()
        for process in (ui, api):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        raise typer.Exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        while api.poll() is None and ui.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop()
