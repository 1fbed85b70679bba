"""`yakuba ui`: the Streamlit web UI (`streamlit run ui/app.py`), pointed at the Yakuba API."""

from __future__ import annotations

import math
import os
import sys

import typer


def streamlit_command(host: str, port: int) -> list[str]:
    """The `streamlit run` command line: headless, no usage statistics sent anywhere, uploads
    capped at the API's own limit."""
    from assistant.config import PROJECT_ROOT, get_settings

    return [
        sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "ui" / "app.py"),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--server.maxUploadSize", str(math.ceil(get_settings().max_upload_mb)),
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "minimal",  # no Deploy button or developer menu (English) for users
        "--theme.primaryColor", "#1f5aa6",  # a calm administrative blue rather than the default red
    ]  # fmt: skip


def streamlit_env(api_url: str) -> dict[str, str]:
    """Streamlit's environment: this one plus the API URL (read by the app through Settings) and
    the project root on the import path (`streamlit run` puts only the script's folder there)."""
    from assistant.config import PROJECT_ROOT

    # Copied, not read for a setting: Streamlit must see everything (YAKUBA_*, proxies, locale).
    env = dict(os.environ)
    env["YAKUBA_UI_API_URL"] = api_url
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def ui(
    host: str = typer.Option("127.0.0.1", "--host", help="Address the web UI listens on."),
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port the web UI listens on."),
    api_url: str | None = typer.Option(
        None,
        "--api-url",
        help="Base URL of the Yakuba API (default: $YAKUBA_UI_API_URL or http://127.0.0.1:8000).",
    ),
) -> None:
    """Start the web UI (Streamlit, Japanese) as a client of the Yakuba API (`yakuba serve`)."""
    from assistant.config import PROJECT_ROOT, get_settings

    url = api_url or get_settings().ui_api_url
    typer.echo(f"Yakuba UI on http://{host}:{port} (API: {url}); stop with Ctrl+C.")
    os.chdir(PROJECT_ROOT)
    # Become Streamlit (exec, not a child): signals from a terminal or a service manager reach it
    # directly, and no orphan is left behind when this process is stopped.
    command = streamlit_command(host, port)
    sys.stdout.flush()
    os.execve(command[0], command, streamlit_env(url))
