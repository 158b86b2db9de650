"""Helpers shared by validation and insert: a source query's columns and its resolved view.

A *source* is a SQL query producing ``vehicle_id, ts, signal, value`` and optionally ``unit``,
``ts_raw``, ``value_raw``; :func:`resolved_sql` joins it to ``_ingest_units`` (built by
:mod:`analytics.ingest.validate`) for VSS paths, catalog units and an ``ok`` flag.
"""

from __future__ import annotations

from typing import Any

__all__ = ["first_row", "resolved_sql", "source_columns"]


def first_row(cursor: Any) -> tuple | None:
    """The first row of a result (or None), reading it to the end as DuckDB requires."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def source_columns(con: Any, sql: str, params: dict[str, Any]) -> list[str]:
    """Column names the source SQL produces (without reading the data)."""
    rel = con.execute(f"SELECT * FROM ({sql}) LIMIT 0", params or None)
    return [d[0] for d in rel.description]


def resolved_sql(src: str, cols: list[str]) -> str:
    """SQL over the source with names resolved, values converted and an ``ok`` flag."""
    unit = "coalesce(s.unit, '')" if "unit" in cols else "''"
    ts_raw = "s.ts_raw" if "ts_raw" in cols else "CAST(NULL AS VARCHAR)"
    value_raw = "s.value_raw" if "value_raw" in cols else "CAST(NULL AS VARCHAR)"
    return f"""
        SELECT coalesce(s.vehicle_id, $vid) AS vehicle_id, s.ts, s.signal AS name,
               {unit} AS unit, u.path, u.problem, u.min_v, u.max_v,
               s.value * u.scale + u."offset" AS value,
               {ts_raw} AS ts_raw, {value_raw} AS value_raw,
               (coalesce(s.vehicle_id, $vid) IS NOT NULL AND s.ts IS NOT NULL
                AND s.value IS NOT NULL AND NOT isnan(s.value) AND NOT isinf(s.value)
                AND u.path IS NOT NULL AND u.problem IS NULL
                AND s.value * u.scale + u."offset" BETWEEN u.min_v AND u.max_v) AS ok
        FROM ({src}) s LEFT JOIN _ingest_units u ON u.name = s.signal AND u.unit = {unit}
    """
