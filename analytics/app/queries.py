"""The app's reads, as plain functions of an open warehouse: usable from a notebook too.

Every function takes a :class:`~analytics.warehouse.db.Warehouse` (normally one opened with
:func:`analytics.serving.open_serving`) and returns a polars frame or a small dict. They
aggregate in SQL, so what comes back is one row per vehicle, per bin or per plotted point,
never a whole table; none of them imports Streamlit. ``analytics.app.cache`` wraps them with
``st.cache_data`` for the app::

    from analytics.serving import open_serving
    from analytics.app import queries
    with open_serving("data/warehouse.duckdb") as wh:
        fleet = queries.fleet_vehicles(wh)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl

from analytics.errors import ConfigError
from analytics.warehouse.db import Warehouse
from analytics.warehouse.tables import load_sql

__all__ = [
    "COHORT_GROUPS",
    "MAX_POINTS",
    "archetypes",
    "charging_sessions",
    "cohort_bands",
    "data_status",
    "fleet_vehicles",
    "flexibility_envelope",
    "flexibility_weeks",
    "ingest_issues",
    "load_forecast",
    "managed_charging",
    "quality_vehicles",
    "signal_series",
    "sources",
    "vehicle_detail",
    "vehicle_ids",
    "vehicle_sessions",
    "vehicle_signals",
]

MAX_POINTS = 2000
"""Most points per signal the signal explorer asks for; longer ranges use wider buckets."""

COHORT_GROUPS: dict[str, str] = {
    "cohort": "coalesce(c.cohort, 'unknown')",
    "model": "coalesce(v.make || ' ' || v.model, c.model, 'unknown')",
    "chemistry": "coalesce(v.chemistry, c.chemistry, 'unknown')",
    "climate": "coalesce(c.climate_band, 'unknown')",
}
"""Groupings offered for degradation curves: name -> SQL expression (whitelisted)."""


def _sql(name: str) -> str:
    return load_sql("analytics.app", name)


def _count(wh: Warehouse, table: str) -> int:
    if table not in _tables(wh):
        return 0
    return int(wh.one(f'SELECT count(*) FROM "{table}"')[0])


def _tables(wh: Warehouse) -> set[str]:
    rows = wh.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema IN ('main', 'temp')"
    ).fetchall()
    return {r[0] for r in rows}


def data_status(wh: Warehouse) -> dict[str, Any]:
    """Rows in the tables the pages depend on, and the serving version being read."""
    tables = _tables(wh)
    names = (
        "vehicles",
        "sources",
        "soh",
        "sessions",
        "forecasts",
        "milestones",
        "degradation_features",
        "charging_sessions",
        "charging_profiles",
        "charging_flexibility",
        "quality_vehicles",
        "ingest_issues",
    )
    rows = {n: _count(wh, n) for n in names}
    version, created = 0, None
    if "serving_info" in tables:
        got = wh.con.execute(
            "SELECT max(version), max(created_at) AT TIME ZONE 'UTC' FROM serving_info"
        ).fetchall()
        if got:
            version, created = int(got[0][0] or 0), got[0][1]
    rows["serving_version"] = version
    rows["serving_created"] = created if version else None
    rows["has_signal_minutes"] = "signal_minutes" in tables
    rows["empty"] = rows["vehicles"] == 0 and rows["sources"] == 0 and rows["soh"] == 0
    return rows


def vehicle_ids(wh: Warehouse) -> list[str]:
    """Every vehicle the warehouse knows (metadata, SoH or quality), sorted."""
    rows = wh.con.execute(
        "SELECT vehicle_id FROM vehicles UNION SELECT vehicle_id FROM soh "
        "UNION SELECT vehicle_id FROM quality_vehicles UNION SELECT vehicle_id FROM sessions "
        "ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows if r[0] is not None]


def fleet_vehicles(wh: Warehouse) -> pl.DataFrame:
    """One row per vehicle: latest SoH and interval, forecast risk, treatment score, coverage,
    and the attributes the fleet page filters on (model, chemistry, climate, age)."""
    return wh.sql(_sql("fleet_vehicles.sql"))


def cohort_bands(
    wh: Warehouse,
    by: str = "cohort",
    vehicle_ids: Sequence[str] | None = None,
    *,
    width_years: float = 0.25,
    min_vehicles: int = 2,
) -> pl.DataFrame:
    """SoH percentile bands (p10/p50/p90) per group and age bin, computed in SQL.

    Same definition as :func:`analytics.forecast.curves.cohort_curves` on the age axis (age
    from ``degradation_features``; before the forecast stage has run, from the registration
    date). ``vehicle_ids`` restricts the fleet (None = every vehicle).
    """
    if by not in COHORT_GROUPS:
        raise ConfigError(f"unknown grouping {by!r}; use one of {', '.join(COHORT_GROUPS)}")
    params: dict[str, Any] = {"width": width_years, "min_vehicles": min_vehicles}
    where = ""
    if vehicle_ids is not None:
        if not vehicle_ids:
            return pl.DataFrame(
                schema={"grp": pl.String, "x": pl.Float64, "p10": pl.Float64, "p50": pl.Float64}
            )
        where = "AND list_contains($vids, s.vehicle_id)"
        params["vids"] = list(vehicle_ids)
    if _count(wh, "degradation_features"):
        age = "f.age_days"
        join = "JOIN degradation_features f ON f.vehicle_id = s.vehicle_id AND f.date = s.date"
    else:  # before `analytics forecast`: age from the registration date
        age, join = "date_diff('day', v.first_registration_date, s.date)", ""
    sql = (
        _sql("cohort_bands.sql")
        .replace("{group}", COHORT_GROUPS[by])
        .replace("{age}", age)
        .replace("{join}", join)
        .replace("{where}", where)
    )
    return wh.sql(sql, params)


def vehicle_detail(wh: Warehouse, vehicle_id: str) -> dict[str, Any]:
    """One vehicle's metadata, daily SoH series, single-session observations, baseline
    forecast, milestones and attribution: what the vehicle page draws."""
    p = {"v": vehicle_id}
    meta = wh.sql("SELECT * FROM vehicles WHERE vehicle_id = $v", p)
    return {
        "vehicle": meta.row(0, named=True) if meta.height else {},
        "soh": wh.sql(
            "SELECT date, soh_pct, soh_low_pct, soh_high_pct, energy_soh_pct, "
            "energy_soh_low_pct, energy_soh_high_pct, resistance_growth_pct, "
            "resistance_growth_low_pct, resistance_growth_high_pct, method, n_observations, "
            "n_observations_total, days_since_observation FROM soh WHERE vehicle_id = $v "
            "ORDER BY date",
            p,
        ),
        "observations": wh.sql(
            "SELECT date, ts, session_id, method, quantity, soh_pct, soh_sigma_pct, kept, reason, "
            "delta_soc_pct, temperature_c, inputs FROM soh_observations WHERE vehicle_id = $v "
            "ORDER BY ts",
            p,
        ),
        "forecast": wh.sql(
            "SELECT date, soh_pct, soh_low_pct, soh_high_pct, model, extrapolated "
            "FROM forecasts WHERE vehicle_id = $v AND scenario = 'baseline' ORDER BY date",
            p,
        ),
        "milestones": wh.sql(
            "SELECT threshold_id, kind, soh_threshold_pct, limit_years, limit_km, expected_date, "
            "date_low, date_high, expected_odometer_km, breach_probability, "
            "probability_within_horizon, source, note FROM milestones "
            "WHERE vehicle_id = $v AND scenario = 'baseline' "
            "ORDER BY kind DESC, soh_threshold_pct DESC, threshold_id",
            p,
        ),
        "attribution": wh.sql(
            "SELECT * EXCLUDE (vehicle_id) FROM degradation_attribution WHERE vehicle_id = $v", p
        ),
    }


def vehicle_sessions(
    wh: Warehouse, vehicle_id: str, start: datetime, end: datetime, limit: int = 3000
) -> pl.DataFrame:
    """Drive, charge and park sessions overlapping [start, end), latest ``limit`` of them."""
    return wh.sql(
        "SELECT * FROM (SELECT session_id, kind, start_ts, end_ts, duration_s, soc_start_pct, "
        "soc_end_pct, energy_in_kwh, energy_out_kwh, distance_km, charge_type, power_level_kw, "
        "battery_temp_mean_c FROM sessions WHERE vehicle_id = $v AND end_ts > $start "
        "AND start_ts < $end ORDER BY start_ts DESC LIMIT $limit) ORDER BY start_ts",
        {"v": vehicle_id, "start": start, "end": end, "limit": limit},
    )


def vehicle_signals(wh: Warehouse, vehicle_id: str) -> pl.DataFrame:
    """The vehicle's signals with their first and last time (from the quality stage when it
    ran, else from the 1-minute rollup)."""
    got = wh.sql(
        "SELECT signal, first_ts, last_ts, n_rows FROM quality_signals WHERE vehicle_id = $v "
        "ORDER BY signal",
        {"v": vehicle_id},
    )
    if got.height or "signal_minutes" not in _tables(wh):
        return got
    return wh.sql(
        "SELECT signal, min(minute) AS first_ts, max(minute) + INTERVAL 1 MINUTE AS last_ts, "
        "CAST(sum(n) AS BIGINT) AS n_rows FROM signal_minutes WHERE vehicle_id = $v GROUP BY signal ORDER BY signal",
        {"v": vehicle_id},
    )


def signal_series(
    wh: Warehouse,
    vehicle_id: str,
    signals: Sequence[str],
    start: datetime,
    end: datetime,
    max_points: int = MAX_POINTS,
) -> pl.DataFrame:
    """Signals of one vehicle in [start, end), at most ``max_points`` buckets per signal:
    ``signal, ts, n, mean, min, max`` (min/max keep the envelope of what the mean hides)."""
    if not signals or end <= start:
        return pl.DataFrame()
    minutes = (end - start).total_seconds() / 60.0
    bucket = max(1, math.ceil(minutes / max_points))
    return wh.sql(
        _sql("signal_series.sql"),
        {
            "v": vehicle_id,
            "signals": list(signals),
            "start": start,
            "end": end,
            "bucket_min": bucket,
        },
    )


def archetypes(wh: Warehouse) -> pl.DataFrame:
    """Each vehicle's charging archetype and the shares that define it."""
    return wh.sql(
        "SELECT vehicle_id, archetype, archetype_fit, sessions_per_week, home_share, work_share, "
        "public_share, dc_energy_share, overnight_share, median_soc_out_pct, stability "
        "FROM charging_profiles ORDER BY archetype, vehicle_id"
    )


_FLEET_HOURS = (
    "WITH fleet AS (SELECT hour_ts, count(DISTINCT vehicle_id) AS vehicles_plugged_in, "
    "sum(baseline_kwh) AS baseline_kwh, sum(max_kwh) AS max_kwh, sum(min_kwh) AS min_kwh, "
    "sum(shiftable_kwh) AS shiftable_kwh FROM charging_flexibility {where} GROUP BY hour_ts) "
)
"""The fleet's hourly envelope (what the ``charging_flexibility_fleet`` view defines), summed
here from ``charging_flexibility`` so the query works where the view is absent."""


def flexibility_weeks(wh: Warehouse) -> list[datetime]:
    """Week starts (UTC Mondays) with flexibility rows, latest first; a last week with less
    than six days of data comes after the whole weeks."""
    rows = wh.con.execute(
        "SELECT date_trunc('week', hour_ts) AS w, "
        "max(hour_ts) - min(hour_ts) >= INTERVAL 6 DAY AS whole "
        "FROM charging_flexibility GROUP BY w ORDER BY whole DESC, w DESC"
    ).fetchall()
    return [r[0] for r in rows]


def flexibility_envelope(wh: Warehouse, week_start: datetime) -> dict[str, pl.DataFrame]:
    """The fleet's hourly flexibility envelope for one week (as charged, earliest and latest
    possible charging, vehicles plugged in) and its average day over the last 12 weeks."""
    week = wh.sql(
        _FLEET_HOURS.format(where="WHERE hour_ts >= $w AND hour_ts < $w + INTERVAL 7 DAY")
        + "SELECT * FROM fleet ORDER BY hour_ts",
        {"w": week_start},
    )
    day = wh.sql(
        _FLEET_HOURS.format(
            where="WHERE hour_ts >= (SELECT max(hour_ts) FROM charging_flexibility) "
            "- INTERVAL 84 DAY"
        )
        + "SELECT hour(hour_ts) AS hour_utc, avg(vehicles_plugged_in) AS vehicles_plugged_in, "
        "avg(baseline_kwh) AS baseline_kwh, avg(max_kwh) AS max_kwh, avg(min_kwh) AS min_kwh, "
        "avg(shiftable_kwh) AS shiftable_kwh FROM fleet GROUP BY 1 ORDER BY 1"
    )
    return {"week": week, "day": day}


def load_forecast(wh: Warehouse) -> pl.DataFrame:
    """The 7-day fleet charging-load forecast with its interval."""
    return wh.sql(
        "SELECT ts, load_kw, load_low_kw, load_high_kw, interval_pct, model FROM "
        "charging_load_forecast ORDER BY ts"
    )


def charging_sessions(
    wh: Warehouse, vehicle_ids: Sequence[str] | None = None, weeks: int | None = None
) -> pl.DataFrame:
    """``charging_sessions`` rows of some vehicles (None = all), optionally only the last
    ``weeks`` weeks of data: the input of managed-charging simulation."""
    where, params = [], {}
    if vehicle_ids is not None:
        where.append("list_contains($vids, vehicle_id)")
        params["vids"] = list(vehicle_ids)
    if weeks:
        where.append(
            "plug_in_ts >= (SELECT max(plug_in_ts) FROM charging_sessions) - to_days(CAST($d AS INTEGER))"
        )
        params["d"] = int(weeks) * 7
    sql = "SELECT * FROM charging_sessions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return wh.sql(sql + " ORDER BY vehicle_id, plug_in_ts", params or None)


def sources(wh: Warehouse) -> pl.DataFrame:
    """Every ingested file: format, vehicle, records read/decoded/skipped, rows, status."""
    return wh.sql(
        "SELECT source_id, path, format, vehicle_id, status, records_read, records_decoded, "
        "records_skipped, rows_written, bytes, started_at, duration_s, message FROM sources "
        "ORDER BY started_at, source_id"
    )


def ingest_issues(wh: Warehouse) -> dict[str, pl.DataFrame]:
    """What ingest skipped and why (by reason), and values quarantined as out of range."""
    return {
        "issues": wh.sql(
            "SELECT severity, reason, sum(count) AS count, count(DISTINCT source_id) AS files, "
            "any_value(example) AS example, any_value(location) AS location FROM ingest_issues "
            "GROUP BY ALL ORDER BY count DESC"
        ),
        "quarantine": wh.sql(
            "SELECT vehicle_id, signal, reason, sum(count) AS count, any_value(example) AS example "
            "FROM quarantine GROUP BY ALL ORDER BY count DESC"
        ),
    }


def quality_vehicles(wh: Warehouse) -> pl.DataFrame:
    """Data-quality grade and flags per vehicle, with event counts by kind."""
    return wh.sql(
        "WITH ev AS (SELECT vehicle_id, "
        "count(*) FILTER (WHERE kind = 'gap_missing_data') AS missing_data_gaps_n, "
        "count(*) FILTER (WHERE kind = 'stuck_sensor') AS stuck_sensor_events, "
        "count(*) FILTER (WHERE kind = 'clock_jump') AS clock_jump_events, "
        "count(*) FILTER (WHERE kind = 'odometer_rollback') AS odometer_rollback_events "
        "FROM quality_events GROUP BY vehicle_id) "
        "SELECT q.vehicle_id, q.grade, q.coverage_pct, q.span_days, q.covered_days, q.n_signals, "
        "q.n_rows, q.missing_data_days, q.logger_off_days, q.stuck_signals, q.out_of_range_rows, "
        "q.rejected_rows, q.clock_jumps, q.odometer_rollbacks, "
        "coalesce(ev.stuck_sensor_events, 0) AS stuck_sensor_events, q.flags "
        "FROM quality_vehicles q LEFT JOIN ev USING (vehicle_id) "
        "ORDER BY CASE q.grade WHEN 'poor' THEN 0 WHEN 'fair' THEN 1 ELSE 2 END, q.vehicle_id"
    )


def managed_charging(
    wh: Warehouse, tariff: str, vehicle_ids: Sequence[str] | None = None, weeks: int | None = 12
) -> dict[str, Any]:
    """Managed charging against ``tariff`` (a file path) for some vehicles' last ``weeks`` of
    charging sessions: :func:`analytics.charging.simulate.simulate_managed_charging`'s summary,
    its lines and the hourly fleet load before and after."""
    from analytics.charging.simulate import simulate_managed_charging
    from analytics.charging.tariff import load_tariff

    cs = charging_sessions(wh, vehicle_ids, weeks)
    result = simulate_managed_charging(cs, load_tariff(tariff))
    return {"summary": result.summary, "lines": result.lines(), "hourly": result.fleet_hourly}
