"""Time to first render of the app's Fleet and Vehicle pages on a 1,000-vehicle warehouse.

The warehouse holds derived tables generated directly (``analytics.reports.synthetic``:
sessions, SoH series and observations, forecasts, milestones, charging tables and 3-hourly
cell-voltage and odometer signals; default 1,000 vehicles x 365 days), and a serving snapshot
is published from it, as every writing command does. Simulating and processing raw telemetry
for 1,000 vehicles would take far longer than the thing measured.

Measured, per page (Fleet at ``/fleet``, Vehicle at ``/vehicle?vehicle=<id>``):

* browser, cold start — a fresh server, started as ``analytics app`` starts it
  (``analytics.app.server``: the pages' libraries are imported before it accepts
  connections), and a fresh headless Chromium context; time from the navigation's start to
  the page's metric ("Vehicles" / "SoH") being painted, and to the page being settled (script
  finished, nothing stale, no spinner). Timed inside the page (``performance.now()`` from a
  MutationObserver and the next animation frame), so no polling delay of the test driver is
  counted. Includes empty caches and loading the frontend;
* browser, warm — the same server with the data cached: the URL loaded again (a new
  session), and the page reached from the other one through the navigation (a rerun in the
  same session, as a user moves between pages);
* AppTest — the page script's run time in-process, without a frontend: cold (cache
  cleared) and warm (a new session on the cached data), with the time of every query the
  cold run made.

Baselines in the same run: the page's queries run directly on the snapshot (one connection
each, as the app's cache does; no Streamlit); the same browser runs on a 20-vehicle
warehouse (what the fleet's size costs); the import of the app's modules in a fresh process
(what the server's preload takes off the first visit); and, in the browser, floors served
the way the app is (an ``st.App`` whose pages carry their server's address): a one-metric
Streamlit script, the same metric behind a seven-page ``st.navigation`` (what the framework
itself costs), and the app with its Fleet and Vehicle pages cut to their heads, the header
and metrics without the filters, charts and tables below them (what the page's own head
costs; the rest of the full page's time is what those elements cost to draw).

Targets: cold under 2 s and warm under 0.5 s per page, judged on the browser medians to the
metric being visible (warm: both the reload and the page switch). Needs Chromium for the browser rows (``bash scripts/browser.sh``).

    .venv/bin/python benchmarks/app_render.py [--vehicles 1000] [--days 365] [--repeat 3]
        [--baseline-vehicles 20]
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analytics.app.server import APP

ROOT = Path(__file__).resolve().parents[1]
KEY = "benchmark-key-0123456789"
TARGET_COLD, TARGET_WARM = 2.0, 0.5


def _browser_util() -> Any:
    """The browser test's server and browser helpers (tests/app/browser_util.py)."""
    spec = importlib.util.spec_from_file_location(
        "browser_util", ROOT / "tests" / "app" / "browser_util.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> str:
    """Rows of the main tables in the published snapshot: what the pages were measured on."""
    from analytics.serving import open_serving

    tables = ("sessions", "soh", "soh_observations", "forecasts", "charging_sessions")
    with open_serving(path) as wh:
        wh.con.execute("SET enable_progress_bar = false")
        counts = [(t, wh.one(f"SELECT count(*) FROM {t}")[0]) for t in (*tables, "signal_minutes")]
    return ", ".join(f"{t} {n:,}" for t, n in counts)


def _build(path: Path, vehicles: int, days: int) -> tuple[float, float, Any]:
    from analytics.reports.synthetic import populate
    from analytics.serving import publish_snapshot
    from analytics.warehouse import open_warehouse

    t0 = time.perf_counter()
    with open_warehouse(path) as wh:
        populate(wh, vehicles=vehicles, days=days, seed=11)
        wh.con.execute("CHECKPOINT")
        t1 = time.perf_counter()
        info = publish_snapshot(wh)
    return t1 - t0, time.perf_counter() - t1, info


# --- AppTest: script run time and the queries it makes ---------------------------------


def _apptest(vid: str, repeat: int) -> dict[str, Any]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    log: list[tuple[str, tuple[Any, ...], float]] = []
    _browser_util().record_queries(log)  # every query the app runs, timed
    # without a server, Streamlit warns on this (the driver's) thread that it has neither a
    # runtime nor a script context, at every cache clear and page switch: nothing about the pages
    # (a filter: Streamlit resets its loggers' levels when its configuration is read)
    for name in ("scriptrunner_utils.script_run_context", "caching.cache_data_api"):
        logging.getLogger(f"streamlit.runtime.{name}").addFilter(
            lambda record: record.levelno >= logging.ERROR
        )
    out: dict[str, Any] = {"times": {}, "queries": {}}

    def run(at: AppTest) -> float:
        t0 = time.perf_counter()
        at.run()
        dt = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError(f"the app raised: {at.exception[0].message}")
        return dt

    def add(page: str, kind: str, t: float) -> None:
        out["times"].setdefault((page, kind), []).append(t)

    # A new AppTest scans every installed package for components on its first run (up to
    # a second here); a server does that once at start. Share one scan between sessions.
    first = AppTest.from_file(str(APP), default_timeout=300)
    st.cache_data.clear()
    run(first)  # warm-up: imports and first plans are not part of a page's render
    components = getattr(first, "_bidi_component_manager", None)

    def new() -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=300)
        if components is not None:
            at._bidi_component_manager = components
        return at

    def vehicle_page(at: AppTest) -> AppTest:
        at.query_params["vehicle"] = vid
        at.switch_page("analytics/app/pages/vehicle.py")
        return at

    for _ in range(repeat):
        st.cache_data.clear()
        log.clear()
        add("Fleet", "cold", run(new()))
        out["queries"]["Fleet"] = list(log)
        add("Fleet", "warm", run(new()))
        at = new()
        run(at)
        st.cache_data.clear()
        log.clear()
        add("Vehicle", "cold", run(vehicle_page(at)))
        out["queries"]["Vehicle"] = list(log)
        labels = [m.label for m in at.metric]
        if "SoH" not in labels:
            raise RuntimeError(f"the Vehicle page shows no SoH metric (metrics: {labels})")
        warm = new()
        run(warm)
        add("Vehicle", "warm", run(vehicle_page(warm)))
    return out


def _queries_alone(path: Path, calls: list[tuple[str, tuple[Any, ...], float]]) -> float:
    """The page's queries run directly, each on its own snapshot connection."""
    from analytics.app import queries
    from analytics.serving import open_serving

    t0 = time.perf_counter()
    for name, args, _ in calls:
        fn = getattr(queries, name)
        fn = getattr(fn, "__wrapped__", fn)
        with open_serving(path) as wh:
            fn(wh, *args)
    return time.perf_counter() - t0


# --- the real browser ------------------------------------------------------------------


# Timed inside the page, so the figures carry no polling delay of the test driver: a
# MutationObserver notes (performance.now(), ms since the navigation started) when each metric
# label first appears and the next animation frame after it (when it is painted), and every
# moment the page becomes settled (DRAWN_JS). For a page switch the clock restarts at the
# click on the navigation link.
_MARKS_JS = """
(() => {
  const DRAWN = %s;
  const fresh = (start) => ({start: start, shown: {}, frame: {}, drawn: [], wasDrawn: false});
  let m = fresh(0);
  const check = () => {
    for (const el of document.querySelectorAll('[data-testid="stMetricLabel"]')) {
      const label = el.textContent.trim(), marks = m;
      if (marks.shown[label] === undefined) {
        marks.shown[label] = performance.now();
        requestAnimationFrame(() => { marks.frame[label] = performance.now(); });
      }
    }
    // settled: drawn after the metric appeared (a quick rerun can start and end between two
    // observer callbacks, so "drawn" need not have turned false in between)
    const drawn = DRAWN();
    const lastShown = Math.max(-1, ...Object.values(m.shown));
    const lastDrawn = m.drawn.length ? m.drawn[m.drawn.length - 1] : -1;
    if (drawn && (!m.wasDrawn || lastDrawn < lastShown)) m.drawn.push(performance.now());
    m.wasDrawn = drawn;
  };
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true});
  document.addEventListener('click', (e) => {
    if (e.target.closest('[data-testid="stSidebarNavLink"], [data-testid="stTopNavLink"]'))
      m = fresh(performance.now());
  }, true);
  window.__benchMarks = () => m;
})();
"""


def _marks_js(bu: Any) -> str:
    return _MARKS_JS % bu.DRAWN_JS


_DONE_JS = """label => { const m = window.__benchMarks && window.__benchMarks();
  return m && m.frame[label] !== undefined && m.drawn.some(t => t >= m.shown[label]); }"""


def _timed(page: Any, label: str, act: Callable[[], None]) -> tuple[float, float]:
    """(metric painted, page settled) seconds after ``act`` (a navigation or a click) began."""
    act()
    page.wait_for_function(_DONE_JS, arg=label, timeout=120_000, polling=50)
    m = page.evaluate("() => window.__benchMarks()")
    painted = m["frame"][label]
    settled = max(painted, min(t for t in m["drawn"] if t >= m["shown"][label]))
    return (painted - m["start"]) / 1000, (settled - m["start"]) / 1000


def _no_dialog(page: Any, url: str) -> None:
    """A page timed with a dialog over it (Streamlit's "Page not found", an error) would time
    the wrong thing: stop with what the dialog says."""
    dialog = page.locator('[role="dialog"]')
    if dialog.count():
        raise RuntimeError(f"{url} opened with a dialog: {dialog.first.inner_text()[:300]!r}")


def _nav_link(page: Any, url_path: str) -> Any:
    """The navigation link to a page, found by its URL path (its text starts with an icon)."""
    target = url_path.split("?")[0]
    return page.locator(
        f'[data-testid="stSidebarNavLink"][href$="{target}"], '
        f'[data-testid="stTopNavLink"][href$="{target}"]'
    )


def _browser(
    bu: Any,
    warehouse: Path,
    script: Path,
    pages: dict[str, tuple[str, str]],
    repeat: int,
    tmp: Path,
) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """Per (page, cold|reload|switch): (metric visible s, settled s) for each repeat.

    cold: the first page a fresh server serves to a fresh browser profile; reload: the same URL
    loaded again (a new session on cached data); switch: reached from another page through
    the navigation, as a user moves between pages (only for apps with navigation).
    """
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for name, (url_path, label) in pages.items():
        others = [p for p in pages if p != name]
        for i in range(repeat):
            log = tmp / f"server-{name}-{i}.log"
            # a fresh browser profile per server: the cold load is a first visit, and reloads
            # find the profile's caches as a user's browser does
            profile = tmp / f"profile-{script.stem}-{name}-{i}"
            with (
                bu.app_server(warehouse, log, script=script) as url,
                bu.browser_page(profile=profile) as page,
            ):
                page.context.add_init_script(_marks_js(bu))
                for kind in ("cold", "reload", "reload", "reload"):
                    page.goto("about:blank")
                    # a new document: its clock starts at this navigation
                    go = functools.partial(page.goto, url + url_path, wait_until="commit")
                    out.setdefault((name, kind), []).append(_timed(page, label, go))
                    _no_dialog(page, url + url_path)
                for other in others * 3:
                    _timed(page, pages[other][1], _nav_link(page, pages[other][0]).click)
                    out.setdefault((name, "switch"), []).append(
                        _timed(page, label, _nav_link(page, url_path).click)
                    )
    return out


_IMPORTS = """
import time, streamlit
t0 = time.perf_counter()
from analytics.app.server import preload
preload()
print(time.perf_counter() - t0)
"""


def _imports(repeat: int) -> list[float]:
    """What the server's preload takes (after Streamlit): off the first visit since the server
    runs it before accepting connections."""
    return [
        float(
            subprocess.run(
                [sys.executable, "-c", _IMPORTS],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout
        )
        for _ in range(repeat)
    ]


def _blank_script(folder: Path) -> Path:
    script = folder / "blank_app.py"
    script.write_text('import streamlit as st\n\nst.metric("Vehicles", 1000)\n')
    return script


_NAV_SCRIPT = """import streamlit as st

st.set_page_config(page_title="floor", layout="wide")


def first():
    st.header("Fleet")
    st.metric("Vehicles", 1000)


def other():
    st.write("another page")


def home():
    st.switch_page(pages[0])


pages = [st.Page(first, title="Fleet", url_path="fleet", icon=":material/directions_car:")]
pages += [st.Page(other, title=f"Page {i}", url_path=f"p{i}", icon=":material/bolt:") for i in range(6)]
# as in app.py, the default page is a hidden one: the default page has no address of its own
navigation = st.navigation([st.Page(home, url_path="home", default=True, visibility="hidden"), *pages])
st.sidebar.caption("one metric behind the navigation")
navigation.run()
"""


def _nav_script(folder: Path) -> Path:
    script = folder / "nav_app.py"
    script.write_text(_NAV_SCRIPT)
    return script


# The app with its Fleet and Vehicle pages cut to their heads: the same navigation, sidebar,
# queries and metrics, without the filters, charts and tables below them.
_HEADS_SCRIPT = """import streamlit as st

from analytics.app.context import run_page, select_vehicle, sidebar_status
from analytics.app.pages import PAGES, fleet, vehicle

st.set_page_config(page_title="EV battery analytics", layout="wide")


def fleet_head(ctx):
    st.header("Fleet")
    fleet.kpis(ctx.read("fleet_vehicles"))


def vehicle_head(ctx):
    vid = select_vehicle(ctx)
    if vid is not None:
        vehicle.headline(vid, ctx.read("vehicle_detail", vid))


def fleet_page():
    run_page(fleet_head, "Fleet")


def vehicle_page():
    run_page(vehicle_head, "Vehicle")


def page(spec):
    run = {"fleet": fleet_page, "vehicle": vehicle_page}.get(spec.url_path, str(spec.script))
    return st.Page(run, title=spec.title, url_path=spec.url_path, icon=spec.icon)


def home():
    st.switch_page(pages[0])


pages = [page(p) for p in PAGES]
navigation = st.navigation([st.Page(home, url_path="home", default=True, visibility="hidden"), *pages])
sidebar_status()
navigation.run()
"""


def _heads_script(folder: Path) -> Path:
    script = folder / "heads_app.py"
    script.write_text(_HEADS_SCRIPT)
    return script


# --- report ---------------------------------------------------------------------------


def _pages(vid: str) -> dict[str, tuple[str, str]]:
    """The pages timed: URL path and the label of the metric that shows they rendered."""
    return {"Fleet": ("/fleet", "Vehicles"), "Vehicle": (f"/vehicle?vehicle={vid}", "SoH")}


def _row(page: str, what: str, times: list[float], target: float | None) -> str:
    med, lo, hi = statistics.median(times), min(times), max(times)
    verdict = "" if target is None else ("met" if med < target else "MISSED")
    tgt = "" if target is None else f"< {target:g} s"
    return f"{page:<8} {what:<40} {med:>8.3f} {lo:>7.3f} {hi:>7.3f}   {tgt:<8} {verdict}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--baseline-vehicles",
        type=int,
        default=20,
        help="the same browser runs on a warehouse this small (0: leave out)",
    )
    ap.add_argument(
        "--vehicle", default=None, help="vehicle for the Vehicle page (default: middle one)"
    )
    args = ap.parse_args()
    bu = _browser_util()
    os.environ["ANALYTICS_REPORT_KEY"] = KEY
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        path = tmp / "warehouse.duckdb"
        t_build, t_pub, snap = _build(path, args.vehicles, args.days)
        vid = args.vehicle or f"V{args.vehicles // 2:04d}"
        print(
            f"warehouse: {args.vehicles} vehicles x {args.days} days of derived tables in {t_build:.1f} s "
            f"({path.stat().st_size / 1e6:.0f} MB); snapshot published in {t_pub:.1f} s "
            f"({snap.path.stat().st_size / 1e6:.0f} MB); Vehicle page shows {vid}"
        )
        print(f"snapshot rows: {_rows(path)}")
        os.environ["ANALYTICS_WAREHOUSE"] = str(path)
        at = _apptest(vid, args.repeat)
        base = {
            page: [_queries_alone(path, calls) for _ in range(args.repeat)]
            for page, calls in at["queries"].items()
        }
        pages = _pages(vid)
        browser = blank = heads = imports = small = None
        if bu.chromium_path() is None:
            print("no Chromium (run `bash scripts/browser.sh`): browser rows left out")
        else:
            browser = _browser(bu, path, APP, pages, args.repeat, tmp)
            imports = _imports(args.repeat)
            blank = _browser(
                bu, path, _blank_script(tmp), {"blank": ("/", "Vehicles")}, args.repeat, tmp
            )
            blank |= _browser(
                bu, path, _nav_script(tmp), {"nav": ("/fleet", "Vehicles")}, args.repeat, tmp
            )
            heads = _browser(bu, path, _heads_script(tmp), pages, args.repeat, tmp)
            if args.baseline_vehicles:
                small_path = tmp / "small.duckdb"
                _build(small_path, args.baseline_vehicles, args.days)
                small_vid = f"V{args.baseline_vehicles // 2:04d}"
                small = _browser(bu, small_path, APP, _pages(small_vid), args.repeat, tmp)

    print(
        f"\nseconds, median, min and max over {args.repeat} runs (warm browser: 3 reloads and 3 switches per run); "
        "'metric' = the page's metric visible, 'settled' = script finished and drawn"
    )
    print(
        f"{'page':<8} {'measure':<40} {'median':>8} {'min':>7} {'max':>7}   {'target':<8} verdict"
    )
    verdicts = []
    for page in pages:
        if browser:
            for kind, what, target in (
                ("cold", "browser cold start", TARGET_COLD),
                ("reload", "browser warm, reload", TARGET_WARM),
                ("switch", "browser warm, page switch", TARGET_WARM),
            ):
                runs = browser[page, kind]
                print(_row(page, f"{what}: metric", [r[0] for r in runs], target))
                print(_row(page, f"{what}: settled", [r[1] for r in runs], None))
                verdicts.append(statistics.median(r[0] for r in runs) < target)
        if heads:
            for kind in ("reload", "switch"):
                what = f"baseline: its head alone, browser {kind}"
                print(_row(page, what, [r[0] for r in heads[page, kind]], None))
        print(_row(page, "AppTest cold cache: script run", at["times"][page, "cold"], None))
        print(_row(page, "AppTest warm: script run", at["times"][page, "warm"], None))
        print(_row(page, "baseline: its queries alone", base[page], None))
        if small:
            for kind in ("cold", "reload", "switch"):
                what = f"baseline: {args.baseline_vehicles} vehicles, browser {kind}"
                print(_row(page, what, [r[0] for r in small[page, kind]], None))
    if imports:
        print(_row("baseline", "server preload (before the first visit)", imports, None))
    if blank:
        for script, name in (("blank", "one-metric script"), ("nav", "one metric + navigation")):
            for kind in ("cold", "reload"):
                runs = blank[script, kind]
                what = f"{name}, browser " + ("cold start" if kind == "cold" else "reload")
                print(_row("baseline", what, [r[0] for r in runs], None))

    print("\nqueries of the cold AppTest run (last repeat), slowest first:")
    for page, calls in at["queries"].items():
        for name, qargs, t in sorted(calls, key=lambda c: -c[2]):
            shown = ", ".join(repr(a) for a in qargs)
            print(f"  {page:<8} analytics.app.queries.{name}({shown}) {t:.3f} s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\nmachine: {os.cpu_count()} cores, load average {load_before:.1f} before and "
        f"{load:.1f} after the run (above the core count, every figure is inflated)"
    )
    if browser:
        print(
            f"targets (cold < {TARGET_COLD:g} s, warm < {TARGET_WARM:g} s per page, browser medians): "
            f"{'all met' if all(verdicts) else 'MISSED (see rows above)'}"
        )


if __name__ == "__main__":
    main()
