"""Every kind in every format for a demo vehicle; JSON validates; PDF text carries the key figures."""

from __future__ import annotations

import io
import json

import pytest

from analytics.reports.build import KINDS
from analytics.reports.issue import issue_report
from analytics.reports.schema import validate_report
from tests.reports.conftest import LONG


@pytest.fixture(scope="module")
def issued(report_warehouse, tmp_path_factory):
    import os

    from analytics.reports.privacy import KEY_ENV

    os.environ[KEY_ENV] = "test-key-0123456789abcdef"
    out = tmp_path_factory.mktemp("out")
    files = {}
    try:
        for kind in KINDS:
            for fmt in ("json", "html", "pdf"):
                report, path = issue_report(
                    report_warehouse, LONG, kind, fmt=fmt, out=out / f"{kind}.{fmt}"
                )
                files[kind, fmt] = (report, path)
    finally:
        del os.environ[KEY_ENV]
    return files


@pytest.mark.parametrize("kind", KINDS)
def test_json_validates_and_matches_the_returned_report(issued, kind):
    report, path = issued[kind, "json"]
    doc = json.loads(path.read_text())
    validate_report(doc)
    assert doc == report
    assert doc["kind"] == kind
    cap = doc["sections"]["state_of_health"]["capacity_soh"]
    assert cap["low"] < cap["value"] < cap["high"]
    assert cap["interval_pct"] == 90.0
    assert cap["method"].startswith("fused")


def test_each_health_figure_names_its_own_method(issued):
    """Resistance growth and energy SoH are not made the way the capacity SoH is: each says how
    it was made."""
    from analytics.reports.sections.common import _energy_method

    soh = issued["finance", "json"][0]["sections"]["state_of_health"]
    cap, energy, res = soh["capacity_soh"], soh["energy_soh"], soh["resistance_growth"]
    assert res["method"].startswith("kalman_rts(resistance)")
    assert energy["method"] != cap["method"] and cap["method"] in energy["method"]
    assert "resistive loss" in _energy_method({"soh_pct": 95.0, "energy_soh_pct": 94.2}, "m")
    same = _energy_method({"soh_pct": 95.0, "energy_soh_pct": 95.0}, "m")
    assert same.startswith("equal to the capacity SoH") and "no resistance reference" in same


@pytest.mark.parametrize("kind", KINDS)
def test_html_is_self_contained(issued, kind):
    report, path = issued[kind, "html"]
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert report["fingerprint"]["value"] in text
    assert "<svg" in text  # the SoH chart, inline
    # nothing to fetch: no scripts, stylesheets or images by URL
    for needle in ("<script", "<link", "@import", 'src="http', "src='http", 'href="http'):
        assert needle not in text


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_text_has_soh_interval_and_fingerprint(issued, kind):
    from pypdf import PdfReader

    report, path = issued[kind, "pdf"]
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    cap = report["sections"]["state_of_health"]["capacity_soh"]
    assert f"{cap['value']:.1f} %" in flat
    assert f"90 % interval {cap['low']:.1f} – {cap['high']:.1f}" in flat
    assert (
        report["fingerprint"]["value"] in flat.replace(" ", "")
        or report["fingerprint"]["value"] in text
    )
    assert any(
        "/XObject" in str(p.get("/Resources", {})) for p in reader.pages
    )  # charts are pictures


def test_finance_sections_are_complete(issued):
    report, _ = issued["finance", "json"]
    s = report["sections"]
    for key in (
        "usable_range",
        "cohort",
        "degradation_rate",
        "forecast_at_loan_end",
        "milestones",
        "residual_value",
    ):
        assert s[key]["status"] in {"ok", "partial"}, (key, s[key]["notes"])
    assert s["usable_range"]["range_now"]["value"] < s["usable_range"]["range_new"]["value"]
    assert 0 <= s["cohort"]["percentile"]["value"] <= 100
    levels = {m["soh_threshold_pct"] for m in s["milestones"]["soh_levels"]}
    assert levels == {80.0, 70.0}
    rv = s["residual_value"]
    assert (
        rv["adjustment_eur"]["low"] <= rv["adjustment_eur"]["value"] <= rv["adjustment_eur"]["high"]
    )
    bp = report["battery_passport"]
    assert set(bp) >= {
        "state_of_health",
        "remaining_usable_energy",
        "negative_events",
        "temperature_extremes",
    }


def test_insurance_and_utility_sections(issued):
    ins, _ = issued["insurance", "json"]
    s = ins["sections"]
    assert 0 <= s["treatment"]["score"] <= 100
    assert (
        s["treatment"]["drivers"][0]["penalty_points"]
        >= s["treatment"]["drivers"][-1]["penalty_points"]
    )
    cost = s["replacement_exposure"]["replacement_cost"]
    assert cost["low"] < cost["value"] < cost["high"]
    util, _ = issued["utility", "json"]
    u = util["sections"]
    assert u["flexibility"]["flexible_kwh_per_week"]["value"] > 0
    assert len(u["plug_in_windows"]["plugged_in_share_by_local_hour"]) == 24
    assert u["archetypes"]["archetype"]
