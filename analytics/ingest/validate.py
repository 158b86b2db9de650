"""Validate a source in DuckDB: resolve names and units, count every reason a row is skipped.

Passes over the source (a reader's SQL over a file, or the staging table):

1. one aggregate per (vehicle, name, unit) without any join — counts of missing times and
   values, value and time bounds (skipped when the reader already summarised a clean file);
   its distinct names and units become ``_ingest_units`` (VSS path, affine conversion to the
   catalog unit, valid range, or the problem that makes the rows unusable);
2. a proof or an exact count of repeated (vehicle, time, signal) keys;
3. only for a source with problems: the per-row reasons with an example each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analytics.catalog import canonical_unit, conversion, load_catalog
from analytics.errors import CatalogError
from analytics.ingest.issues import IssueCollector
from analytics.ingest.source_sql import resolved_sql, source_columns

__all__ = ["SourceStats", "analyse_source", "build_units", "check_units"]

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


def build_units(con: Any, pairs: set[tuple[str, str]]) -> list[dict]:
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
    unit_rows = build_units(con, {(g[1], g[2]) for g in groups if g[1] is not None})
    info_of = {(r["name"], r["unit"]): r for r in unit_rows}
    stats = SourceStats()
    clean, identity = True, True
    seen_paths: dict[tuple[str, str], int] = {}
    # unit notes of a clean source; one with problems gets them from the exact pass instead
    notes = IssueCollector()
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
                notes.add(
                    "unit_converted",
                    count=n,
                    severity="info",
                    detail=f"{path}: {unit} -> {info.get('canonical')}",
                )
            check_units(notes, path, unit, info, n, 0, lo, hi)
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
    else:
        issues.extend(notes.items())
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
        check_units(issues, path, unit, info, n_ok, n_oor, vmin, vmax)
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


def check_units(
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
