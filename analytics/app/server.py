"""The app's server: ``streamlit run app.py`` with the pages' libraries imported first.

A Streamlit server imports an app's modules when the first visitor's page runs, so that visitor
waits for polars, DuckDB, pyarrow and the page modules on top of the page itself. Importing
them before the server accepts connections moves that wait into the server's start, where
nobody is looking at a blank page. The app is served as :mod:`analytics.app.asgi`, whose pages
carry their server's address. ``analytics app`` starts the server this way; it takes the same
options as ``streamlit run``::

    python -m analytics.app.server [streamlit run options ...]
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

from analytics.app.pages import PAGES

__all__ = ["APP", "PRELOAD", "main", "preload", "warm_cache"]

log = logging.getLogger(__name__)

APP = Path(__file__).resolve().parents[2] / "app.py"

PRELOAD = (
    "duckdb",
    "polars",
    "pandas",
    "pyarrow",
    "plotly.graph_objects",
    "analytics.lake",
    "analytics.serving",
    *(f"analytics.app.pages.{p.url_path}" for p in PAGES),  # and the app modules they import
)
"""Modules every page run needs: imported once, before the first visitor."""


def preload() -> None:
    """Import :data:`PRELOAD` (importing a page module draws nothing: see ``pages``)."""
    # the pages' cached functions are defined at import; before the server runs, Streamlit
    # warns that it has no runtime yet, which is expected here and not worth a line
    cache_log = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = cache_log.level
    cache_log.setLevel(logging.ERROR)
    try:
        for name in PRELOAD:
            importlib.import_module(name)
        with contextlib.suppress(ImportError):  # Streamlit's icon names, private: may move
            importlib.import_module("streamlit.material_icon_names")
    finally:
        cache_log.setLevel(level)
    _exercise()


def _exercise() -> None:
    """Serialise a small table and figure the way pages do: the libraries load the rest of
    their modules (pandas and pyarrow internals, plotly's trace classes) on first use."""
    from datetime import UTC, date, datetime

    import plotly.graph_objects as go
    import polars as pl
    from plotly.subplots import make_subplots
    from streamlit import dataframe_util

    frame = pl.DataFrame(
        {
            "x": [1.5],
            "n": [1],
            "s": ["a"],
            "d": [date(2020, 1, 1)],
            "t": [datetime(2020, 1, 1, tzinfo=UTC)],
        }
    )
    dataframe_util.convert_anything_to_arrow_bytes(frame)
    fig = make_subplots(rows=2, cols=1)
    for trace in (go.Scatter, go.Scattergl, go.Histogram, go.Bar):
        fig.add_trace(trace(x=[0, 1], y=[0, 1]), row=1, col=1)
    fig.update_layout(title="warm-up", xaxis_title="x")
    fig.to_json()


def warm_cache(path: str) -> list[str]:
    """Run the queries a first visit to the Fleet page (and the Vehicle page of the first
    vehicle) makes, through the app's cache: the first visitor then finds them cached.

    Returns the names of the queries run. Any failure is left for the page to report.
    """
    from analytics.app import cache
    from analytics.app.context import PageContext
    from analytics.app.queries import COHORT_GROUPS

    done: list[str] = []
    try:
        key = cache.data_key(path)
        ctx = PageContext(path, key, cache.read("data_status", path, key))
        done.append("data_status")
        if ctx.status["empty"]:
            return done

        def read(name: str, *args: object) -> Any:
            out = ctx.read(name, *args)
            done.append(name)
            return out

        read("fleet_vehicles")
        read("cohort_bands", next(iter(COHORT_GROUPS)), None)
        ids = read("vehicle_ids")
        if ids:
            read("vehicle_detail", ids[0])
            read("vehicle_signals", ids[0])
    except Exception:  # the page says what is wrong, with what to do
        log.debug("cache warm-up stopped", exc_info=True)
    return done


def _warm_when_running(timeout_s: float = 60.0) -> None:
    """Wait for Streamlit's runtime (its cache lives there), then :func:`warm_cache`."""
    from streamlit import runtime

    from analytics.config import resolve_warehouse

    deadline = time.monotonic() + timeout_s
    while not runtime.exists():
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)
    t0 = time.perf_counter()
    done = warm_cache(str(resolve_warehouse()))
    print(f"  Cache warmed: {len(done)} queries in {time.perf_counter() - t0:.2f} s", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Preload, then serve ``app.py`` as ``streamlit run app.py`` would, with ``argv`` as its
    options, through :mod:`analytics.app.asgi` (pages that know their server's address); the
    landing pages' queries are cached as soon as the server runs (:func:`warm_cache`)."""
    import click
    from streamlit.runtime.credentials import check_credentials
    from streamlit.web import bootstrap, cli

    args = sys.argv[1:] if argv is None else argv
    # `streamlit run`'s own option parsing and configuration, then its way of serving an
    # st.App: the options mean exactly what they mean to `streamlit run app.py`
    try:
        with cli.main_run.make_context("streamlit run", [str(APP), *args]) as ctx:
            flags = {k: v for k, v in ctx.params.items() if k not in ("target", "args")}
            script_args = list(ctx.params.get("args") or ())
    except click.exceptions.Exit as done:  # --help
        sys.exit(done.exit_code)
    except click.ClickException as bad:  # an unknown option: click's own message
        bad.show()
        sys.exit(bad.exit_code)
    bootstrap.load_config_options(flag_options=flags)
    check_credentials()
    preload()
    threading.Thread(target=_warm_when_running, name="warm-cache", daemon=True).start()
    bootstrap.run_asgi_app(str(APP), "analytics.app.asgi:app", script_args, flags)


if __name__ == "__main__":
    main()
