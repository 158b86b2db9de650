"""The app's queries agree with the library and the raw data, and the app follows newly
published snapshots while a writer holds the warehouse."""

from __future__ import annotations

import shutil
from datetime import timedelta

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from analytics.app import queries

from .conftest import APP, REPORT_KEY

SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"


@pytest.fixture
def serving(app_warehouse):
    from analytics.serving import open_serving

    wh = open_serving(app_warehouse["path"])
    yield wh
    wh.close()


def test_serving_is_the_published_snapshot(serving):
    assert queries.data_status(serving)["serving_version"] >= 1


def test_cohort_bands_in_sql_equal_the_library_curves(serving):
    from analytics.forecast.curves import cohort_curves, load_vehicle_curves

    lib = cohort_curves(load_vehicle_curves(serving), "age", by="cohort", min_vehicles=1)
    sql = queries.cohort_bands(serving, "cohort", min_vehicles=1)
    assert sql.height == lib.height > 0
    a = lib.sort("cohort", "x").select("x", "p10", "p50", "p90").to_numpy()
    b = sql.sort("grp", "x").select("x", "p10", "p50", "p90").to_numpy()
    assert a == pytest.approx(b, abs=1e-9)
    assert sql.sort("grp", "x")["grp"].to_list() == lib.sort("cohort", "x")["cohort"].to_list()


def test_cohort_bands_restricted_to_vehicles(serving, app_warehouse):
    one = app_warehouse["vehicles"][:1]
    bands = queries.cohort_bands(serving, "chemistry", one, min_vehicles=1)
    assert bands.height and (bands["n_vehicles"] == 1).all()
    assert queries.cohort_bands(serving, "chemistry", [], min_vehicles=1).height == 0


def test_fleet_rows_hold_the_latest_fused_soh(serving, app_warehouse):
    fleet = queries.fleet_vehicles(serving)
    soh = serving.sql("SELECT vehicle_id, date, soh_pct FROM soh WHERE soh_pct IS NOT NULL")
    latest = soh.sort("date").group_by("vehicle_id").last()
    got = fleet.join(latest, on="vehicle_id", suffix="_lib")
    assert got.height == len(app_warehouse["vehicles"])
    assert (got["soh_pct"] - got["soh_pct_lib"]).abs().max() == 0
    assert app_warehouse["tiny"] in fleet["vehicle_id"].to_list()  # listed, without SoH
    assert fleet.filter(pl.col("vehicle_id") == app_warehouse["tiny"])["soh_pct"][0] is None


def test_signal_series_is_downsampled_without_losing_the_envelope(serving, app_warehouse):
    """The whole span of one signal comes back as at most MAX_POINTS buckets whose counts,
    weighted mean, min and max are those of the raw samples."""
    from analytics.warehouse import open_warehouse

    vid = app_warehouse["vehicles"][0]
    span = queries.vehicle_signals(serving, vid).filter(pl.col("signal") == SOC)
    start, end = span["first_ts"][0], span["last_ts"][0] + timedelta(minutes=1)
    got = queries.signal_series(serving, vid, [SOC], start, end)
    assert 100 < got.height <= queries.MAX_POINTS
    with open_warehouse(app_warehouse["path"], read_only=True) as wh:
        n, mean, lo, hi = wh.one(
            "SELECT count(*), avg(value), min(value), max(value) FROM signals "
            "WHERE vehicle_id = ? AND signal = ?",
            [vid, SOC],
        )
    assert int(got["n"].sum()) == n
    assert float((got["mean"] * got["n"]).sum() / got["n"].sum()) == pytest.approx(mean, rel=1e-9)
    assert got["min"].min() == pytest.approx(lo) and got["max"].max() == pytest.approx(hi)


def test_app_follows_new_snapshots_while_a_writer_holds_the_warehouse(
    monkeypatch, app_warehouse, tmp_path
):
    from analytics.serving import publish_snapshot
    from analytics.warehouse import open_warehouse

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(app_warehouse["path"], path)
    with open_warehouse(path) as wh:
        publish_snapshot(wh)
    monkeypatch.setenv("ANALYTICS_WAREHOUSE", str(path))
    monkeypatch.setenv("ANALYTICS_REPORT_KEY", REPORT_KEY)
    at = AppTest.from_file(APP, default_timeout=30).run()
    before = int(next(m for m in at.metric if m.label == "Vehicles").value)
    with open_warehouse(path) as wh:  # the writer holds the file from here on
        wh.execute("INSERT INTO vehicles (vehicle_id, make, model) VALUES ('NEW01', 'Volta', 'X')")
        at.run()
        assert not at.exception and not at.error
        assert next(m for m in at.metric if m.label == "Vehicles").value == str(before)
        publish_snapshot(wh)
        at.run()
        assert not at.exception and not at.error
        assert next(m for m in at.metric if m.label == "Vehicles").value == str(before + 1)


def test_reports_on_a_snapshot_without_raw_signals_read_the_rollup():
    """A snapshot that keeps only the 1-minute rollup gets a ``signals`` view over it (minute
    means), so report sections reading signals still run."""
    from analytics.app.reports import signals_from_rollup
    from analytics.warehouse import open_warehouse

    wh = open_warehouse(":memory:")
    try:
        wh.execute("DROP TABLE signals")
        wh.execute(
            "CREATE TABLE signal_minutes AS SELECT 'V1' AS vehicle_id, "
            "TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_minutes(i) AS minute, 'Vehicle.Speed' AS signal, "
            "60::BIGINT AS n, i * 1.0 AS mean, i - 1.0 AS min, i + 1.0 AS max FROM range(5) t(i)"
        )
        assert signals_from_rollup(wh)
        assert wh.one("SELECT count(*), sum(value) FROM signals WHERE vehicle_id = 'V1'") == (
            5,
            10.0,
        )
        assert not signals_from_rollup(wh)  # present now: left alone
    finally:
        wh.close()


def test_cohort_bands_before_the_forecast_stage_use_the_registration_date():
    from analytics.reports.synthetic import populate
    from analytics.warehouse import open_warehouse

    wh = open_warehouse(":memory:")
    try:
        populate(wh, vehicles=6, days=120, seed=2, with_signals=False)
        assert wh.one("SELECT count(*) FROM degradation_features")[0] == 0
        bands = queries.cohort_bands(wh, "model", min_vehicles=1)
        assert bands.height > 0
        ages = wh.sql(
            "SELECT min(date_diff('day', v.first_registration_date, s.date)) / 365.25 AS lo, "
            "max(date_diff('day', v.first_registration_date, s.date)) / 365.25 AS hi "
            "FROM soh s JOIN vehicles v USING (vehicle_id)"
        ).row(0, named=True)
        assert ages["lo"] - 0.25 <= bands["x"].min() and bands["x"].max() <= ages["hi"] + 0.25
        assert (bands["p10"] <= bands["p50"]).all() and (bands["p50"] <= bands["p90"]).all()
    finally:
        wh.close()


def test_vehicle_soh_markers_use_webgl_only_for_many_points(serving):
    """A vehicle's observations are SVG markers (no GL context per chart); WebGL is kept for
    the thousands of points where it pays off."""
    from analytics.app import figures

    def markers(obs: pl.DataFrame) -> tuple[set[str], int]:
        fig = figures.vehicle_soh(d["soh"], obs, d["forecast"], d["milestones"])
        traces = [t for t in fig.data if t.name in ("observations", "rejected")]
        return {t.type for t in traces}, sum(len(t.x) for t in traces)

    d = queries.vehicle_detail(serving, queries.vehicle_ids(serving)[0])
    kinds, drawn = markers(d["observations"])
    assert drawn > 0 and kinds == {"scatter"}
    many = pl.concat([d["observations"]] * (figures._WEBGL_POINTS // drawn + 1))
    assert markers(many)[0] == {"scattergl"}
