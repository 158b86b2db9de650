"""DIMO Telemetry API responses (GraphQL JSON) as saved from ``signals`` / ``signalsLatest``.

Supported shapes (see ``docs/exports.md``):

* ``signals`` — ``{"data": {"signals": [{"timestamp": "...Z", "speed": 12.0, ...}, ...]}}``:
  one row per aggregation interval, lowerCamelCase DIMO signal names as fields;
* ``signalsLatest`` — ``{"data": {"signalsLatest": {"lastSeen": "...", "speed":
  {"timestamp": "...", "value": 12.0}, ...}}}``: one ``{timestamp, value}`` per signal;
* the same without the ``data`` wrapper, or a JSON array of several responses (pages).

Values arrive in DIMO's units (e.g. range in km) and are converted to catalog units. The
vehicle is ``--vehicle``, else ``extensions.vehicleId``, else ``dimo-<tokenId>`` from
``extensions.tokenId``. DuckDB parses the ``signals`` shape directly; ``signalsLatest``
responses are small and read with :mod:`json`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from analytics.catalog import load_catalog
from analytics.errors import FormatError
from analytics.ingest.base import ReadContext, SqlChunk, strip_gz
from analytics.ingest.exports.tabular import ts_expr
from analytics.ingest.source_sql import first_row

__all__ = ["READER", "DimoJsonReader"]

_MAX_OBJECT = 1 << 31


def _alias_units(con: Any) -> None:
    """``_ingest_dimo_units``: DIMO alias -> the unit DIMO reports it in."""
    rows = [[s.dimo_alias, s.dimo_unit or s.unit] for s in load_catalog()]
    con.execute("CREATE OR REPLACE TEMP TABLE _ingest_dimo_units (alias VARCHAR, unit VARCHAR)")
    con.executemany("INSERT INTO _ingest_dimo_units VALUES (?, ?)", rows)


def _field_name(name: str) -> str:
    """Strip the ``vehicle`` prefix older DIMO schemas put on every field."""
    if name.startswith("vehicle") and len(name) > 7 and name[7].isupper():
        rest = name[7].lower() + name[8:]
        if load_catalog().find(rest) is not None:
            return rest
    return name


def _keep_fields(names: list[str], ctx: ReadContext) -> list[str]:
    """Fields to read: catalog signals, and unknown names that look like a typo of one.

    DIMO publishes many signals this project does not use (tyres, doors, fuel): those are
    listed once as ``unmapped_column`` (info). A name close to a catalog alias is kept so the
    loader reports it as ``unknown_signal`` with the suggestion.
    """
    cat = load_catalog()
    keep, skipped = [], []
    for f in names:
        name = _field_name(f)
        if cat.find(name) is not None or cat.close_matches(name):
            keep.append(f)
        else:
            skipped.append(name)
    if skipped:
        ctx.issues.add(
            "unmapped_column",
            count=len(skipped),
            severity="info",
            example=", ".join(sorted(skipped)[:20]),
            detail="DIMO signals the catalog does not use were ignored",
        )
    return keep


class DimoJsonReader:
    """DIMO Telemetry API JSON (``signals`` and ``signalsLatest``)."""

    format = "dimo_json"
    target = "signals"

    def detect(self, path: Path, head: bytes) -> bool:
        if not strip_gz(path).endswith(".json"):
            return False
        return b'"signals"' in head or b'"signalsLatest"' in head

    def read(self, path: Path, ctx: ReadContext) -> Iterator[SqlChunk]:
        con = ctx.con
        params = {"path": str(path)}
        # parse once into a temporary table; every later query reads that, not the file
        source = f"read_json($path, maximum_object_size = {_MAX_OBJECT}, sample_size = -1)"
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _ingest_dimo_raw AS SELECT * FROM {source}", params
            )
        except Exception as exc:  # duckdb's own error types
            raise FormatError(f"{path} is not valid JSON: {str(exc).splitlines()[0]}") from exc
        rel, params = "_ingest_dimo_raw", {}
        cols = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()}
        if "data" not in cols and "signals" not in cols and "signalsLatest" not in cols:
            self._raise_errors(path)
        vid = ctx.vehicle_id or self._vehicle(con, rel, params, cols, path)
        data = "data." if "data" in cols else ""
        kind = cols.get("data", "") if data else " ".join(cols)
        if "signalsLatest" in kind and "signals STRUCT" not in kind:
            yield self._latest(path, vid, ctx)
            return
        if "signals" not in kind:
            self._raise_errors(path)
        _alias_units(con)
        sig_type = first_row(
            con.execute(f"SELECT typeof(unnest({data}signals)) FROM {rel} LIMIT 1")
        )
        if sig_type is None:
            return
        fields = con.execute(
            f"DESCRIBE SELECT unnest(s, recursive := true) "
            f"FROM (SELECT unnest({data}signals) AS s FROM {rel})"
        ).fetchall()
        ftypes = {r[0]: r[1] for r in fields}
        if "timestamp" not in ftypes:
            raise FormatError(f"{path}: signals rows have no 'timestamp' field")
        names = _keep_fields([f for f in ftypes if f != "timestamp"], ctx)
        if not names:
            return
        casts = ", ".join(f'CAST("{f}" AS VARCHAR) AS "{_field_name(f)}"' for f in names)
        on = ", ".join(f'"{_field_name(f)}"' for f in names)
        ts = ts_expr("timestamp", ftypes["timestamp"])
        sql = f"""
            WITH rows AS (SELECT unnest(s, recursive := true)
                          FROM (SELECT unnest({data}signals) AS s FROM {rel})),
            conv AS (SELECT {ts} AS ts, "timestamp" AS ts_in, {casts} FROM rows),
            typed AS (SELECT * EXCLUDE (ts_in),
                      CASE WHEN ts IS NULL THEN CAST(ts_in AS VARCHAR) END AS ts_raw FROM conv),
            cells AS (UNPIVOT typed ON {on} INTO NAME signal VALUE raw)
            SELECT CAST($vid AS VARCHAR) AS vehicle_id, c.ts, c.signal,
                   TRY_CAST(c.raw AS DOUBLE) AS value, c.raw AS value_raw, c.ts_raw,
                   u.unit AS unit
            FROM cells c LEFT JOIN _ingest_dimo_units u ON u.alias = c.signal
        """
        con.execute(f"CREATE OR REPLACE TEMP TABLE _ingest_dimo AS {sql}", {"vid": vid})
        con.execute("DROP TABLE _ingest_dimo_raw")
        n = con.execute("SELECT count(*) FROM _ingest_dimo").fetchall()[0][0]
        ctx.records_read += int(n)
        yield SqlChunk("SELECT * FROM _ingest_dimo")

    def _vehicle(self, con: Any, rel: str, params: dict, cols: dict[str, str], path: Path) -> str:
        ext = cols.get("extensions", "")
        if ext:
            got = first_row(
                con.execute(
                    f"SELECT {'extensions.vehicleId' if 'vehicleId' in ext else 'NULL'}, "
                    f"{'extensions.tokenId' if 'tokenId' in ext else 'NULL'} FROM {rel} LIMIT 1",
                    params,
                )
            )
            if got and got[0]:
                return str(got[0])
            if got and got[1] is not None:
                return f"dimo-{got[1]}"
        raise FormatError(
            f"{path} does not say which vehicle it holds (a DIMO response carries no vehicle "
            "id); pass --vehicle ID"
        )

    def _raise_errors(self, path: Path) -> None:
        """Explain a file that holds no signals (often a GraphQL error response)."""
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FormatError(f"{path} is not valid JSON: {exc}") from exc
        docs = doc if isinstance(doc, list) else [doc]
        errors = [
            e.get("message", str(e))
            for d in docs
            if isinstance(d, dict)
            for e in d.get("errors") or []
        ]
        if errors:
            raise FormatError(f"{path} is a DIMO error response: {'; '.join(map(str, errors))}")
        raise FormatError(
            f"{path} holds neither data.signals nor data.signalsLatest; save the JSON the "
            "DIMO Telemetry API returns for those queries"
        )

    def _latest(self, path: Path, vid: str, ctx: ReadContext) -> SqlChunk:
        """A ``signalsLatest`` response as long rows in DIMO units (the loader converts)."""
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FormatError(f"{path} is not valid JSON: {exc}") from exc
        docs = doc if isinstance(doc, list) else [doc]
        rows: list[dict[str, Any]] = []
        for d in docs:
            latest = (d.get("data") or d).get("signalsLatest") or {}
            fields = [k for k, v in latest.items() if isinstance(v, dict) and "value" in v]
            for name in _keep_fields(fields, ctx):
                obj = latest[name]
                raw = obj.get("value")
                number = isinstance(raw, int | float) and not isinstance(raw, bool)
                rows.append(
                    {
                        "signal": _field_name(name),
                        "ts": obj.get("timestamp"),
                        "value": float(raw) if number else None,
                    }
                )
        ctx.records_read += len(rows)
        frame = pl.DataFrame(
            rows, schema={"signal": pl.String, "ts": pl.String, "value": pl.Float64}
        )
        ctx.con.register("_ingest_latest_frame", frame.to_arrow())
        _alias_units(ctx.con)
        ts = ts_expr("ts", "VARCHAR")
        ctx.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _ingest_latest AS
            SELECT CAST($vid AS VARCHAR) AS vehicle_id, {ts} AS ts, f.signal, f.value,
                   f.ts AS ts_raw, u.unit
            FROM _ingest_latest_frame f LEFT JOIN _ingest_dimo_units u ON u.alias = f.signal""",
            {"vid": vid},
        )
        ctx.con.unregister("_ingest_latest_frame")
        return SqlChunk("SELECT * FROM _ingest_latest")


READER = DimoJsonReader()
