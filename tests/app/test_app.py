"""The Streamlit app on a small generated warehouse: no exceptions, key elements, page switching."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = ["Fleet overview", "Vehicle", "Charging and flexibility", "Valuation reports"]


@pytest.fixture(scope="module")
def small_warehouse(tmp_path_factory):
    from analytics.reports.synthetic import populate
    from analytics.warehouse import open_warehouse

    path = tmp_path_factory.mktemp("app") / "warehouse.duckdb"
    with open_warehouse(path) as wh:
        populate(wh, vehicles=8, days=200, seed=5, with_signals=False)
    return path


def _run(monkeypatch, warehouse, page=None):
    monkeypatch.setenv("ANALYTICS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("ANALYTICS_REPORT_KEY", "app-test-key-0123456789")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page is not None:
        at.sidebar.radio(key="page").set_value(page)
        at.run()
    return at


def test_fleet_overview(monkeypatch, small_warehouse):
    at = _run(monkeypatch, small_warehouse)
    assert not at.exception
    assert at.header[0].value == "Fleet overview"
    labels = [m.label for m in at.metric]
    assert "Median SoH" in labels and "Median 90 % interval" in labels
    assert len(at.get("plotly_chart")) >= 2


@pytest.mark.parametrize("page", PAGES[1:])
def test_page_switching(monkeypatch, small_warehouse, page):
    at = _run(monkeypatch, small_warehouse, page)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert (
        at.header[0].value
        == {
            "Vehicle": "Vehicle",
            "Charging and flexibility": "Charging and flexibility",
            "Valuation reports": "Valuation reports",
        }[page]
    )


def test_vehicle_view_shows_interval(monkeypatch, small_warehouse):
    at = _run(monkeypatch, small_warehouse, "Vehicle")
    at.selectbox(key="vehicle_pick").set_value("V0002")
    at.run()
    assert not at.exception
    assert any("90 % interval" in c.value for c in at.caption)


def test_reports_page_offers_downloads(monkeypatch, small_warehouse):
    at = _run(monkeypatch, small_warehouse, "Valuation reports")
    for kind in ("finance", "insurance", "utility"):
        at.radio(key="report_kind").set_value(kind)
        at.run()
        assert not at.exception and not at.error
        assert any("fingerprint" in c.value for c in at.code)
    names = {b.proto.label for b in at.get("download_button")}
    assert names == {"Download JSON", "Download HTML", "Download PDF"}


def test_missing_warehouse_is_a_message(monkeypatch, tmp_path):
    at = _run(monkeypatch, tmp_path / "none.duckdb")
    assert not at.exception
    assert "No warehouse" in at.warning[0].value


def test_empty_warehouse_is_a_message(monkeypatch, tmp_path):
    from analytics.warehouse import open_warehouse

    path = tmp_path / "empty.duckdb"
    open_warehouse(path).close()
    for page in PAGES:
        at = _run(monkeypatch, path, page)
        assert not at.exception, page
        assert at.info, page  # says what to run
