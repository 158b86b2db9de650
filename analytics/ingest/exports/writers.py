"""Write telemetry in the export formats this project reads (the simulator uses these).

Every writer takes a long frame ``vehicle_id, ts, signal, value`` (``signal`` a catalog VSS
path, ``value`` in the catalog's canonical unit, ``ts`` a UTC datetime) and writes one file
in a documented layout (see ``docs/exports.md``), so the same bytes a third party would
produce go through the readers.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from analytics.catalog import conversion, load_catalog
from analytics.errors import IngestError

__all__ = [
    "ISO_MS_FORMAT",
    "ISO_US_FORMAT",
    "VEHICLE_COLUMNS",
    "iso_format",
    "write_dimo_json",
    "write_long",
    "write_vehicles",
    "write_wide_csv",
]

ISO_MS_FORMAT = "%Y-%m-%dT%H:%M:%S%.3fZ"
ISO_US_FORMAT = "%Y-%m-%dT%H:%M:%S%.6fZ"


def iso_format(ts: pl.Series) -> str:
    """Milliseconds when they carry every time exactly, else microseconds (nothing is lost)."""
    exact_ms = ts.len() == 0 or bool((ts.dt.epoch("us") % 1000 == 0).all())
    return ISO_MS_FORMAT if exact_ms else ISO_US_FORMAT


# The vehicle-metadata header every file carries (values may be empty), then the optional ones.
VEHICLE_COLUMNS: tuple[str, ...] = (
    "vehicle_id",
    "make",
    "model",
    "model_year",
    "chemistry",
    "nominal_capacity_kwh",
    "nominal_capacity_ah",
    "nominal_voltage_v",
)


def _prepare(frame: pl.DataFrame) -> pl.DataFrame:
    """Check the columns, resolve signal names to VSS paths, sort; UTC microsecond times."""
    missing = {"vehicle_id", "ts", "signal", "value"} - set(frame.columns)
    if missing:
        raise IngestError(
            f"cannot write an export: the frame lacks {', '.join(sorted(missing))}; "
            "pass a long frame vehicle_id, ts, signal, value"
        )
    cat = load_catalog()
    names = frame["signal"].unique().to_list()
    paths = {n: cat.path(n) for n in names}
    ts = pl.col("ts")
    dtype = frame.schema["ts"]
    if isinstance(dtype, pl.Datetime):
        tz = dtype.time_zone
        ts = ts.dt.replace_time_zone("UTC") if tz is None else ts.dt.convert_time_zone("UTC")
    return (
        frame.select(
            pl.col("vehicle_id").cast(pl.String),
            ts.cast(pl.Datetime("us", "UTC")).alias("ts"),
            pl.col("signal").replace_strict(paths, return_dtype=pl.String),
            pl.col("value").cast(pl.Float64),
        )
        .drop_nulls(["ts", "value"])
        .sort("vehicle_id", "ts", "signal")
    )


def write_long(frame: pl.DataFrame, path: str | Path, fmt: str = "parquet") -> Path:
    """Write the canonical long format: Parquet (``ts`` TIMESTAMP UTC) or CSV (ISO ``...Z``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = _prepare(frame)
    if fmt == "parquet":
        out.write_parquet(path, compression="zstd", statistics=True)
    elif fmt == "csv":
        out.with_columns(pl.col("ts").dt.strftime(iso_format(out["ts"]))).write_csv(path)
    else:
        raise IngestError(f"unknown long format {fmt!r}; use 'parquet' or 'csv'")
    return path


def write_wide_csv(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write the simulator's wide CSV: ``vehicle_id, ts`` then one column per catalog key.

    Columns are catalog keys (``soc_bms_pct``, ``pack_voltage_v``…, the unit in the name),
    values in canonical units; the column map ``simulator_wide`` reads it back.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cat = load_catalog()
    out = _prepare(frame)
    present = set(out["signal"].unique().to_list())
    keys = {s.path: s.key for s in cat if s.path in present}
    wide = (
        out.with_columns(pl.col("signal").replace_strict(keys, return_dtype=pl.String))
        .pivot(on="signal", index=["vehicle_id", "ts"], values="value", aggregate_function="first")
        .sort("vehicle_id", "ts")
    )
    order = [s.key for s in cat if s.path in present]
    wide = wide.select("vehicle_id", pl.col("ts").dt.strftime(iso_format(wide["ts"])), *order)
    wide.write_csv(path)
    return path


def write_dimo_json(frame: pl.DataFrame, path: str | Path, token_id: int) -> Path:
    """Write a DIMO Telemetry API ``signals`` response for one vehicle.

    Shape: ``{"data": {"signals": [{"timestamp": "...Z", "<alias>": value, ...}]},
    "extensions": {"tokenId": N, "vehicleId": "..."}}`` with DIMO's lowerCamelCase aliases
    and DIMO's units (e.g. range in km). ``extensions`` carries the vehicle identity, which a
    real response leaves to the caller.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cat = load_catalog()
    out = _prepare(frame)
    vehicles = out["vehicle_id"].unique().to_list()
    if len(vehicles) > 1:
        raise IngestError(
            f"a DIMO response holds one vehicle; the frame has {len(vehicles)} — "
            "write one file per vehicle"
        )
    present = [s for s in cat if s.path in set(out["signal"].unique().to_list())]
    exprs = []
    for s in present:
        scale, offset = conversion(s.unit, s.dimo_unit) if s.dimo_unit else (1.0, 0.0)
        exprs.append((pl.col(s.dimo_alias) * scale + offset).alias(s.dimo_alias))
    alias = {s.path: s.dimo_alias for s in present}
    wide = (
        out.with_columns(pl.col("signal").replace_strict(alias, return_dtype=pl.String))
        .pivot(on="signal", index="ts", values="value", aggregate_function="first")
        .sort("ts")
    )
    wide = wide.select(pl.col("ts").dt.strftime(iso_format(wide["ts"])).alias("timestamp"), *exprs)
    rows = wide.write_json()
    ext = {"tokenId": int(token_id), "vehicleId": vehicles[0] if vehicles else None}
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"data": {"signals": ')
        fh.write(rows)
        fh.write('}, "extensions": ')
        fh.write(json.dumps(ext))
        fh.write("}\n")
    return path


def write_vehicles(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write vehicle metadata as CSV or JSON (by extension), required header first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame
    for col in VEHICLE_COLUMNS:
        if col not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    extra = [c for c in out.columns if c not in VEHICLE_COLUMNS]
    out = out.select(*VEHICLE_COLUMNS, *extra)
    date_cols = [c for c, t in out.schema.items() if t in (pl.Date, pl.Datetime)]
    out = out.with_columns(pl.col(c).cast(pl.String) for c in date_cols)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(out.to_dicts(), indent=1, default=str) + "\n", "utf-8")
    else:
        out.write_csv(path)
    return path
