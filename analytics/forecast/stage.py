"""Pipeline stage: degradation features, cohorts, fitted ageing models, forecasts, milestones.

``run_stage(wh, vehicles=None)`` recomputes everything for the given vehicles (all vehicles
with telemetry by default) and writes ``degradation_features``, ``degradation_exposure``,
``vehicle_cohorts``, ``forecast_fits``, ``forecasts``, ``milestones`` and
``degradation_attribution``. Forecast rows of other scenarios are kept: a what-if run replaces
only its own scenario.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from analytics.errors import ForecastError
from analytics.execute import Executor
from analytics.forecast.api import FleetData, ForecastResult, forecast_vehicles, prepare
from analytics.forecast.scenarios import SCENARIOS, Scenario
from analytics.warehouse.db import Warehouse
from analytics.warehouse.tables import record_run, replace_vehicle_rows

__all__ = ["run_forecast", "run_stage", "write_results"]


def _replace_scenario_rows(wh: Warehouse, table: str, frame: pl.DataFrame) -> int:
    if frame.height == 0:
        return 0
    keys = frame.select("vehicle_id", "scenario").unique()
    with wh.transaction():
        wh.con.register("_keys", keys.to_arrow())
        wh.con.register("_rows", frame.to_arrow())
        try:
            wh.execute(
                f"DELETE FROM {table} WHERE (vehicle_id, scenario) IN "
                "(SELECT (vehicle_id, scenario) FROM _keys)"
            )
            wh.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
        finally:
            wh.con.unregister("_keys")
            wh.con.unregister("_rows")
    return frame.height


def write_results(
    wh: Warehouse, data: FleetData, res: ForecastResult, vehicle_ids: Sequence[str] | None = None
) -> int:
    """Store features, cohorts, fits, forecasts, milestones and attribution of ``vehicle_ids``
    (default: every vehicle in ``data``); rows written."""
    vids = list(vehicle_ids) if vehicle_ids else list(data.histories)

    def only(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(pl.col("vehicle_id").is_in(vids)) if frame.height else frame

    n = replace_vehicle_rows(wh, "degradation_features", vids, only(data.features))
    n += replace_vehicle_rows(wh, "degradation_exposure", vids, only(data.exposure))
    n += replace_vehicle_rows(wh, "vehicle_cohorts", vids, only(data.cohorts))
    n += replace_vehicle_rows(wh, "forecast_fits", vids, only(res.fits))
    n += replace_vehicle_rows(wh, "degradation_attribution", vids, only(res.attribution))
    n += _replace_scenario_rows(wh, "forecasts", only(res.forecasts))
    n += _replace_scenario_rows(wh, "milestones", only(res.milestones))
    return n


def run_forecast(
    wh: Warehouse,
    vehicles: Sequence[str] | None = None,
    *,
    horizon_months: int | None = None,
    scenarios: Sequence[Scenario] = (SCENARIOS["baseline"],),
) -> tuple[dict[str, Any], ForecastResult | None]:
    """Run the stage with options; returns the printable summary and the result."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    fleet = [
        r[0] for r in wh.execute("SELECT DISTINCT vehicle_id FROM signals ORDER BY 1").fetchall()
    ]
    vids = list(vehicles) if vehicles else fleet
    unknown = sorted(set(vids) - set(fleet))
    if unknown:
        raise ForecastError(
            f"no telemetry for {', '.join(unknown[:5])}; check the vehicle ids (`analytics info`)"
        )
    if not vids:
        return {
            "vehicles": 0,
            "message": "no telemetry in the warehouse; nothing to forecast",
        }, None
    data = prepare(wh, fleet)  # the whole fleet: selected vehicles still borrow from it
    summary: dict[str, Any] = {"vehicles": len(vids)}
    if data.soh.height == 0:
        sel = pl.col("vehicle_id").is_in(vids)
        rows = replace_vehicle_rows(wh, "degradation_features", vids, data.features.filter(sel))
        rows += replace_vehicle_rows(wh, "vehicle_cohorts", vids, data.cohorts.filter(sel))
        summary |= {"forecasts": 0, "message": "no SoH estimates yet; run `analytics soh` first"}
        record_run(
            wh,
            "forecast",
            started,
            vehicles=len(vids),
            rows_written=rows,
            status="partial",
            message=summary["message"],
        )
        return summary, None
    res = forecast_vehicles(
        data, vehicle_ids=vids, scenarios=scenarios, horizon_months=horizon_months
    )
    rows = write_results(wh, data, res, vids)
    chosen = [res.fit.vehicles[v] for v in vids if v in res.fit.vehicles]
    cohort_only = sum("cohort_curve" in vf.flags for vf in chosen)
    summary |= {
        "scenarios": ",".join(s.name for s in scenarios),
        "forecast_rows": res.forecasts.height,
        "cohort_curve_only": cohort_only,
        "knees": sum(vf.knee is not None for vf in chosen),
        "extrapolation_warnings": len(res.warnings),
        "process_sd_pct_per_sqrt_year": round(res.fit.process_var**0.5, 2),
        "process_sd_from": res.fit.process_source,
    }
    record_run(
        wh,
        "forecast",
        started,
        parameters={
            "horizon_months": horizon_months,
            "scenarios": [s.name for s in scenarios],
            "exponents": {k: list(v) for k, v in res.fit.exponents.items()},
        },
        vehicles=len(vids),
        rows_written=rows,
        message=f"{time.perf_counter() - t0:.1f} s",
    )
    return summary, res


def run_stage(
    wh: Warehouse,
    vehicles: Sequence[str] | None = None,
    *,
    executor: Executor | None = None,
    changed: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Pipeline entry point: baseline forecasts with the default horizon.

    The ageing model is pooled over the fleet (every vehicle borrows from its cohort), so it
    runs in the driver and an incremental run (``changed``) refits the whole fleet whenever
    any vehicle changed; ``executor`` is accepted for a uniform stage interface.
    """
    del executor, changed  # the fleet fit and the path simulation run in the driver
    return run_forecast(wh, vehicles)[0]
