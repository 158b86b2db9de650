"""Read what one report needs from the warehouse, tolerating tables that do not exist yet.

Every loader returns an empty frame (never raises) when its table is absent, so each report
section can say plainly what is missing. Queries bind their parameters; the larger ones live
in ``analytics/reports/sql``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import polars as pl

from analytics.warehouse.db import Warehouse
from analytics.warehouse.tables import load_sql

__all__ = ["TableReader", "VehicleData", "load_vehicle_data"]

CELL_MIN = "Vehicle.Powertrain.TractionBattery.CellVoltage.Min"
CELL_MAX = "Vehicle.Powertrain.TractionBattery.CellVoltage.Max"
ODOMETER = "Vehicle.TraveledDistance"


class TableReader:
    """Queries against a warehouse whose optional tables may be absent or partly filled."""

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh

    @cached_property
    def columns(self) -> dict[str, set[str]]:
        rows = self.wh.con.sql(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main'"
        ).fetchall()
        out: dict[str, set[str]] = {}
        for table, column in rows:
            out.setdefault(table, set()).add(column)
        return out

    def has(self, table: str, *cols: str) -> bool:
        have = self.columns.get(table)
        return have is not None and all(c in have for c in cols)

    def frame(self, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
        return self.wh.sql(sql, params)

    def select(
        self,
        table: str,
        wanted: list[str],
        where: str,
        params: dict[str, Any],
        order: str | None = None,
    ) -> pl.DataFrame:
        """``SELECT`` the wanted columns that exist (missing ones come back as nulls)."""
        if table not in self.columns:
            return pl.DataFrame()
        have = self.columns[table]
        cols = [f'"{c}"' if c in have else f'NULL AS "{c}"' for c in wanted]
        sql = f"SELECT {', '.join(cols)} FROM {table} WHERE {where}"
        if order:
            sql += f" ORDER BY {order}"
        return self.frame(sql, params)

    def named(self, name: str, params: dict[str, Any]) -> pl.DataFrame:
        return self.frame(load_sql("analytics.reports", name), params)


SOH_COLS = [
    "date",
    "soh_pct",
    "soh_low_pct",
    "soh_high_pct",
    "energy_soh_pct",
    "energy_soh_low_pct",
    "energy_soh_high_pct",
    "resistance_growth_pct",
    "resistance_growth_low_pct",
    "resistance_growth_high_pct",
    "method",
    "n_observations",
    "n_observations_total",
    "days_since_observation",
    "reference",
    "reference_capacity_ah",
    "reference_temp_c",
    "capacity_ah",
    "flags",
]
SESSION_COLS = [
    "session_id",
    "kind",
    "start_ts",
    "end_ts",
    "duration_s",
    "soc_start_pct",
    "soc_end_pct",
    "energy_in_kwh",
    "energy_out_kwh",
    "distance_km",
    "odometer_start_km",
    "odometer_end_km",
    "battery_temp_mean_c",
    "battery_temp_min_c",
    "battery_temp_max_c",
    "ambient_temp_c",
    "charge_type",
    "power_level_kw",
    "flags",
    "latitude",
    "longitude",
]


@dataclass
class VehicleData:
    """One vehicle's rows up to the as-of date, plus the fleet context a report needs."""

    vehicle_id: str
    as_of: date
    vehicle: dict[str, Any]
    soh: pl.DataFrame
    observations: pl.DataFrame
    sessions: pl.DataFrame
    forecasts: pl.DataFrame
    milestones: pl.DataFrame
    signal_days: pl.DataFrame
    sources: pl.DataFrame
    runs: pl.DataFrame
    tables: set[str]
    extra: dict[str, pl.DataFrame] = field(default_factory=dict)
    last_data: date | None = None

    def table(self, name: str) -> pl.DataFrame:
        return self.extra.get(name, pl.DataFrame())


def _end(as_of: date) -> date:
    return as_of + timedelta(days=1)


def last_data_date(reader: TableReader, vehicle_id: str) -> date | None:
    """The latest day with any data for the vehicle (the default as-of date)."""
    parts = []
    if reader.has("soh", "date"):
        parts.append("SELECT max(date) AS d FROM soh WHERE vehicle_id = $v")
    if reader.has("sessions", "end_ts"):
        parts.append(
            "SELECT max(CAST(timezone('UTC', end_ts) AS DATE)) FROM sessions WHERE vehicle_id = $v"
        )
    parts.append("SELECT max(CAST(timezone('UTC', ts) AS DATE)) FROM signals WHERE vehicle_id = $v")
    rows = reader.wh.con.sql(
        f"SELECT max(d) FROM ({' UNION ALL '.join(parts)}) t(d)", params={"v": vehicle_id}
    ).fetchall()
    return rows[0][0] if rows and rows[0][0] is not None else None


def load_vehicle_data(reader: TableReader, vehicle_id: str, as_of: date) -> VehicleData:
    """Everything the report sections read, restricted to data up to ``as_of`` (inclusive)."""
    p = {"v": vehicle_id, "end": _end(as_of), "asof": as_of}
    vrow = reader.select(
        "vehicles",
        sorted(reader.columns.get("vehicles", set())),
        "vehicle_id = $v",
        {"v": vehicle_id},
    )
    vehicle = vrow.row(0, named=True) if vrow.height else {}
    soh = reader.select(
        "soh",
        SOH_COLS,
        "vehicle_id = $v AND date <= $asof",
        {"v": vehicle_id, "asof": as_of},
        "date",
    )
    obs = reader.select(
        "soh_observations",
        [
            "date",
            "session_id",
            "method",
            "quantity",
            "value",
            "sigma",
            "soh_pct",
            "soh_sigma_pct",
            "kept",
            "reason",
            "delta_soc_pct",
            "temperature_c",
        ],
        "vehicle_id = $v AND date <= $asof",
        {"v": vehicle_id, "asof": as_of},
        "date",
    )
    sessions = reader.select(
        "sessions",
        SESSION_COLS,
        "vehicle_id = $v AND start_ts < $end",
        {"v": vehicle_id, "end": p["end"]},
        "start_ts",
    )
    forecasts = pl.DataFrame()
    if "forecasts" in reader.columns:
        have = reader.columns["forecasts"]
        forecasts = reader.select(
            "forecasts", sorted(have), "vehicle_id = $v", {"v": vehicle_id}, "date"
        )
    milestones = pl.DataFrame()
    if "milestones" in reader.columns:
        milestones = reader.select(
            "milestones", sorted(reader.columns["milestones"]), "vehicle_id = $v", {"v": vehicle_id}
        )
    signal_days = reader.named(
        "signal_days.sql",
        {"v": vehicle_id, "end": p["end"], "cmin": CELL_MIN, "cmax": CELL_MAX, "odo": ODOMETER},
    )
    sources = reader.named("sources.sql", {"v": vehicle_id})
    runs = reader.named("runs.sql", {}) if "pipeline_runs" in reader.columns else pl.DataFrame()
    extra: dict[str, pl.DataFrame] = {}
    for name in ("charging_stress", "charging_profiles", "charging_profile_mix"):
        if name in reader.columns:
            extra[name] = reader.select(
                name, sorted(reader.columns[name]), "vehicle_id = $v", {"v": vehicle_id}
            )
    if "charging_sessions" in reader.columns:
        want = [
            "session_id",
            "plug_in_ts",
            "plug_out_ts",
            "charge_start_ts",
            "charge_end_ts",
            "grid_energy_kwh",
            "pack_energy_kwh",
            "charge_type",
            "power_level_kw",
            "max_power_kw",
            "soc_in_pct",
            "soc_out_pct",
            "charge_limit_pct",
            "location",
            "utc_offset_h",
            "session_type",
        ]
        extra["charging_sessions"] = reader.select(
            "charging_sessions",
            want,
            "vehicle_id = $v AND plug_in_ts < $end",
            {"v": vehicle_id, "end": p["end"]},
            "plug_in_ts",
        )
    if "charging_flexibility" in reader.columns:
        extra["charging_flexibility"] = reader.select(
            "charging_flexibility",
            [
                "hour_ts",
                "plugged_in_h",
                "energy_needed_kwh",
                "baseline_kwh",
                "max_kwh",
                "min_kwh",
                "shiftable_kwh",
            ],
            "vehicle_id = $v AND hour_ts < $end",
            {"v": vehicle_id, "end": p["end"]},
            "hour_ts",
        )
    if reader.has("quality_events", "vehicle_id", "kind", "start_ts"):
        extra["quality_events"] = reader.named(
            "quality_events.sql", {"v": vehicle_id, "end": p["end"]}
        )
    return VehicleData(
        vehicle_id=vehicle_id,
        as_of=as_of,
        vehicle=vehicle,
        soh=soh,
        observations=obs,
        sessions=sessions,
        forecasts=forecasts,
        milestones=milestones,
        signal_days=signal_days,
        sources=sources,
        runs=runs,
        tables=set(reader.columns),
        extra=extra,
        last_data=last_data_date(reader, vehicle_id),
    )
