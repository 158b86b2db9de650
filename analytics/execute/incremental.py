"""Incremental re-modelling: which vehicles' inputs changed since a stage last modelled them.

Every stage models a vehicle from the same inputs: its signal rows, the values ingest
quarantined for it, and its metadata row; the package version is part of the fingerprint so
a new release re-models everything. After a stage has written a vehicle, the pipeline records
that fingerprint in ``stage_inputs``; the next ``analytics run`` re-models only the vehicles
whose fingerprint differs (plus the fleet-level steps that depend on them). Stages that combine
vehicles (the SoH stage's BMS calibration, the charging stage's inlet fits) keep per-vehicle
``state`` here so an unchanged vehicle is not recomputed just to feed the fleet step.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from analytics.warehouse.db import Warehouse
from analytics.warehouse.tables import load_sql

__all__ = [
    "changed_vehicles",
    "input_fingerprints",
    "load_states",
    "record_fingerprints",
    "save_states",
    "signal_keys",
    "stored_fingerprints",
]


def signal_keys(wh: Warehouse) -> pl.DataFrame:
    """``vehicle_id, signal_key``: one value per vehicle that changes with its signal rows.

    In lake mode the lake's files are named by the SHA-256 of their bytes, one per vehicle and
    day, so the sorted names of a vehicle's live files identify its rows without reading them;
    otherwise one aggregate query hashes every row.
    """
    lake = getattr(wh, "lake", None)
    if lake is None:
        return wh.sql(load_sql("analytics.execute", "signal_keys.sql"))
    names: dict[str, list[str]] = {}
    for f in lake.live_files():
        names.setdefault(f.vehicle_id, []).append(f"{f.date}/{Path(f.path).name}")
    return pl.DataFrame(
        {
            "vehicle_id": list(names),
            "signal_key": [
                hashlib.sha256("\n".join(sorted(v)).encode()).hexdigest() for v in names.values()
            ],
        },
        schema={"vehicle_id": pl.String, "signal_key": pl.String},
    )


def input_fingerprints(wh: Warehouse) -> dict[str, str]:
    """Fingerprint of every vehicle with signals, by vehicle id."""
    from analytics import __version__

    keys = signal_keys(wh)
    wh.con.register("_signal_keys", keys.to_arrow())
    try:
        rows = wh.execute(
            load_sql("analytics.execute", "fingerprints.sql"), {"version": __version__}
        ).fetchall()
    finally:
        wh.con.unregister("_signal_keys")
    return {vid: fp for vid, fp in rows}


def stored_fingerprints(wh: Warehouse, stage: str) -> dict[str, str | None]:
    """Fingerprints ``stage`` last modelled each vehicle from."""
    rows = wh.execute(
        "SELECT vehicle_id, fingerprint FROM stage_inputs WHERE stage = $s", {"s": stage}
    ).fetchall()
    return {vid: fp for vid, fp in rows}


def changed_vehicles(current: Mapping[str, str], stored: Mapping[str, str | None]) -> list[str]:
    """Vehicles whose current fingerprint differs from (or is missing in) ``stored``, sorted."""
    return sorted(v for v, fp in current.items() if stored.get(v) != fp)


def _upsert(wh: Warehouse, stage: str, column: str, values: Mapping[str, Any]) -> None:
    if not values:
        return
    frame = pl.DataFrame(
        {
            "stage": [stage] * len(values),
            "vehicle_id": list(values),
            column: list(values.values()),
            "updated_at": [datetime.now(UTC)] * len(values),
        },
        schema_overrides={column: pl.String},
    )
    with wh.transaction():
        wh.con.register("_stage_inputs", frame.to_arrow())
        try:
            wh.execute(
                f"INSERT INTO stage_inputs (stage, vehicle_id, {column}, updated_at) "
                f"SELECT stage, vehicle_id, {column}, updated_at FROM _stage_inputs "
                "ON CONFLICT (stage, vehicle_id) DO UPDATE SET "
                f"{column} = excluded.{column}, updated_at = excluded.updated_at"
            )
        finally:
            wh.con.unregister("_stage_inputs")


def record_fingerprints(wh: Warehouse, stage: str, fingerprints: Mapping[str, str]) -> None:
    """Record that ``stage`` has modelled these vehicles from these inputs."""
    _upsert(wh, stage, "fingerprint", dict(fingerprints))


def save_states(wh: Warehouse, stage: str, states: Mapping[str, Any]) -> None:
    """Keep per-vehicle results (JSON-serialisable) a fleet step of ``stage`` reuses."""
    _upsert(wh, stage, "state", {v: json.dumps(s, sort_keys=True) for v, s in states.items()})


def load_states(wh: Warehouse, stage: str, vehicles: Iterable[str] | None = None) -> dict[str, Any]:
    """The saved states of ``stage`` (of ``vehicles`` when given)."""
    rows = wh.execute(
        "SELECT vehicle_id, state FROM stage_inputs WHERE stage = $s AND state IS NOT NULL",
        {"s": stage},
    ).fetchall()
    want = None if vehicles is None else set(vehicles)
    return {v: json.loads(s) for v, s in rows if want is None or v in want}
