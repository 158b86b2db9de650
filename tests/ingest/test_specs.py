"""The packaged EV spec table and the capacity reference of a vehicle."""

from __future__ import annotations

import polars as pl
import pytest

from analytics.ingest import ingest_file
from analytics.specs import complete_from_specs, lookup, reference_capacity, spec_rows
from analytics.specs.build import CELL_NOMINAL_V


def test_table_is_consistent():
    rows = spec_rows()
    assert len(rows) > 150
    for r in rows:
        if r["chemistry"] == "unknown":
            continue
        assert r["chemistry"] in CELL_NOMINAL_V
        if r["cells_series"] and r["nominal_voltage_v"]:
            per_cell = r["nominal_voltage_v"] / r["cells_series"]
            assert per_cell == pytest.approx(CELL_NOMINAL_V[r["chemistry"]], abs=0.01)
        if r["nominal_ah"]:
            kwh = r["nominal_ah"] * r["nominal_voltage_v"] / 1000
            assert kwh == pytest.approx(r["nominal_gross_kwh"], rel=0.01)
        if r["nominal_usable_kwh"]:
            assert r["nominal_usable_kwh"] <= r["nominal_gross_kwh"]


@pytest.mark.parametrize(
    ("make", "model", "year", "chemistry", "match"),
    [
        ("Chevrolet", "Bolt EV", 2020, "NMC", "exact"),
        ("chevy", "bolt ev", 2022, "NMC", "nearest_year"),
        ("Tesla", "Model 3 Long Range", 2019, "NCA", "model_family"),
        ("Tesla", "Model 3 Standard Range Plus RWD", 2021, "LFP", "exact"),
        ("Nissan", "Leaf SV", 2015, "LMO", "exact"),
        ("VW", "ID.3", 2020, "NMC", "exact"),
    ],
)
def test_lookup(make, model, year, chemistry, match):
    got = lookup(make, model, year)
    assert got is not None
    assert (got["chemistry"], got["match"]) == (chemistry, match)


@pytest.mark.parametrize(
    ("make", "model", "year"),
    [
        ("Foo", "Bar", 2020),
        ("Tesla", "Model S", 2016),
        (None, "Bolt EV", 2020),
        ("Chevrolet", "Bolt EV", 2030),
    ],
)
def test_lookup_refuses_to_guess(make, model, year):
    """Unknown, ambiguous (several packs) or far-off years give None, never a guess."""
    assert lookup(make, model, year) is None


def test_reference_capacity_order(wh, tmp_path):
    path = tmp_path / "vehicles.csv"
    path.write_text(
        "vehicle_id,make,model,model_year,chemistry,nominal_capacity_kwh,nominal_capacity_ah,"
        "nominal_voltage_v\n"
        "rated,Acme,One,2022,NMC,60,,350\n"
        "table,Chevrolet,Bolt EV,2020,,,,\n"
        "unknown,Acme,Two,2022,,,,\n"
    )
    res = ingest_file(wh, path)
    assert res.status == "ok", res.issues
    refs = dict(wh.sql("SELECT vehicle_id, capacity_reference FROM vehicles").iter_rows())
    assert refs == {"rated": "nominal", "table": "spec_table", "unknown": None}
    rated = reference_capacity(wh, "rated")
    assert (rated.kind, rated.capacity_kwh) == ("nominal", 60.0)
    assert rated.capacity_ah == pytest.approx(60_000 / 350)
    table = reference_capacity(wh, "table")
    assert table.kind == "spec_table" and table.capacity_kwh == 66.0 and table.chemistry == "NMC"
    assert reference_capacity(wh, "unknown").kind is None
    first = reference_capacity(wh, "unknown", first_observed_ah=150.0)
    assert first.kind == "first_observed" and first.capacity_ah == 150.0
    assert "first well-observed" in first.note
    assert reference_capacity(wh, "no-metadata", first_observed_ah=90.0).kind == "first_observed"


def test_complete_keeps_a_different_pack():
    frame = pl.DataFrame(
        {
            "vehicle_id": ["x"],
            "make": ["Chevrolet"],
            "model": ["Bolt EV"],
            "model_year": [2020],
            "chemistry": ["LFP"],
            "nominal_capacity_kwh": [70.0],
            "nominal_capacity_ah": [None],
            "nominal_voltage_v": [None],
        },
        schema_overrides={"nominal_capacity_ah": pl.Float64, "nominal_voltage_v": pl.Float64},
    )
    out = complete_from_specs(frame).row(0, named=True)
    assert out["nominal_capacity_kwh"] == 70.0 and out["nominal_voltage_v"] is None
    assert out["capacity_reference"] == "nominal"
