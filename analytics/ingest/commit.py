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

__all__ = [
    "SourceStats",
    "analyse_source",
    "duplicate_counts",
    "first_row",
    "insert_signals",
    "overlaps_existing",
    "source_columns",
]

_NAIVE_TS = r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*$"


@dataclass
class SourceStats:
    """What the aggregate pass found in one source."""

    rows: int = 0
    ok: int = 0
    duplicates: int = 0
    bounds: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    mixed_names: bool = False
    clean: bool = False  # every row is storable as it is
    identity: bool = False  # clean, names are VSS paths, values already in catalog units
    quarantine: list[tuple[str | None, str | None, str, int, str | None]] = field(
        default_factory=list
    )


def first_row(cursor: Any) -> tuple | None:
    """The first row of a result (or None), reading it to the end as DuckDB requires."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def source_columns(con: Any, sql: str, params: dict[str, Any]) -> list[str]:
    """Column names the source SQL produces (without reading the data)."""
    rel = con.execute(f"SELECT * FROM ({sql}) LIMIT 0", params or None)
    return [d[0] for d in rel.description]


def _build_units(con: Any, pairs: set[tuple[str, str]]) -> list[dict]:
    """Create ``_ingest_units`` for the source's distinct ``(name, unit)`` pairs."""
    cat = load_catalog()
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


_REASON_SQL = """
    CASE WHEN vehicle_id IS NULL THEN 'no_vehicle_id'
         WHEN ts IS NULL AND regexp_matches(coalesce(ts_raw, ''), $naive)
              THEN 'timestamp_without_offset'
         WHEN ts IS NULL THEN 'bad_timestamp'
         WHEN value IS NULL OR isnan(value) OR isinf(value) THEN 'bad_value'
         WHEN path IS NULL OR problem IS NOT NULL THEN coalesce(problem, 'unknown_signal')
         ELSE 'out_of_range' END
"""


def _examples(con: Any, res: str, p: dict[str, Any]) -> dict[tuple, str]:
    """One example per (vehicle, name, unit, reason) of the rows that are not stored.

    Runs only when the counting pass found problems; the filter comes first, so strings are
    built for the bad rows only.
    """
    q = f"""
        SELECT vehicle_id, name, unit, {_REASON_SQL} AS reason,
               any_value(CASE WHEN ts IS NULL THEN coalesce(ts_raw, '(empty)')
                              WHEN value IS NULL OR isnan(value) OR isinf(value)
                                   THEN name || ' = ' || coalesce(value_raw, CAST(value AS VARCHAR), '(empty)')
                              ELSE coalesce(path, name) || ' = ' || CAST(value AS VARCHAR)
                                   || ' at ' || CAST(ts AS VARCHAR) END)
        FROM ({res}) WHERE NOT coalesce(ok, false) GROUP BY ALL
    """
    return {
        (r[0], r[1], r[2], r[3]): r[4] for r in con.execute(q, dict(p, naive=_NAIVE_TS)).fetchall()
    }


def _repeated_keys(con: Any, src: str, params: dict[str, Any], vehicle_id: str | None) -> int:
    """Rows whose (vehicle, time, signal name) repeats an earlier row of the source.

    Counted on the raw source (one hash per row, no join): exact for the names as written;
    a signal given under two names is caught by ``mixed_names`` instead.
    """
    got = con.execute(
        f"SELECT count(*) - count(DISTINCT hash(coalesce(vehicle_id, $vid), signal, ts)) "
        f"FROM ({src})",
        dict(params or {}, vid=vehicle_id),
    ).fetchall()[0]
    return int(got[0])


def analyse_source(
    con: Any,
    src: str,
    params: dict[str, Any],
    vehicle_id: str | None,
    issues: IssueCollector,
    *,
    unique_keys: bool | None = None,
    precomputed: list[tuple[Any, ...]] | None = None,
) -> SourceStats:
    """Resolve names/units and count every reason a row cannot be stored.

    The first pass aggregates the raw source per (vehicle, name, unit) without any join:
    counts of missing times and values, value and time bounds. A group whose bounds,
    converted to the catalog unit, lie inside the valid range has no out-of-range rows, so a
    clean file needs nothing more; only a file with problems pays for the exact per-row
    reason pass (with examples).
    """
    cols = source_columns(con, src, params)
    unit_sql = "coalesce(unit, '')" if "unit" in cols else "''"
    p = dict(params or {}, vid=vehicle_id)
    finite = "value IS NOT NULL AND NOT isnan(value) AND NOT isinf(value)"
    q = f"""
        SELECT coalesce(vehicle_id, $vid) AS v, signal, {unit_sql} AS u, count(*) AS n,
          count(*) FILTER (WHERE ts IS NULL),
          count(*) FILTER (WHERE ts IS NOT NULL AND NOT ({finite})),
          min(value) FILTER (WHERE ts IS NOT NULL AND {finite}),
          max(value) FILTER (WHERE ts IS NOT NULL AND {finite}),
          CAST(min(ts) AS VARCHAR), CAST(max(ts) AS VARCHAR)
        FROM ({src}) GROUP BY ALL
    """
    groups = precomputed if precomputed is not None else con.execute(q, p).fetchall()
    unit_rows = _build_units(con, {(g[1], g[2]) for g in groups if g[1] is not None})
    info_of = {(r["name"], r["unit"]): r for r in unit_rows}
    stats = SourceStats()
    clean, identity = True, True
    seen_paths: dict[tuple[str, str], int] = {}
    for vid, name, unit, n, n_nots, n_badval, vmin, vmax, t0, t1 in groups:
        stats.rows += n
        info = info_of.get((name, unit), {})
        path = info.get("path")
        lo, hi = _converted(info, vmin, vmax)
        ok_group = (
            vid is not None
            and name is not None
            and not n_nots
            and not n_badval
            and path is not None
            and not info.get("problem")
            and (lo is None or (info["min_v"] <= lo and hi <= info["max_v"]))
        )
        clean &= ok_group
        identity &= name == path and info.get("scale") == 1.0 and info.get("offset") == 0.0
        if ok_group:
            stats.ok += n
            if unit and info.get("source_unit") != info.get("canonical"):
                issues.add(
                    "unit_converted",
                    count=n,
                    severity="info",
                    detail=f"{path}: {unit} -> {info.get('canonical')}",
                )
            _check_units(issues, path, unit, info, n, 0, lo, hi)
        if vid is not None and path is not None and t0 is not None:
            key = (vid, path)
            seen_paths[key] = seen_paths.get(key, 0) + 1
            lo_t, hi_t = stats.bounds.get(vid, (t0, t1))
            stats.bounds[vid] = (min(lo_t, t0), max(hi_t, t1))
    stats.clean, stats.identity = clean, identity and clean
    stats.mixed_names = any(v > 1 for v in seen_paths.values())
    if unique_keys is not True:
        stats.duplicates = _repeated_keys(con, src, params, vehicle_id)
    if not clean:
        _exact_reasons(con, src, cols, p, stats, info_of, issues)
    return stats


def _converted(
    info: dict, vmin: float | None, vmax: float | None
) -> tuple[float | None, float | None]:
    """Raw value bounds in the catalog unit (every unit scale is positive)."""
    if vmin is None or vmax is None or info.get("path") is None:
        return None, None
    return vmin * info["scale"] + info["offset"], vmax * info["scale"] + info["offset"]


def _exact_reasons(
    con: Any,
    src: str,
    cols: list[str],
    p: dict[str, Any],
    stats: SourceStats,
    info_of: dict,
    issues: IssueCollector,
) -> None:
    """Per-row reasons and examples for a source with problems (second and third pass)."""
    res = resolved_sql(src, cols)
    rows = con.execute(
        f"""SELECT vehicle_id, name, unit, count(*) FILTER (WHERE ok),
                   count(*) FILTER (WHERE NOT ok AND vehicle_id IS NOT NULL AND ts IS NOT NULL
                       AND value IS NOT NULL AND NOT isnan(value) AND NOT isinf(value)
                       AND path IS NOT NULL AND problem IS NULL),
                   min(value) FILTER (WHERE ok), max(value) FILTER (WHERE ok)
            FROM ({res}) GROUP BY ALL""",
        p,
    ).fetchall()
    stats.ok = 0
    for _vid, name, unit, n_ok, n_oor, vmin, vmax in rows:
        stats.ok += n_ok
        info = info_of.get((name, unit), {})
        path = info.get("path")
        if unit and path and n_ok and info.get("source_unit") != info.get("canonical"):
            issues.add(
                "unit_converted",
                count=n_ok,
                severity="info",
                detail=f"{path}: {unit} -> {info.get('canonical')}",
            )
        _check_units(issues, path, unit, info, n_ok, n_oor, vmin, vmax)
    examples = _examples(con, res, p)
    rq = (
        f"SELECT vehicle_id, name, unit, {_REASON_SQL}, count(*) FROM ({res}) "
        "WHERE NOT coalesce(ok, false) GROUP BY ALL"
    )
    reasons = {
        (r[0], r[1], r[2], r[3]): r[4] for r in con.execute(rq, dict(p, naive=_NAIVE_TS)).fetchall()
    }
    for (vid, name, unit, reason), count in sorted(reasons.items(), key=lambda kv: str(kv[0])):
        example = examples.get((vid, name, unit, reason))
        info = info_of.get((name, unit), {})
        path = info.get("path")
        _add_reason(issues, reason, count, example, name, path, info)
        stats.quarantine.append((vid, path or name, reason, int(count), example))


def _add_reason(
    issues: IssueCollector,
    reason: str,
    count: int,
    example: str | None,
    name: str | None,
    path: str | None,
    info: dict,
) -> None:
    """Record one reason rows were not stored, with the wording users see."""
    if reason == "no_vehicle_id":
        issues.add(
            reason,
            count=count,
            severity="error",
            detail="rows without a vehicle id; pass --vehicle ID",
        )
    elif reason == "timestamp_without_offset":
        issues.add(
            reason,
            count=count,
            example=example,
            detail="ISO-8601 times need an offset (Z or +02:00) or epoch milliseconds",
        )
    elif reason in ("unknown_signal", "bad_unit"):
        issues.add(
            reason,
            count=count,
            severity="error",
            example=info.get("message") or example,
            detail=name,
        )
    elif reason == "bad_timestamp":
        issues.add(reason, count=count, example=example, detail="unreadable or before 2000-01-01")
    else:
        issues.add(reason, count=count, example=example, detail=path or name)


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
) -> int:
    """Insert the source's ``ok`` rows; with ``dedup`` keep the first per key, skip stored."""
    cols = source_columns(con, src, params)
    p = dict(params or {}, vid=vehicle_id, sid=source_id)
    res = resolved_sql(src, cols)
    if not dedup and identity:
        got = con.execute(
            f"INSERT INTO signals (vehicle_id, ts, signal, value, source_id) "
            f"SELECT coalesce(vehicle_id, $vid), ts, signal, value, $sid FROM ({src})",
            {**(params or {}), "vid": vehicle_id, "sid": source_id},
        ).fetchall()[0]
        return int(got[0])
    if not dedup:
        got = con.execute(
            f"INSERT INTO signals (vehicle_id, ts, signal, value, source_id) "
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
    ).fetchall()[0]
    return int(got[0])


def duplicate_counts(con: Any) -> list[tuple[str, int, int, str | None]]:
    """Per vehicle in ``_ingest_ok``: repeated rows, keys with conflicting values, an example.

    Conflicting values at one time usually mean two streams were merged or the logger clock
    jumped (samples stamped an hour off collide with real ones); the quality report shows them.
    """
    rows = con.execute(
        """
        WITH k AS (
            SELECT vehicle_id, ts, signal, count(*) AS n, count(DISTINCT value) AS nv
            FROM _ingest_ok GROUP BY ALL HAVING count(*) > 1
        )
        SELECT vehicle_id, sum(n - 1)::BIGINT, count(*) FILTER (WHERE nv > 1),
               any_value(signal || ' at ' || CAST(ts AS VARCHAR)) FILTER (WHERE nv > 1)
        FROM k GROUP BY vehicle_id ORDER BY vehicle_id
        """
    ).fetchall()
    return [(r[0], int(r[1]), int(r[2]), r[3]) for r in rows]
