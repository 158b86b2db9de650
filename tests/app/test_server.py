"""``analytics app`` as a user starts it: a real server process, no browser.

The command publishes a first serving snapshot when the warehouse has none (so the app never
opens the live file), then becomes ``python -m analytics.app.server``, which imports the
pages' libraries before it accepts connections.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .browser_util import free_port, record_queries, serving

pytestmark = pytest.mark.slow


def test_analytics_app_publishes_a_first_snapshot_and_serves(tmp_path, app_warehouse, copy_of):
    from analytics.serving import current_snapshot

    path = copy_of(app_warehouse["path"])  # data, and no snapshot (that lives beside the source)
    assert current_snapshot(path) is None
    port = free_port()
    exe = shutil.which("analytics", path=str(Path(sys.executable).parent)) or "analytics"
    log = tmp_path / "app.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [exe, "--warehouse", str(path), "app", "--headless", "--port", str(port)]
    with serving(cmd, f"http://localhost:{port}", log, env=env, timeout=90) as proc:
        with urllib.request.urlopen(f"http://localhost:{port}/", timeout=10) as r:
            assert r.status == 200 and b"<html" in r.read().lower()
        # a page's own address carries the server's address (analytics.app.backend_url)
        ask = urllib.request.Request(
            f"http://localhost:{port}/vehicle?vehicle=x", headers={"Accept": "text/html"}
        )
        with urllib.request.urlopen(ask, timeout=10) as r:
            assert b"BACKEND_BASE_URL" in r.read()
        info = current_snapshot(path)
        assert info is not None and info.version == 1
        # the command became the server itself (no child left behind on Ctrl+C)
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"analytics.app.server" in cmdline
        deadline = time.monotonic() + 60  # the landing pages' queries are cached at start
        while "Cache warmed" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    text = log.read_text()
    assert "published a first serving snapshot (v1)" in text
    assert "Cache warmed: 6 queries" in text
    assert "No runtime found" not in text  # the preload's expected warning is kept quiet


def test_preload_imports_what_a_first_page_needs():
    """After the preload, serialising a table and a figure imports nothing more of note."""
    code = (
        "import sys, streamlit\n"
        "from analytics.app.server import preload\n"
        "preload()\n"
        "before = set(sys.modules)\n"
        "import polars as pl, plotly.graph_objects as go\n"
        "from streamlit import dataframe_util\n"
        "dataframe_util.convert_anything_to_arrow_bytes(pl.DataFrame({'a': [1.0]}))\n"
        "go.Figure(go.Scatter(x=[1], y=[2])).to_json()\n"
        "import analytics.app.pages.vehicle, analytics.app.tables\n"
        "new = sorted(set(sys.modules) - before)\n"
        "print(len(new), new[:20])\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count = int(res.stdout.split()[0])
    assert count == 0, res.stdout


def test_warm_cache_leaves_no_query_for_the_first_visit(monkeypatch, app_warehouse):
    """After the server's warm-up, the Fleet page and the first vehicle's page open without
    running the queries their first screen needs (same names and arguments as the pages)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from analytics.app.server import warm_cache

    from .conftest import APP, REPORT_KEY

    path = str(app_warehouse["path"])
    monkeypatch.setenv("ANALYTICS_WAREHOUSE", path)
    monkeypatch.setenv("ANALYTICS_REPORT_KEY", REPORT_KEY)
    st.cache_data.clear()
    warmed = warm_cache(path)
    assert warmed == [
        "data_status",
        "fleet_vehicles",
        "cohort_bands",
        "vehicle_ids",
        "vehicle_detail",
        "vehicle_signals",
    ]
    log: list[tuple[str, tuple[object, ...], float]] = []
    record_queries(log, patch=monkeypatch.setattr)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception and at.metric
    assert log == []
    at.switch_page("analytics/app/pages/vehicle.py").run()
    assert not at.exception
    assert [m for m in at.metric if m.label == "SoH"]
    first_screen = {"data_status", "vehicle_ids", "vehicle_detail", "vehicle_signals"}
    ran = [name for name, *_ in log]
    assert first_screen.isdisjoint(ran), ran  # only the sessions and signal ranges are read


def test_warm_cache_on_an_empty_warehouse_reads_only_the_status(empty_warehouse):
    import streamlit as st

    from analytics.app.server import warm_cache

    st.cache_data.clear()
    assert warm_cache(str(empty_warehouse)) == ["data_status"]


def test_server_options_are_streamlit_runs_and_a_wrong_one_is_named():
    """The server parses `streamlit run`'s options itself: an unknown one gets click's
    message (with the nearest names) and exit code 2, not a traceback."""
    out = subprocess.run(
        [sys.executable, "-m", "analytics.app.server", "--server.prot", "8501"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert "No such option '--server.prot'" in out.stderr and "--server.port" in out.stderr
    assert "Traceback" not in out.stderr
