"""Compare whole warehouses: every stage table as a sorted frame, run timestamps left out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

# provenance and bookkeeping, not results: when a run happened, with which executor
SKIP_TABLES = {"pipeline_runs", "schema_version", "stage_inputs", "warehouse_settings"}
RUN_TIME_COLUMNS = {
    "computed_at",
    "created_at",
    "fitted_at",
    "updated_at",
    "issued_at",
    "started_at",  # sources: when and how long each file took to ingest
    "finished_at",
    "duration_s",
}
# The driver's DuckDB queries sum floats on several threads (e.g. time-weighted SoC hours), and
# the order in which threads combine partial sums follows the machine's load: the last bit of
# such a sum can differ between two runs on any executor. Floats are compared to 1e-12.
REL_TOL = 1e-12
# The 7-day load forecast is a SARIMAX fit by a numerical optimiser, which turns such last-bit
# differences in its inputs into differences of about 1e-9 kW in its outputs.
TABLE_TOL = {"charging_load_forecast": 1e-6}


def table_frames(path: Path) -> dict[str, pl.DataFrame]:
    """Every result table of the warehouse at ``path``, sorted, without run timestamps."""
    from analytics.warehouse import open_warehouse

    out: dict[str, pl.DataFrame] = {}
    with open_warehouse(path, read_only=True) as wh:
        for table in sorted(set(wh.table_names()) - SKIP_TABLES):
            frame = wh.sql(f"SELECT * FROM {table}")
            frame = frame.drop([c for c in frame.columns if c in RUN_TIME_COLUMNS])
            out[table] = frame.sort(frame.columns, nulls_last=True)
    return out


def _same_column(a: pl.Series, b: pl.Series, tol: float) -> bool:
    if a.dtype != b.dtype:
        return False
    if a.dtype.is_float():
        x, y = a.to_numpy(), b.to_numpy()
        return bool(np.all(np.isclose(x, y, rtol=tol, atol=tol, equal_nan=True)))
    return a.equals(b)


def differences(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> list[str]:
    """Tables whose rows differ: same rows and columns, floats within :data:`REL_TOL`
    (:data:`TABLE_TOL` for fitted fleet models)."""
    bad = [f"{t}: only in one warehouse" for t in sorted(set(a) ^ set(b))]
    for table in sorted(set(a) & set(b)):
        fa, fb = a[table], b[table]
        if fa.columns != fb.columns or fa.height != fb.height:
            bad.append(f"{table}: {fa.height} vs {fb.height} rows or other columns")
            continue
        tol = TABLE_TOL.get(table, REL_TOL)
        cols = [c for c in fa.columns if not _same_column(fa[c], fb[c], tol)]
        if cols:
            bad.append(f"{table}: columns {cols} differ")
    return bad


def exactly_equal(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> list[str]:
    """Tables that are bitwise identical."""
    return [t for t in sorted(set(a) & set(b)) if a[t].equals(b[t])]
