"""``analytics app``: open the Streamlit app on the warehouse's serving snapshot (read-only).

The app reads the newest snapshot that writing commands publish (``analytics publish``), so
it keeps working while a batch job writes. Without any data it still starts and every page
says what to run.
"""

from __future__ import annotations

import argparse

NAME = "app"
HELP = "open the Streamlit app (fleet views and valuation reports) on the warehouse"
ORDER = 95


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    parser.add_argument(
        "--headless", action="store_true", help="do not try to open a browser window"
    )


def run(args: argparse.Namespace) -> int:
    import os
    import subprocess
    import sys

    from analytics.config import WAREHOUSE_ENV, resolve_warehouse
    from analytics.errors import AnalyticsError, ConfigError
    from analytics.serving import current_snapshot, open_serving

    path = resolve_warehouse(args.warehouse).resolve()
    if path.exists() and current_snapshot(path) is None:
        _first_snapshot(path)
    try:
        open_serving(path).close()  # say now what the pages will say
        info = current_snapshot(path)
        what = (
            f"serving snapshot v{info.version}" if info else "the warehouse file (no snapshot yet)"
        )
    except AnalyticsError as exc:
        what = "nothing yet"
        print(f"note: {exc}")
    from analytics.app.server import APP

    if not APP.exists():
        raise ConfigError(
            f"app.py not found next to the package ({APP}); run from a source checkout"
        )
    env = dict(os.environ, **{WAREHOUSE_ENV: str(path)})
    cmd = [  # `streamlit run app.py` with the pages' libraries imported before the first visit
        sys.executable,
        "-m",
        "analytics.app.server",
        "--server.port",
        str(args.port),
        "--server.headless",
        "true" if args.headless else "false",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",  # as .streamlit/config.toml: no "Deploy" button
        "viewer",
    ]
    print(f"serving {path} ({what}) on http://localhost:{args.port} (Ctrl+C to stop)", flush=True)
    if os.name == "posix":  # become the server: signals reach it, nothing is left behind
        os.execve(sys.executable, cmd, env)
    return subprocess.call(cmd, env=env)


def _first_snapshot(path) -> None:  # type: ignore[no-untyped-def]
    """Publish a first snapshot, so the app never opens the live warehouse file (its read-only
    connections would make a batch job that starts meanwhile fail on the lock)."""
    from analytics.errors import AnalyticsError
    from analytics.serving import publish_snapshot
    from analytics.warehouse import open_warehouse

    try:
        with open_warehouse(path) as wh:
            info = publish_snapshot(wh)
        print(f"published a first serving snapshot (v{info.version}) for the app")
    except AnalyticsError as exc:  # e.g. a writer holds it: it publishes when it finishes
        print(f"note: no serving snapshot yet and none could be published now ({exc})")
