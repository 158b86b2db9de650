"""Validate staged rows and write them to ``signals`` inside DuckDB, never row by row in Python.

The loader hands this module one SQL source (a reader's :class:`SqlChunk` over a file, or the
staging table the frame chunks went into). Three passes run on it:

1. resolve names and units: every distinct ``(signal, unit)`` becomes a row of
   ``_ingest_units`` (VSS path, affine conversion to the catalog unit, valid range, or the
   problem that makes the rows unusable);
2. one aggregate pass counts every reason a row cannot be stored (no vehicle, bad timestamp,
   bad value, unknown signal, bad unit, out of range), with an example of each, plus per
   group the distinct timestamps (duplicates) and the time bounds;
3. the insert: a plain ``INSERT … SELECT`` when the file has no duplicates and does not
   overlap what the warehouse already holds (the common case, near the speed of a bare
   insert); otherwise a de-duplicating insert that keeps the first row of each
   ``(vehicle, time, signal)`` in file order, never overwrites stored rows and sorts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analytics.catalog import canonical_unit, conversion, load_catalog
from analytics.errors import CatalogError
from analytics.ingest.issues import IssueCollector

__all__ = ["SourceStats", "analyse_source", "insert_signals", "source_columns"]

_NAIVE_TS = r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*$"


@dataclass
class SourceStats:
    """What the aggregate pass found in one source."""

    rows: int = 0
    ok: int = 0
    duplicates: int = 0
    bounds: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    mixed_names: bool = False
    quarantine: list[tuple[str | None, str | None, str, int, str | None]] = field(
        default_factory=list
    )


def source_columns(con: Any, sql: str, params: dict[str, Any]) -> list[str]:
    """Column names the source SQL produces (without reading the data)."""
    rel = con.execute(f"SELECT * FROM ({sql}) LIMIT 0", params or None)
    return [d[0] for d in rel.description]


def _build_units(con: Any, src: str, params: dict[str, Any], has_unit: bool) -> list[dict]:
    """Create ``_ingest_units`` for the source's distinct names (and units)."""
    cat = load_catalog()
    unit_sql = "coalesce(unit, '')" if has_unit else "''"
    pairs = con.execute(
        f"SELECT DISTINCT signal, {unit_sql} FROM ({src}) WHERE signal IS NOT NULL", params or None
    ).fetchall()
    rows: list[dict] = []
    for name, unit in pairs:
        sig = cat.find(name)
        row = {
            "name": name,
            "unit": unit,
            "path": None,
            "scale": 1.0,
            "offset": 0.0,
            "min_v": None,
            "max_v": None,
            "problem": None,
            "message": None,
            "canonical": None,
            "source_unit": None,
        }
        if sig is None:
            row["problem"] = "unknown_signal"
            row["message"] = cat.unknown_message(name)
        else:
            row.update(path=sig.path, min_v=sig.min, max_v=sig.max, canonical=sig.unit)
            row["source_unit"] = sig.unit
            if unit:
                try:
                    row["source_unit"] = canonical_unit(unit)
                    row["scale"], row["offset"] = conversion(row["source_unit"], sig.unit)
                except CatalogError as exc:
                    row["problem"] = "bad_unit"
                    row["message"] = f"{name} in {unit!r}: {exc}"
        rows.append(row)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_units (name VARCHAR, unit VARCHAR, path VARCHAR, "
        'scale DOUBLE, "offset" DOUBLE, min_v DOUBLE, max_v DOUBLE, problem VARCHAR)'
    )
    if rows:
        con.executemany(
            "INSERT INTO _ingest_units VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    r["name"],
                    r["unit"],
                    r["path"],
                    r["scale"],
                    r["offset"],
                    r["min_v"],
                    r["max_v"],
                    r["problem"],
                ]
                for r in rows
            ],
        )
    return rows


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


def analyse_source(
    con: Any, src: str, params: dict[str, Any], vehicle_id: str | None, issues: IssueCollector
) -> SourceStats:
    """Resolve names/units and count every reason a row cannot be stored."""
    cols = source_columns(con, src, params)
    unit_rows = _build_units(con, src, params, "unit" in cols)
    messages = {(r["name"], r["unit"]): r for r in unit_rows}
    p = dict(params or {}, vid=vehicle_id)
    res = resolved_sql(src, cols)
    basic = "vehicle_id IS NOT NULL AND ts IS NOT NULL"
    finite = "value IS NOT NULL AND NOT isnan(value) AND NOT isinf(value)"
    q = f"""
        SELECT vehicle_id, name, unit, any_value(path), any_value(problem),
          count(*) AS n,
          count(*) FILTER (WHERE vehicle_id IS NULL),
          count(*) FILTER (WHERE vehicle_id IS NOT NULL AND ts IS NULL),
          count(*) FILTER (WHERE vehicle_id IS NOT NULL AND ts IS NULL
                           AND regexp_matches(ts_raw, $naive)),
          any_value(ts_raw) FILTER (WHERE vehicle_id IS NOT NULL AND ts IS NULL),
          count(*) FILTER (WHERE {basic} AND NOT ({finite})),
          any_value(coalesce(value_raw, CAST(value AS VARCHAR)))
              FILTER (WHERE {basic} AND NOT ({finite})),
          count(*) FILTER (WHERE {basic} AND {finite} AND path IS NOT NULL
                           AND problem IS NULL AND NOT ok),
          any_value(CAST(value AS VARCHAR) || ' at ' || CAST(ts AS VARCHAR))
              FILTER (WHERE {basic} AND {finite} AND path IS NOT NULL
                      AND problem IS NULL AND NOT ok),
          count(*) FILTER (WHERE ok) AS n_ok,
          count(DISTINCT ts) FILTER (WHERE ok),
          CAST(min(ts) FILTER (WHERE ok) AS VARCHAR), CAST(max(ts) FILTER (WHERE ok) AS VARCHAR),
          min(value) FILTER (WHERE ok), max(value) FILTER (WHERE ok),
          count(*) FILTER (WHERE {basic} AND {finite} AND (path IS NULL OR problem IS NOT NULL))
        FROM ({res}) GROUP BY ALL
    """
    p["naive"] = _NAIVE_TS
    stats = SourceStats()
    seen_paths: dict[tuple[str, str], int] = {}
    for row in con.execute(q, p).fetchall():
        (
            vid,
            name,
            unit,
            path,
            problem,
            n,
            n_noveh,
            n_badts,
            n_naive,
            ex_ts,
            n_badval,
            ex_val,
            n_oor,
            ex_oor,
            n_ok,
            n_distinct,
            t0,
            t1,
            vmin,
            vmax,
            n_unres,
        ) = row
        stats.rows += n
        stats.ok += n_ok
        stats.duplicates += n_ok - n_distinct
        issues.add(
            "no_vehicle_id",
            count=n_noveh,
            severity="error",
            detail="rows without a vehicle id; pass --vehicle ID",
        )
        issues.add(
            "timestamp_without_offset",
            count=n_naive,
            example=ex_ts,
            detail="ISO-8601 times need an offset (Z or +02:00) or epoch milliseconds",
        )
        issues.add("bad_timestamp", count=n_badts - n_naive, example=ex_ts)
        issues.add("bad_value", count=n_badval, example=f"{name} = {ex_val}", detail=path or name)
        issues.add("out_of_range", count=n_oor, example=f"{path} = {ex_oor}", detail=path)
        if n_unres:
            info = messages.get((name, unit), {})
            issues.add(
                problem or "unknown_signal",
                count=n_unres,
                severity="error",
                example=info.get("message"),
                detail=name,
            )
        if unit and path and n_ok:
            info = messages.get((name, unit), {})
            if info.get("source_unit") != info.get("canonical"):
                issues.add(
                    "unit_converted",
                    count=n_ok,
                    severity="info",
                    detail=f"{path}: {unit} -> {info.get('canonical')}",
                )
        if n_ok and vid is not None:
            key = (vid, path)
            seen_paths[key] = seen_paths.get(key, 0) + 1
            lo, hi = stats.bounds.get(vid, (t0, t1))
            stats.bounds[vid] = (min(lo, t0), max(hi, t1))
        _check_units(issues, path, unit, messages.get((name, unit)), n_ok, n_oor, vmin, vmax)
        for reason, count, example in (
            ("out_of_range", n_oor, ex_oor),
            ("bad_value", n_badval, ex_val),
            ("bad_timestamp", n_badts - n_naive, ex_ts),
            ("timestamp_without_offset", n_naive, ex_ts),
            (problem or "unknown_signal", n_unres, None),
        ):
            if count:
                stats.quarantine.append((vid, path or name, reason, int(count), example))
    stats.mixed_names = any(v > 1 for v in seen_paths.values())
    return stats


def _check_units(
    issues: IssueCollector,
    path: str | None,
    unit: str,
    info: dict | None,
    n_ok: int,
    n_oor: int,
    vmin: float | None,
    vmax: float | None,
) -> None:
    """Flag values that look like they were written in another unit than declared."""
    if not path or not info or info.get("problem"):
        return
    declared = info.get("source_unit")
    if n_oor and n_oor >= max(n_ok, 1):
        issues.add(
            "suspect_unit",
            count=n_oor,
            severity="warning",
            detail=path,
            example=f"most {path} values are out of range in {declared}; "
            "check the unit (add a unit column or fix the column map)",
        )
    if (
        declared == "percent"
        and n_ok >= 20
        and vmin is not None
        and vmax is not None
        and vmin >= 0
        and 0 < vmax <= 1.0
    ):
        issues.add(
            "suspect_unit",
            count=n_ok,
            severity="warning",
            detail=path,
            example=f"all {path} values lie in 0..1; they look like a fraction, "
            "not percent (declare unit 'fraction')",
        )


def overlaps_existing(con: Any, bounds: dict[str, tuple[Any, Any]]) -> bool:
    """True when the warehouse already holds rows of these vehicles inside these times."""
    for vid, (t0, t1) in bounds.items():
        hit = con.execute(
            "SELECT 1 FROM signals WHERE vehicle_id = ? AND ts BETWEEN CAST(? AS TIMESTAMPTZ) "
            "AND CAST(? AS TIMESTAMPTZ) LIMIT 1",
            [vid, t0, t1],
        ).fetchone()
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
) -> int:
    """Insert the source's ``ok`` rows; with ``dedup`` keep the first per key, skip stored."""
    cols = source_columns(con, src, params)
    p = dict(params or {}, vid=vehicle_id, sid=source_id)
    res = resolved_sql(src, cols)
    if not dedup:
        got = con.execute(
            f"INSERT INTO signals (vehicle_id, ts, signal, value, source_id) "
            f"SELECT vehicle_id, ts, path, value, $sid FROM ({res}) WHERE ok",
            p,
        ).fetchone()
        return int(got[0])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _ingest_ok AS "
        f"SELECT vehicle_id, ts, path AS signal, value FROM ({res}) WHERE ok",
        {k: v for k, v in p.items() if k != "sid"},
    )
    got = con.execute(
        """
        INSERT INTO signals (vehicle_id, ts, signal, value, source_id)
        WITH staged AS (
            SELECT vehicle_id, ts, signal, arg_min(value, rowid) AS value
            FROM _ingest_ok GROUP BY ALL
        ),
        bounds AS (
            SELECT vehicle_id, min(ts) AS t0, max(ts) AS t1 FROM staged GROUP BY vehicle_id
        ),
        existing AS (
            SELECT s.vehicle_id, s.ts, s.signal FROM signals s
            JOIN bounds b ON s.vehicle_id = b.vehicle_id AND s.ts BETWEEN b.t0 AND b.t1
        )
        SELECT st.vehicle_id, st.ts, st.signal, st.value, $sid
        FROM staged st ANTI JOIN existing e USING (vehicle_id, ts, signal)
        ORDER BY st.vehicle_id, st.ts, st.signal
        """,
        {"sid": source_id},
    ).fetchone()
    return int(got[0])


def conflicting_duplicates(con: Any) -> tuple[int, str | None]:
    """Keys in ``_ingest_ok`` given with different values (after a de-duplicating insert)."""
    row = con.execute(
        "SELECT count(*), any_value(vehicle_id || ' ' || signal || ' at ' || CAST(ts AS VARCHAR)) "
        "FROM (SELECT vehicle_id, ts, signal FROM _ingest_ok GROUP BY ALL "
        "HAVING count(DISTINCT value) > 1)"
    ).fetchone()
    return int(row[0]), row[1]
