"""Insert a clean long export straight from DuckDB's file reader into ``signals``.

The fast path for canonical long CSV and Parquet: one ``INSERT … SELECT`` reads the file and
stops at the first row it cannot store as it is (no vehicle or time, a value that is not a
finite number, a signal name spelled otherwise than the first row's). Inside the same
transaction the inserted rows are then checked: per vehicle and signal, names known to the
catalog and values inside the valid range (one grouped pass); keys ``(vehicle, time, signal)``
proven distinct within the file and absent from the rows the warehouse already holds. Whatever
cannot be shown raises :class:`NotDirect`: the loader rolls the transaction back and takes the
exact path (staging, per-row reasons with examples, de-duplication), so the result is the same
either way, only the time differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analytics.catalog import load_catalog
from analytics.ingest.base import ReadContext
from analytics.ingest.exports.tabular import count_rejects
from analytics.ingest.validate import build_units, check_units

__all__ = ["DirectSource", "NotDirect", "insert_direct"]

_STOP = "row needs the exact ingest path"
_MAX_SLOTS = 1 << 16
_PATH_HASHES = "SELECT p, hash(p) FROM unnest($p) AS t(p)"


class NotDirect(Exception):
    """The file cannot be ingested by the direct path; the loader takes the exact one."""


@dataclass(frozen=True)
class DirectSource:
    """A reader's offer to insert a file in one pass.

    ``sql`` selects ``vehicle_id, ts, signal, value`` over the file (``ts`` a UTC
    ``TIMESTAMPTZ``, NULL when unreadable or implausible; ``value`` a DOUBLE, NULL when not a
    number); ``first_signal`` is the signal name of the file's first row (it decides which of
    the catalog's spellings the file uses); ``csv_rejects`` says the query runs ``read_csv``
    with the ``_ingest_rejects`` table, whose lines are counted as skipped.
    """

    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    first_signal: str | None = None
    csv_rejects: bool = False


# names spelled as VSS paths are stored as they are (checked against the catalog from the
# per-signal summary, like the value ranges); other spellings are resolved by a join, and a
# name the catalog lacks violates the NOT NULL of ``signals.signal``
_INSERT = """
    INSERT INTO signals (vehicle_id, ts, signal, value, source_id)
    SELECT coalesce(s.vehicle_id, $vid), s.ts, {name},
           CASE WHEN isfinite(s.value) THEN s.value ELSE error('{stop}') END, $sid
    FROM ({src}) s {join}
"""
_JOIN = "LEFT JOIN _ingest_units u ON u.name = s.signal AND u.unit = ''"

_GROUPS = """
    SELECT *, hash(vehicle_id), xor(hash(vehicle_id), hash(signal)) FROM (
        SELECT vehicle_id, signal, count(*), min(value), max(value), min(ts), max(ts)
        FROM signals WHERE source_id = $sid GROUP BY ALL)
"""

# One streaming pass over fixed-width columns, in the stored (file) order. Order A: rows sorted
# by (vehicle, ts, signal): a vehicle's rows are one run, inside which (ts, signal rank)
# strictly increases. Order B: sorted by (vehicle, signal, ts): a series is one run, inside
# which ts strictly increases. Runs are told apart by hashes, so the loader also checks that
# the hashes of the file's vehicles (series) are distinct; then either order proves every key
# distinct without a hash table. The rank of a catalog path (its place in byte order) is looked
# up in a constant list by its hash modulo a number for which no two paths share a slot.
_ORDER_PROOF = """
    SELECT count(*) FILTER (WHERE hv IS DISTINCT FROM phv),
           count(*) FILTER (WHERE hv = phv AND NOT (ts > pt OR (ts = pt AND r > pr))),
           count(*) FILTER (WHERE h IS DISTINCT FROM ph),
           count(*) FILTER (WHERE h = ph AND ts <= pt)
    FROM (SELECT hv, h, ts, r, lag(hv) OVER () AS phv, lag(h) OVER () AS ph,
                 lag(ts) OVER () AS pt, lag(r) OVER () AS pr
          FROM (SELECT hv, xor(hv, hs) AS h, ts, {ranks}[(hs % {slots})::INTEGER + 1] AS r
                FROM (SELECT hash(vehicle_id) AS hv, hash(signal) AS hs, ts
                      FROM signals WHERE source_id = $sid)))
"""

_HASH_PROOF = """
    SELECT count(*) - count(DISTINCT hash(vehicle_id, signal, ts))
    FROM signals WHERE source_id = $sid
"""

_OVERLAP = """
    SELECT 1 FROM signals WHERE vehicle_id = $v AND ts BETWEEN $t0 AND $t1
    AND source_id IS DISTINCT FROM $sid LIMIT 1
"""

_STORED_KEYS = """
    WITH b AS (SELECT * FROM (VALUES {bounds}) b(vehicle_id, t0, t1)),
    old AS (
        SELECT s.vehicle_id, s.ts, s.signal FROM signals s
        JOIN b ON s.vehicle_id = b.vehicle_id AND s.ts BETWEEN b.t0 AND b.t1
        WHERE s.source_id IS DISTINCT FROM $sid
    )
    SELECT count(*) FROM (SELECT vehicle_id, ts, signal FROM signals WHERE source_id = $sid
                          AND ts BETWEEN $lo AND $hi) n
    SEMI JOIN old USING (vehicle_id, ts, signal)
"""


def _catalog_names(first: str | None) -> tuple[str, list[str]]:
    """The spelling (path, DIMO alias or key) of ``first`` and every catalog name in it.

    One name per signal, so the inserted rows group by path exactly as the file's rows group
    by name; a row spelled otherwise stops the direct path.
    """
    cat = load_catalog()
    sig = cat.find(first) if first else None
    if sig is None:
        raise NotDirect(f"first signal {first!r} is not a catalog name")
    for attr in ("path", "dimo_alias", "key"):
        if getattr(sig, attr) == first:
            return attr, [n for s in cat.signals if (n := getattr(s, attr))]
    raise NotDirect(f"first signal {first!r} is not a catalog name")


def _one(con: Any, sql: str, params: dict[str, Any]) -> tuple:
    return con.execute(sql, params).fetchall()[0]


def _ranks(con: Any) -> tuple[str, int] | None:
    """A SQL list giving each catalog path's rank at ``hash(path) % slots + 1``, and ``slots``.

    None when no small modulus separates the paths' hashes (the order proof is then skipped).
    """
    paths = sorted({s.path for s in load_catalog().signals})
    by_path = dict(con.execute(_PATH_HASHES, {"p": paths}).fetchall())
    hashes = [by_path[p] for p in paths]
    for slots in range(len(paths), _MAX_SLOTS):
        if len({h % slots for h in hashes}) == len(paths):
            ranks = [0] * slots
            for rank, h in enumerate(hashes, start=1):
                ranks[h % slots] = rank
            return "[" + ", ".join(map(str, ranks)) + "]", slots
    return None


def _keys_unique(con: Any, sid: int, groups: list[tuple]) -> bool:
    """True when no (vehicle, time, signal) of source ``sid`` repeats.

    ``groups`` are the rows of :data:`_GROUPS`: per series, its vehicle and series hashes.
    """
    lookup = _ranks(con)
    if lookup is not None:
        vehicle_hash = {g[0]: g[7] for g in groups}
        series_hash = {g[8] for g in groups}
        proof = _ORDER_PROOF.format(ranks=lookup[0], slots=lookup[1])
        runs_v, bad_a, runs_s, bad_b = _one(con, proof, {"sid": sid})
        if len(set(vehicle_hash.values())) == len(vehicle_hash) == runs_v and bad_a == 0:
            return True
        if len(series_hash) == len(groups) == runs_s and bad_b == 0:
            return True
    return int(_one(con, _HASH_PROOF, {"sid": sid})[0]) == 0


def _collides_with_stored(con: Any, sid: int, bounds: dict[str, tuple[Any, Any]]) -> bool:
    """True when a key of source ``sid`` is already stored by another source."""
    hits = [
        (vid, t0, t1)
        for vid, (t0, t1) in bounds.items()
        if con.execute(_OVERLAP, {"v": vid, "t0": t0, "t1": t1, "sid": sid}).fetchall()
    ]
    if not hits:
        return False
    values = ", ".join(f"($v{i}, $a{i}, $b{i})" for i in range(len(hits)))
    params: dict[str, Any] = {"sid": sid, "lo": min(h[1] for h in hits)}
    params["hi"] = max(h[2] for h in hits)
    for i, (vid, t0, t1) in enumerate(hits):
        params.update({f"v{i}": vid, f"a{i}": t0, f"b{i}": t1})
    return int(_one(con, _STORED_KEYS.format(bounds=values), params)[0]) > 0


def insert_direct(con: Any, src: DirectSource, ctx: ReadContext, source_id: int) -> int:
    """Insert the file's rows under ``source_id``; raise :class:`NotDirect` when not clean.

    Fills ``ctx``'s counters and issues (CSV lines the reader rejected, suspect units); runs
    inside the caller's transaction, which must be rolled back on :class:`NotDirect`.
    """
    form, names = _catalog_names(src.first_signal)
    path_info = {r["path"]: r for r in build_units(con, {(n, "") for n in names})}
    params = dict(src.params, vid=ctx.vehicle_id, sid=source_id)
    as_is = form == "path"
    sql = _INSERT.format(
        name="s.signal" if as_is else "u.path",
        stop=_STOP,
        src=src.sql,
        join="" if as_is else _JOIN,
    )
    try:
        written = int(_one(con, sql, params)[0])
    except Exception as exc:  # duckdb raises its own error types
        if _STOP in str(exc):
            raise NotDirect("a row is not storable as it is") from exc
        raise
    rejected = count_rejects(ctx) if src.csv_rejects else 0
    groups = con.execute(_GROUPS, {"sid": source_id}).fetchall()
    bounds: dict[str, tuple[Any, Any]] = {}
    for vid, path, n, vmin, vmax, t0, t1, *_ in groups:
        info = path_info.get(path)
        if info is None or info["problem"] or not info["min_v"] <= vmin <= vmax <= info["max_v"]:
            raise NotDirect(f"{path}: not a catalog path, or values outside the valid range")
        check_units(ctx.issues, path, "", info, int(n), 0, vmin, vmax)
        lo, hi = bounds.get(vid, (t0, t1))
        bounds[vid] = (min(lo, t0), max(hi, t1))
    if not _keys_unique(con, source_id, groups):
        raise NotDirect("the file repeats a (vehicle, time, signal)")
    if _collides_with_stored(con, source_id, bounds):
        raise NotDirect("the warehouse already holds some of these rows")
    ctx.records_read += written + rejected
    ctx.records_decoded += written
    ctx.records_skipped += rejected
    return written
