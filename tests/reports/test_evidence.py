"""Thin evidence gives a low grade and says so; absent upstream tables degrade, never invent."""

from __future__ import annotations

import json

import pytest

from analytics.reports.build import KINDS, build_report
from analytics.reports.schema import validate_report
from tests.reports.conftest import LONG, SHORT, TEST_KEY

KEY = TEST_KEY.encode()


def test_a_week_of_data_is_reported_as_thin(ro):
    thin = build_report(ro, SHORT, "finance", key=KEY)
    rich = build_report(ro, LONG, "finance", key=KEY)
    t, r = thin["data_sufficiency"], rich["data_sufficiency"]
    assert t["grade"] in {"D", "E"} and t["thin_evidence"]
    assert "thin" in t["statement"].lower() and "7 days" in t["statement"]
    assert r["grade"] in {"A", "B"} and not r["thin_evidence"]
    assert t["soh_interval_width_points"] > 2 * r["soh_interval_width_points"]
    # no degradation rate from one week: the section says so instead of a number
    assert thin["sections"]["degradation_rate"]["status"] == "missing"
    assert thin["sections"]["degradation_rate"]["notes"]


def test_thin_report_pdf_says_it(ro):
    import io

    from pypdf import PdfReader

    from analytics.reports.pdf import render_pdf

    report = build_report(ro, SHORT, "finance", key=KEY)
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(report))).pages).split()
    )
    assert "Evidence is thin" in text


@pytest.fixture
def bare_warehouse(tmp_path):
    """Only vehicles and a few signals: every derived table empty."""
    from datetime import UTC, datetime, timedelta

    from analytics.warehouse import open_warehouse

    wh = open_warehouse(tmp_path / "bare.duckdb")
    wh.execute(
        "INSERT INTO vehicles (vehicle_id, make, model, nominal_capacity_kwh) VALUES ('B1', 'Volta', 'City 40', 42)"
    )
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    for i in range(5):
        wh.execute(
            "INSERT INTO signals VALUES ('B1', ?, 'Vehicle.TraveledDistance', ?, NULL)",
            [t0 + timedelta(days=i), 100.0 + i],
        )
    yield wh
    wh.close()


@pytest.mark.parametrize("kind", KINDS)
def test_empty_derived_tables_degrade_gracefully(bare_warehouse, kind):
    report = build_report(bare_warehouse, "B1", kind, key=KEY)
    validate_report(report)
    soh = report["sections"]["state_of_health"]
    assert soh["status"] == "missing" and "analytics soh" in soh["notes"][0]
    assert report["data_sufficiency"]["grade"] == "E"
    for name, sec in report["sections"].items():
        if sec["status"] == "missing":
            assert sec["notes"], name
    text = json.dumps(report)
    assert '"capacity_fade": null' in text  # passport field present, honestly empty


def test_absent_tables_are_named(bare_warehouse):
    for table in (
        "charging_flexibility",
        "charging_sessions",
        "charging_profile_mix",
        "charging_profiles",
        "milestones",
        "forecasts",
    ):
        bare_warehouse.execute("DROP VIEW IF EXISTS charging_flexibility_fleet")
        bare_warehouse.execute(f"DROP TABLE {table}")
    fin = build_report(bare_warehouse, "B1", "finance", key=KEY)
    assert "no `forecasts` table" in fin["sections"]["forecast_at_loan_end"]["notes"][0]
    util = build_report(bare_warehouse, "B1", "utility", key=KEY)
    assert "no `charging_flexibility` table" in util["sections"]["flexibility"]["notes"][0]


def test_unknown_vehicle_is_a_clear_error(ro):
    from analytics.errors import ReportError

    with pytest.raises(ReportError, match="unknown vehicle 'NOPE'"):
        build_report(ro, "NOPE", "finance", key=KEY)
    with pytest.raises(ReportError, match="unknown report kind"):
        build_report(ro, LONG, "mortgage", key=KEY)
