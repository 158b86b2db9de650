"""The app's pages, rendered in a loop while a real writer process ingests, models and
publishes: no lock error (or any error) reaches the user, and every page shows exactly one
published version of the data."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from analytics.serving import open_serving, publish_snapshot, snapshot_history
from analytics.warehouse import open_warehouse

from .test_concurrent import _writer

APP = str(Path(__file__).resolve().parents[2] / "app.py")


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
    writer = _writer(warehouse, fleet_dir)
    shown: list[tuple[str, dict[str, str]]] = []
    problems: list[str] = []
    deadline = time.monotonic() + 240
    pages = ["fleet", "data"]
    i = 0
    while True:
        done = writer.poll() is not None
        page = pages[i % 2]
        i += 1
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        if page != "fleet":
            at.switch_page(f"analytics/app/pages/{page}.py").run()
        problems += [str(e.value) for e in (*at.exception, *at.error)]
        problems += [w.value for w in at.warning if "lock" in w.value.lower()]
        shown.append((page, _metrics(at)))
        if done or time.monotonic() > deadline:
            break
    output = writer.communicate()[0].decode()
    assert writer.returncode == 0, output
    assert problems == []

    versions = [h["version"] for h in snapshot_history(warehouse)]
    assert versions == [1, 2, 3]
    expected = {v: _expected(warehouse, v) for v in versions}
    for page, metrics in shown:
        candidates = [expected[v][page] for v in versions]
        got = {k: metrics.get(k) for k in candidates[0]}
        assert got in candidates, (page, got, candidates)
    # the versions really differ on both pages, so the check above can tell them apart
    assert expected[1]["data"] != expected[2]["data"]
    assert expected[2]["fleet"] != expected[3]["fleet"]
    assert len(shown) >= 6
