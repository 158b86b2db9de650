"""Read-only, short-lived, cached queries for the Streamlit app.

Each query opens the warehouse read-only, runs, and closes at once: DuckDB read-only
connections share a lock, and one held open would stop the batch job from writing. Results
are cached with ``st.cache_data`` keyed on the file's modification time (and its WAL's), so
a finished pipeline run shows up on the next page load and nothing is re-read in between.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from analytics.errors import AnalyticsError

__all__ = [
    "WarehouseState",
    "charging_overview",
    "data_quality",
    "fleet_latest_soh",
    "fleet_soh_bands",
    "issue",
    "stamp",
    "vehicle_detail",
    "vehicle_ids",
    "warehouse_state",
]


def stamp(path: Path) -> tuple[float, float]:
    """The cache key: modification times of the file and of its write-ahead log."""
    wal = Path(str(path) + ".wal")
    return (
        path.stat().st_mtime if path.exists() else 0.0,
        wal.stat().st_mtime if wal.exists() else 0.0,
    )


def _query(path: str, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
    from analytics.warehouse import open_warehouse

    with open_warehouse(path, read_only=True) as wh:
        return wh.sql(sql, params)


@dataclass(frozen=True)
class WarehouseState:
    ok: bool
    message: str
    tables: dict[str, int]


@st.cache_data(show_spinner=False)
def warehouse_state(path: str, stamp_: tuple[float, float]) -> WarehouseState:
    """Whether the app can read the warehouse, and rows per table (or why not)."""
    from analytics.warehouse import open_warehouse

    if not Path(path).exists():
        return WarehouseState(
            False,
            f"No warehouse at `{path}`. Create one with `analytics run --demo`, or set ANALYTICS_WAREHOUSE.",
            {},
        )
    try:
        with open_warehouse(path, read_only=True) as wh:
            names = [
                r[0]
                for r in wh.con.sql(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
                ).fetchall()
            ]
            counts = {
                n: int(wh.con.sql(f'SELECT count(*) FROM "{n}"').fetchall()[0][0]) for n in names
            }
    except AnalyticsError as exc:
        return WarehouseState(False, str(exc), {})
    return WarehouseState(True, "", counts)


@st.cache_data(show_spinner=False)
def vehicle_ids(path: str, stamp_: tuple[float, float]) -> list[str]:
    frame = _query(
        path, "SELECT vehicle_id FROM vehicles UNION SELECT DISTINCT vehicle_id FROM soh ORDER BY 1"
    )
    return frame["vehicle_id"].to_list() if frame.height else []


@st.cache_data(show_spinner=False)
def fleet_latest_soh(path: str, stamp_: tuple[float, float]) -> pl.DataFrame:
    """Each vehicle's latest fused SoH with its model and chemistry."""
    from analytics.warehouse.tables import load_sql

    return _query(path, load_sql("analytics.app", "latest_soh.sql"))


@st.cache_data(show_spinner=False)
def fleet_soh_bands(path: str, stamp_: tuple[float, float]) -> pl.DataFrame:
    """10/50/90 % SoH percentiles per model and month of age (degradation curves with bands)."""
    from analytics.warehouse.tables import load_sql

    return _query(path, load_sql("analytics.app", "soh_bands.sql"))


@st.cache_data(show_spinner=False)
def data_quality(path: str, stamp_: tuple[float, float]) -> dict[str, pl.DataFrame]:
    """Sources by status, ingest issues by reason, and days of data per vehicle."""
    return {
        "sources": _query(
            path,
            "SELECT format, status, count(*) AS files, sum(rows_written) AS rows FROM sources GROUP BY ALL ORDER BY format, status",
        ),
        "issues": _query(
            path,
            "SELECT reason, severity, sum(count) AS count, any_value(example) AS example FROM ingest_issues GROUP BY ALL ORDER BY count DESC LIMIT 50",
        ),
        "coverage": _query(
            path,
            "SELECT vehicle_id, count(*) AS days_with_soh, max(days_since_observation) AS max_days_without_observation, "
            "min(date) AS first_date, max(date) AS last_date FROM soh GROUP BY vehicle_id ORDER BY vehicle_id",
        ),
    }


def _opt(path: str, table: str, sql: str, params: dict[str, Any]) -> pl.DataFrame:
    from analytics.warehouse import open_warehouse

    with open_warehouse(path, read_only=True) as wh:
        exists = wh.con.sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = $t",
            params={"t": table},
        ).fetchall()[0][0]
        return wh.sql(sql, params) if exists else pl.DataFrame()


@st.cache_data(show_spinner=False)
def vehicle_detail(
    path: str, stamp_: tuple[float, float], vehicle_id: str
) -> dict[str, pl.DataFrame]:
    """One vehicle's SoH series, observations, forecast and milestones."""
    p = {"v": vehicle_id}
    return {
        "soh": _opt(
            path,
            "soh",
            "SELECT * EXCLUDE (created_at) FROM soh WHERE vehicle_id = $v ORDER BY date",
            p,
        ),
        "observations": _opt(
            path,
            "soh_observations",
            "SELECT date, method, soh_pct, soh_sigma_pct, kept, reason FROM soh_observations WHERE vehicle_id = $v ORDER BY date",
            p,
        ),
        "forecasts": _opt(
            path,
            "forecasts",
            "SELECT * FROM forecasts WHERE vehicle_id = $v AND scenario = 'baseline' ORDER BY date",
            p,
        ),
        "milestones": _opt(
            path,
            "milestones",
            "SELECT * EXCLUDE (vehicle_id) FROM milestones WHERE vehicle_id = $v AND scenario = 'baseline' ORDER BY soh_threshold_pct DESC",
            p,
        ),
        "vehicle": _opt(path, "vehicles", "SELECT * FROM vehicles WHERE vehicle_id = $v", p),
    }


@st.cache_data(show_spinner=False)
def charging_overview(path: str, stamp_: tuple[float, float]) -> dict[str, pl.DataFrame]:
    """Fleet plug-in profile by hour of day, archetype counts, treatment scores."""
    return {
        "hourly": _opt(
            path,
            "charging_flexibility",
            "SELECT hour(hour_ts) AS hour_utc, avg(vehicles_plugged_in) AS vehicles_plugged_in, avg(baseline_kwh) AS baseline_kwh, "
            "avg(shiftable_kwh) AS shiftable_kwh FROM charging_flexibility_fleet GROUP BY 1 ORDER BY 1",
            {},
        ),
        "archetypes": _opt(
            path,
            "charging_profiles",
            "SELECT archetype, count(*) AS vehicles FROM charging_profiles GROUP BY 1 ORDER BY 2 DESC",
            {},
        ),
        "stress": _opt(
            path,
            "charging_stress",
            "SELECT vehicle_id, treatment_score, main_driver, dc_energy_share FROM charging_stress WHERE period = 'all' ORDER BY treatment_score",
            {},
        ),
        "weekly": _opt(
            path,
            "charging_flexibility",
            "SELECT date_trunc('week', hour_ts) AS week, sum(baseline_kwh) AS charged_kwh, sum(shiftable_kwh) AS shiftable_kwh "
            "FROM charging_flexibility GROUP BY 1 ORDER BY 1",
            {},
        ),
    }


@st.cache_data(show_spinner=False)
def issue(
    path: str,
    stamp_: tuple[float, float],
    vehicle_id: str,
    kind: str,
    params_json: str,
    reveal_vin: bool,
) -> dict[str, Any]:
    """Build a report (cached per vehicle, kind and parameters)."""
    import json

    from analytics.reports.build import build_report
    from analytics.reports.params import load_params
    from analytics.reports.privacy import load_key
    from analytics.warehouse import open_warehouse

    key, source = load_key(Path(path).resolve())
    params = load_params(None, json.loads(params_json))
    with open_warehouse(path, read_only=True) as wh:
        return build_report(
            wh,
            vehicle_id,
            kind,
            params=params,
            key=key,
            key_source=os.path.basename(source),
            reveal_vin=reveal_vin,
        )
