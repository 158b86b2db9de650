"""The app's pages, rendered in a loop while a real writer process ingests, models and
publishes: no lock error (or any error) reaches the user, and every page shows exactly one
published version of the data."""

from __future__ import annotations

import itertools
import time

import pytest

from analytics.app import server as app_server
from analytics.serving import open_serving, publish_snapshot, snapshot_history
from analytics.warehouse import open_warehouse

from .test_concurrent import _writer

APP = str(app_server.APP)


def _metrics(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m.label: m.value for m in at.metric}


def _expected(warehouse, version: int) -> dict[str, dict[str, str]]:
    """What the Fleet and Data pages must show for one published version, from the library."""
    from analytics.app import queries

    with open_serving(warehouse, version=version) as wh:
        src = queries.sources(wh)
        fleet = queries.fleet_vehicles(wh)
    soh = fleet["soh_pct"].drop_nulls()
    return {
        "data": {
            "Files": f"{src.height:,}",
            "Rows written": f"{int(src['rows_written'].fill_null(0).sum()):,}",
        },
        "fleet": {
            "Vehicles": f"{fleet.height:,}",
            "Median SoH": f"{soh.median():.1f} %" if soh.len() else "—",
        },
    }


@pytest.mark.slow
def test_pages_render_one_complete_version_while_a_job_writes(warehouse, fleet_dir, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ANALYTICS_WAREHOUSE", str(warehouse))
    with open_warehouse(warehouse) as wh:
        publish_snapshot(wh)
    shown: list[tuple[str, int, dict[str, str]]] = []
    problems: list[str] = []

    def render(page: str) -> None:
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        if page != "fleet":
            at.switch_page(f"analytics/app/pages/{page}.py").run()
        problems.extend(str(e.value) for e in (*at.exception, *at.error))
        problems.extend(w.value for w in at.warning if "lock" in w.value.lower())
        shown.append((page, int(at.session_state["serving_version"]), _metrics(at)))

    render("fleet")  # warm: Streamlit's first script run imports the app's modules
    writer = _writer(warehouse, fleet_dir)
    deadline = time.monotonic() + 240
    for i in itertools.count():
        done = writer.poll() is not None
        render(("fleet", "data")[i % 2])
        if done or time.monotonic() > deadline:
            break
    output = writer.communicate()[0].decode()
    assert writer.returncode == 0, output
    assert problems == []

    versions = [h["version"] for h in snapshot_history(warehouse)]
    assert versions == [1, 2, 3]
    expected = {v: _expected(warehouse, v) for v in versions}
    for page, version, metrics in shown:  # the page's numbers are those of the version it read
        want = expected[version][page]
        assert {k: metrics.get(k) for k in want} == want, (page, version, metrics)
    seen = {version for _, version, _ in shown}
    assert {1, 3} <= seen, seen  # renders before and after the writer's publishes
    # the versions really differ on both pages, so the check above can tell them apart
    assert expected[1]["data"] != expected[2]["data"]
    assert expected[2]["fleet"] != expected[3]["fleet"]
    assert len(shown) >= 3
