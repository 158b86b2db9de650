"""``analytics app``: open the Streamlit app on the warehouse (read-only)."""

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
    from pathlib import Path

    from analytics.config import WAREHOUSE_ENV, resolve_warehouse
    from analytics.errors import ConfigError
    from analytics.warehouse import open_warehouse

    path = resolve_warehouse(args.warehouse).resolve()
    open_warehouse(path, read_only=True).close()  # fail early with a clear message
    app = Path(__file__).resolve().parents[3] / "app.py"
    if not app.exists():
        raise ConfigError(
            f"app.py not found next to the package ({app}); run from a source checkout"
        )
    env = dict(os.environ, **{WAREHOUSE_ENV: str(path)})
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(args.port),
        "--server.headless",
        "true" if args.headless else "false",
        "--browser.gatherUsageStats",
        "false",
    ]
    print(f"serving {path} on http://localhost:{args.port} (Ctrl+C to stop)")
    return subprocess.call(cmd, env=env)
