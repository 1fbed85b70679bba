"""`yakuba ui`: the Streamlit web UI (`streamlit run ui/app.py`), pointed at the Yakuba API."""

from __future__ import annotations

import math
import os
import sys

import typer


def streamlit_command(host: str, port: int, api_url: str) -> list[str]:
    """The `streamlit run` command line: headless, no usage statistics sent anywhere, uploads
    capped at the API's own limit, and the API's URL as a script argument (read by `ui.session`)."""
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
        "--", "--api-url", api_url,
    ]  # fmt: skip


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
    command = streamlit_command(host, port, url)
    sys.stdout.flush()
    os.execv(command[0], command)
