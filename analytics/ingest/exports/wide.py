"""Wide exports (one column per signal) turned into long rows by a column map, in DuckDB.

The file's mapped columns are UNPIVOTed (empty cells are no sample, not a bad row), joined to
the map (signal, unit, scale × sign, text values such as ``Charging``), and handed to the
loader, which converts units and validates like any other source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analytics.errors import FormatError
from analytics.ingest.base import ReadContext
from analytics.ingest.exports.column_maps import ColumnMap, load_column_map, match_column_map
from analytics.ingest.exports.tabular import quote_ident, ts_expr

__all__ = ["choose_map", "wide_select"]


def choose_map(header: list[str], ctx: ReadContext, path: Path) -> ColumnMap:
    """The map named by ``--column-map``, else the shipped map that fits the header."""
    spec = ctx.options.get("column_map")
    cmap = load_column_map(spec) if spec else match_column_map(header)
    if cmap is None:
        raise FormatError(
            f"{path} looks like a wide export but no shipped column map fits its header; "
            "pass --column-map FILE (see docs/exports.md for the format)"
        )
    if cmap.ts_column not in header:
        raise FormatError(
            f"{path} has no time column {cmap.ts_column!r} required by column map {cmap.name!r}"
        )
    if cmap.timezone == "required":
        raise FormatError(
            f"column map {cmap.name!r} reads local times; name their zone, e.g. "
            f"--column-map {cmap.name}@Europe/Berlin"
        )
    no_column = cmap.vehicle_column is None or cmap.vehicle_column not in header
    if no_column and ctx.vehicle_id is None:
        raise FormatError(f"{path} has no vehicle column; pass --vehicle ID")
    return cmap


def _register_map(con: Any, cmap: ColumnMap, present: set[str]) -> list[str]:
    """Create ``_ingest_colmap`` / ``_ingest_colvalues``; return the mapped columns present."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_colmap "
        "(col VARCHAR, entry INTEGER, signal VARCHAR, unit VARCHAR, factor DOUBLE)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_colvalues (entry INTEGER, text VARCHAR, num DOUBLE)"
    )
    rows, values = [], []
    for i, e in enumerate(cmap.entries):
        if e.column not in present:
            continue
        rows.append([e.column, i, e.signal, e.unit, e.scale * e.sign])
        values += [[i, k, v] for k, v in e.values.items()]
    if rows:
        con.executemany("INSERT INTO _ingest_colmap VALUES (?, ?, ?, ?, ?)", rows)
    if values:
        con.executemany("INSERT INTO _ingest_colvalues VALUES (?, ?, ?)", values)
    return sorted({r[0] for r in rows})


def wide_select(
    con: Any, cmap: ColumnMap, columns: dict[str, str], relation: str, ctx: ReadContext
) -> tuple[str, dict[str, Any]]:
    """SQL turning a wide relation into loader source rows (with ``unit``, raw texts)."""
    mapped = _register_map(con, cmap, set(columns))
    unmapped = [
        c
        for c in columns
        if c not in cmap.columns and c not in {cmap.ts_column, cmap.vehicle_column}
    ]
    if unmapped:
        ctx.issues.add(
            "unmapped_column",
            count=len(unmapped),
            severity="info",
            example=", ".join(unmapped[:20]),
            detail=f"columns not in column map {cmap.name!r} were ignored",
        )
    if not mapped:
        raise FormatError(f"none of the columns of column map {cmap.name!r} are in the file")
    params: dict[str, Any] = {}
    ts = ts_expr(
        cmap.ts_column, columns[cmap.ts_column], fmt=cmap.ts_format, timezone=cmap.timezone
    )
    if "$tz" in ts:
        params["tz"] = cmap.timezone
    if cmap.vehicle_column and cmap.vehicle_column in columns:
        vid = f"nullif(trim(CAST({quote_ident(cmap.vehicle_column)} AS VARCHAR)), '')"
    else:
        vid = "CAST(NULL AS VARCHAR)"
    cells = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in mapped)
    on = ", ".join(quote_ident(c) for c in mapped)
    sql = f"""
        WITH src AS (
            SELECT {vid} AS vehicle_id, {ts} AS ts,
                   CAST({quote_ident(cmap.ts_column)} AS VARCHAR) AS ts_raw, {cells}
            FROM {relation}
        ),
        cells AS (UNPIVOT src ON {on} INTO NAME col VALUE raw)
        SELECT w.vehicle_id, w.ts, m.signal,
               coalesce(v.num, TRY_CAST(trim(w.raw) AS DOUBLE)) * m.factor AS value,
               m.unit, w.ts_raw, w.raw AS value_raw
        FROM cells w
        JOIN _ingest_colmap m ON m.col = w.col
        LEFT JOIN _ingest_colvalues v ON v.entry = m.entry AND v.text = trim(w.raw)
        WHERE trim(w.raw) <> ''
    """
    return sql, params
