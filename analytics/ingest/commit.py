"""Write a validated source to ``signals`` inside DuckDB, never row by row in Python.

A plain ``INSERT … SELECT`` when the file has no duplicates and does not overlap what the
warehouse already holds (the common case, near the speed of a bare insert); otherwise a
de-duplicating insert that keeps the first row of each ``(vehicle, time, signal)`` in file
order, never overwrites stored rows, and sorts.
"""

from __future__ import annotations

from typing import Any

from analytics.ingest.source_sql import first_row, resolved_sql, source_columns
from analytics.ingest.validate import SourceStats, analyse_source

__all__ = [
    "SourceStats",
    "analyse_source",
    "duplicate_counts",
    "first_row",
    "insert_signals",
    "overlaps_existing",
    "source_columns",
]


def overlaps_existing(con: Any, bounds: dict[str, tuple[Any, Any]]) -> bool:
    """True when the warehouse already holds rows of these vehicles inside these times."""
    for vid, (t0, t1) in bounds.items():
        hit = first_row(
            con.execute(
                "SELECT 1 FROM signals WHERE vehicle_id = ? AND ts BETWEEN CAST(? AS TIMESTAMPTZ) "
                "AND CAST(? AS TIMESTAMPTZ) LIMIT 1",
                [vid, t0, t1],
            )
        )
        if hit is not None:
            return True
    return False


def insert_signals(
    con: Any,
    src: str,
    params: dict[str, Any],
    vehicle_id: str | None,
    source_id: int,
    *,
    dedup: bool,
    identity: bool = False,
    target: str = "signals",
    stored: str = "signals",
) -> int:
    """Insert the source's ``ok`` rows; with ``dedup`` keep the first per key, skip stored.

    In lake mode ``target`` is a temp table the lake commit reads and ``stored`` the lake files
    of the file's vehicles (docs/lake.md)."""
    cols = source_columns(con, src, params)
    p = dict(params or {}, vid=vehicle_id, sid=source_id)
    res = resolved_sql(src, cols)
    if not dedup and identity:
        got = con.execute(
            f"INSERT INTO {target} (vehicle_id, ts, signal, value, source_id) "
            f"SELECT coalesce(vehicle_id, $vid), ts, signal, value, $sid FROM ({src})",
            {**(params or {}), "vid": vehicle_id, "sid": source_id},
        ).fetchall()[0]
        return int(got[0])
    if not dedup:
        got = con.execute(
            f"INSERT INTO {target} (vehicle_id, ts, signal, value, source_id) "
            f"SELECT vehicle_id, ts, path, value, $sid FROM ({res}) WHERE ok",
            p,
        ).fetchall()[0]
        return int(got[0])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _ingest_ok AS "
        f"SELECT vehicle_id, ts, path AS signal, value FROM ({res}) WHERE ok",
        {k: v for k, v in p.items() if k != "sid"},
    )
    got = con.execute(
        f"""
        INSERT INTO {target} (vehicle_id, ts, signal, value, source_id)
        WITH repeated AS (
            SELECT vehicle_id, ts, signal, min(rowid) AS first
            FROM _ingest_ok GROUP BY ALL HAVING count(*) > 1
        ),
        staged AS (  -- every row but the later ones of a repeated key (first in file order kept)
            SELECT o.vehicle_id, o.ts, o.signal, o.value
            FROM _ingest_ok o LEFT JOIN repeated r
                 ON o.vehicle_id = r.vehicle_id AND o.ts = r.ts AND o.signal = r.signal
            WHERE r.first IS NULL OR o.rowid = r.first
        ),
        bounds AS (
            SELECT vehicle_id, min(ts) AS t0, max(ts) AS t1 FROM staged GROUP BY vehicle_id
        ),
        existing AS (
            SELECT s.vehicle_id, s.ts, s.signal FROM {stored} s
            JOIN bounds b ON s.vehicle_id = b.vehicle_id AND s.ts BETWEEN b.t0 AND b.t1
        )
        SELECT st.vehicle_id, st.ts, st.signal, st.value, $sid
        FROM staged st ANTI JOIN existing e USING (vehicle_id, ts, signal)
        ORDER BY st.vehicle_id, st.ts, st.signal
        """,
        {"sid": source_id},
    ).fetchall()[0]
    return int(got[0])


def duplicate_counts(con: Any) -> list[tuple[str, int, int, str | None]]:
    """Per vehicle in ``_ingest_ok``: repeated rows, keys with conflicting values, an example.

    Conflicting values at one time usually mean two streams were merged or the logger clock
    jumped (samples stamped an hour off collide with real ones); the quality report shows them.
    """
    rows = con.execute(
        """
        WITH k AS (  -- ok rows have a value, so min <> max means two different values
            SELECT vehicle_id, ts, signal, count(*) AS n, min(value) <> max(value) AS differ
            FROM _ingest_ok GROUP BY ALL HAVING count(*) > 1
        )
        SELECT vehicle_id, sum(n - 1)::BIGINT, count(*) FILTER (WHERE differ),
               any_value(signal || ' at ' || CAST(ts AS VARCHAR)) FILTER (WHERE differ)
        FROM k GROUP BY vehicle_id ORDER BY vehicle_id
        """
    ).fetchall()
    return [(r[0], int(r[1]), int(r[2]), r[3]) for r in rows]
