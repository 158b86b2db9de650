"""Run the Streamlit app in a real server and drive it with headless Chromium.

Shared by the browser test and ``benchmarks/app_render.py``. The browser is Debian's
``chromium`` package (``scripts/browser.sh`` installs it), launched by Playwright with flags
that keep it from reaching out to the network: on a closed network its background
connections would only be refused.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from analytics.app.server import APP

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ENV = "ANALYTICS_CHROMIUM"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A page is drawn when the script run is over (the app root's script state, which is
# "initial" before the first run) and nothing is stale, loading or spinning.
DRAWN_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector(
      '[data-stale="true"], [data-testid="stSpinner"], [data-testid="stSkeleton"]');
}"""


def chromium_path() -> Path | None:
    """The Chromium binary to use (``$ANALYTICS_CHROMIUM`` or Debian's), or None when absent."""
    path = Path(os.environ.get(CHROMIUM_ENV) or "/usr/bin/chromium")
    return path if path.is_file() and os.access(path, os.X_OK) else None


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_SERVE_SCRIPT = """
import sys
import uvicorn
from analytics.app.asgi import make_app
script, host, port = sys.argv[1:4]
uvicorn.run(make_app(script), host=host, port=int(port), log_level="warning")
"""


@contextlib.contextmanager
def app_server(
    warehouse: Path, log: Path, *, script: Path = APP, timeout: float = 60.0
) -> Iterator[str]:
    """Start the app as ``analytics app`` does (``python -m analytics.app.server``) on a free
    loopback port; yield its URL. Another ``script`` is served the way the app is (an
    ``st.App`` whose pages carry their server's address), under uvicorn, without the app's
    preload and cache warm-up.

    The server reads ``warehouse`` read-only; its output goes to ``log``, which the error
    message points to when the server does not come up.
    """
    port = free_port()
    env = {
        **os.environ,
        "ANALYTICS_WAREHOUSE": str(warehouse),
        "ANALYTICS_REPORT_KEY": os.environ.get(
            "ANALYTICS_REPORT_KEY", "browser-test-key-0123456789"
        ),
        "PYTHONUNBUFFERED": "1",
        # the same options for a script served without `streamlit run`'s command line
        "STREAMLIT_SERVER_HEADLESS": "true",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
    }
    if script == APP:
        cmd = [sys.executable, "-m", "analytics.app.server", "--server.headless", "true"]
        cmd += ["--server.port", str(port), "--server.address", "127.0.0.1"]
        cmd += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    else:
        cmd = [sys.executable, "-c", _SERVE_SCRIPT, str(script), "127.0.0.1", str(port)]
    url = f"http://127.0.0.1:{port}"
    with serving(cmd, url, log, env=env, timeout=timeout):
        yield url


@contextlib.contextmanager
def serving(
    cmd: list[str], url: str, log: Path, *, env: dict[str, str], timeout: float = 60.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server command from the repository folder, its output going to ``log``; yield
    its process once ``url`` answers Streamlit's health check, and stop it afterwards."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(url, proc, log, timeout)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the app server exited with status {proc.returncode}; see {log}:\n{log.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"the app server did not answer {url}/_stcore/health in {timeout:.0f} s; see {log}"
    )


@contextlib.contextmanager
def browser_page(
    *, width: int = 1400, height: int = 1000, profile: Path | None = None
) -> Iterator[object]:
    """A fresh Playwright page in headless Chromium; downloads are accepted.

    Without ``profile`` the page lives in a private (incognito-like) context, which keeps no
    compiled scripts between loads. With a ``profile`` folder it is a normal browser profile,
    as a user's browser is: its disk cache and compiled-code cache serve later loads.
    """
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise RuntimeError(
            f"no Chromium found; run `bash scripts/browser.sh` or set {CHROMIUM_ENV}"
        )
    options: dict[str, Any] = {
        "viewport": {"width": width, "height": height},
        "accept_downloads": True,
    }
    with sync_playwright() as pw, contextlib.ExitStack() as opened:
        if profile is None:
            browser = pw.chromium.launch(executable_path=str(exe), args=CHROMIUM_ARGS)
            opened.callback(browser.close)
            context = browser.new_context(**options)
        else:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=str(exe), args=CHROMIUM_ARGS, **options
            )
        opened.callback(context.close)  # closed first, then its browser
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page


def wait_drawn(page: object, *, timeout_ms: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script and drawing the page.

    Drawn must hold twice, 250 ms apart, as a script run can request another (a page
    switch, a query parameter set by the script). After a click in the same session, first
    wait for something the new run draws: until the rerun starts the old state holds.
    """
    for _ in range(2):
        page.wait_for_function(DRAWN_JS, timeout=timeout_ms, polling=100)  # type: ignore[attr-defined]
        page.wait_for_timeout(250)  # type: ignore[attr-defined]


def metric(page: object, label: str) -> object:
    """The locator of the ``st.metric`` labelled exactly ``label``."""
    return page.locator('[data-testid="stMetric"]').filter(  # type: ignore[attr-defined]
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)  # type: ignore[attr-defined]
    )


def screenshot(page: object, path: Path) -> Path:
    """A screenshot of the whole page, not just the window.

    Streamlit scrolls inside its main container, so Playwright's ``full_page`` sees only
    the window; the window is made as tall as the content for the shot, then restored.
    """
    size = page.viewport_size  # type: ignore[attr-defined]
    tall = page.evaluate(  # type: ignore[attr-defined]
        """() => Math.max(...['stMain', 'stAppViewContainer', 'stSidebarContent']
              .map(id => document.querySelector(`[data-testid="${id}"]`))
              .filter(Boolean).map(e => e.scrollHeight))"""
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(tall))})  # type: ignore[attr-defined]
    try:
        wait_drawn(page)
        page.wait_for_timeout(300)  # type: ignore[attr-defined]  # charts re-lay out on resize
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    finally:
        page.set_viewport_size(size)  # type: ignore[attr-defined]
    return path


def record_queries(
    log: list[tuple[str, tuple[object, ...], float]],
    patch: Callable[[object, str, object], None] = setattr,
) -> None:
    """Wrap every public function of ``analytics.app.queries`` so that each call the app
    makes (a cache miss) appends ``(name, args after the warehouse, seconds)`` to ``log``.

    ``patch`` installs a wrapper (pytest's ``monkeypatch.setattr`` undoes it after a test).
    """
    import functools

    from analytics.app import queries

    for name in queries.__all__:
        fn = getattr(queries, name)
        if not callable(fn) or getattr(fn, "__module__", "") != queries.__name__:
            continue

        def timed(*args: Any, _fn: Callable[..., Any] = fn, _name: str = name, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _fn(*args, **kw)
            finally:
                log.append((_name, args[1:], time.perf_counter() - t0))

        patch(queries, name, functools.wraps(fn)(timed))
