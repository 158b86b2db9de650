"""The residual-value model: explicit parameters, exact arithmetic, overridable from files."""

from __future__ import annotations

import json

import pytest

from analytics.errors import ConfigError
from analytics.reports.params import ReportParams, load_params, param_docs
from analytics.reports.valuation import book_value, residual_adjustment


def _soh(v, lo, hi):
    return {"value": v, "low": lo, "high": hi}


def test_adjustment_follows_the_documented_formula():
    p = ReportParams(book_value_eur=20000.0, value_per_soh_point_pct=0.5, battery_share_pct=35.0)
    block, notes = residual_adjustment(
        p, soh=_soh(93.0, 91.0, 95.0), cohort_median_pct=91.0, price_new_eur=None, age_years=3.0
    )
    assert notes == []
    assert block["adjustment_pct"]["value"] == pytest.approx(1.0)  # 0.5 % x 2 points
    assert block["adjustment_eur"]["value"] == pytest.approx(200.0)
    assert block["adjustment_eur"]["low"] == pytest.approx(0.0)
    assert block["adjustment_eur"]["high"] == pytest.approx(400.0)
    assert block["adjusted_value_eur"]["value"] == pytest.approx(20200.0)


def test_battery_share_caps_the_adjustment():
    p = ReportParams(book_value_eur=10000.0, value_per_soh_point_pct=5.0, battery_share_pct=20.0)
    block, notes = residual_adjustment(
        p, soh=_soh(70.0, 68.0, 72.0), cohort_median_pct=90.0, price_new_eur=None, age_years=3.0
    )
    assert block["adjustment_pct"]["value"] == pytest.approx(-20.0)
    assert any("cap" in n for n in notes)


def test_book_value_estimate_is_declining_balance():
    p = ReportParams(depreciation_first_year_pct=20.0, depreciation_annual_pct=10.0)
    value, how = book_value(p, 40000.0, 3.0)
    assert value == pytest.approx(40000 * 0.8 * 0.9**2)
    assert "estimated" in how
    assert book_value(p, None, 3.0)[0] is None


def test_no_cohort_means_no_adjustment():
    block, notes = residual_adjustment(
        ReportParams(),
        soh=_soh(90, 88, 92),
        cohort_median_pct=None,
        price_new_eur=30000,
        age_years=2,
    )
    assert block["adjustment_eur"] is None and "cohort" in notes[0]


def test_params_from_json_and_toml_files(tmp_path):
    j = tmp_path / "p.json"
    j.write_text(json.dumps({"battery_share_pct": 40, "loan_months": 48}))
    t = tmp_path / "p.toml"
    t.write_text("value_per_soh_point_pct = 0.8\nbook_value_eur = 25000\n")
    pj = load_params(j, {"loan_months": "60"})
    assert pj.battery_share_pct == 40.0 and pj.loan_months == 60.0
    pt = load_params(t)
    assert pt.value_per_soh_point_pct == 0.8 and pt.book_value_eur == 25000.0
    with pytest.raises(ConfigError, match="unknown report parameter"):
        load_params(None, {"discount": 3})
    with pytest.raises(ConfigError, match="not a float"):
        load_params(None, {"battery_share_pct": "lots"})


def test_every_parameter_is_documented_with_a_unit():
    docs = param_docs()
    assert len(docs) == len(ReportParams().to_dict())
    assert all(d["unit"] and d["doc"] for d in docs)


def test_override_changes_the_report(ro):
    from analytics.reports.build import build_report
    from tests.reports.conftest import LONG, TEST_KEY

    base = build_report(
        ro, LONG, "finance", key=TEST_KEY.encode(), params=ReportParams(book_value_eur=30000.0)
    )
    more = build_report(
        ro,
        LONG,
        "finance",
        key=TEST_KEY.encode(),
        params=ReportParams(book_value_eur=30000.0, value_per_soh_point_pct=1.0),
    )
    a, b = (
        base["sections"]["residual_value"]["adjustment_eur"]["value"],
        more["sections"]["residual_value"]["adjustment_eur"]["value"],
    )
    assert b == pytest.approx(2 * a, abs=1.0)
    assert more["request"]["params"]["value_per_soh_point_pct"] == 1.0
