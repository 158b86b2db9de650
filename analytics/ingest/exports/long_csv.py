"""Canonical long CSV: ``vehicle_id, ts, signal, value`` (optional ``unit``), one row per sample.

A file without a ``unit`` column is first offered to the loader's direct path (DuckDB reads
it straight into ``signals``, see :mod:`analytics.ingest.direct`). Otherwise, or when that
path finds a row it cannot store as it is, DuckDB parses the file once into a temporary table
(text columns, so a bad cell costs one row, not the file). Either way lines DuckDB cannot parse
are counted as ``malformed_line`` (or ``bad_value`` for a value that is not a number) with the
line number and text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from analytics.errors import FormatError
from analytics.ingest.base import ReadContext, SqlChunk, open_text, strip_gz
from analytics.ingest.direct import DirectSource
from analytics.ingest.exports.keycheck import hashed_keys_increasing
from analytics.ingest.exports.tabular import (
    count_rejects,
    csv_header,
    csv_relation,
    plausible_ts,
    quote_ident,
    ts_expr,
)

__all__ = ["READER", "LongCsvReader", "long_select"]

REQUIRED = ("ts", "signal", "value")
_EARLIEST = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
_TYPED_TS = {"TIMESTAMP WITH TIME ZONE", "BIGINT", "INTEGER"}


def long_select(columns: dict[str, str], ctx: ReadContext, path: Path, *, trim: bool = True) -> str:
    """The SELECT list mapping a long file's columns to the loader's source columns."""
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise FormatError(
            f"{path} lacks the column(s) {', '.join(missing)}; the canonical long format needs "
            "vehicle_id, ts, signal, value (see docs/exports.md)"
        )
    if "vehicle_id" not in columns and ctx.vehicle_id is None:
        raise FormatError(f"{path} has no vehicle_id column; pass --vehicle ID")
    text = "trim(CAST({} AS VARCHAR))" if trim else "CAST({} AS VARCHAR)"
    vid = (
        f"nullif({text.format('vehicle_id')}, '')"
        if "vehicle_id" in columns
        else "CAST(NULL AS VARCHAR)"
    )
    numeric = columns["value"].upper() in {"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT"}
    value = (
        "CAST(value AS DOUBLE)" if numeric else "TRY_CAST(trim(CAST(value AS VARCHAR)) AS DOUBLE)"
    )
    parts = [
        f"{vid} AS vehicle_id",
        f"{ts_expr('ts', columns['ts'])} AS ts",
        f"{text.format('signal')} AS signal",
        f"{value} AS value",
    ]
    if columns["ts"].upper() not in _TYPED_TS:
        parts.append(
            f"CASE WHEN ({parts[1].rsplit(' AS ts', 1)[0]}) IS NULL "
            "THEN CAST(ts AS VARCHAR) END AS ts_raw"
        )
    if not numeric:
        parts.append(f"CASE WHEN ({value}) IS NULL THEN CAST(value AS VARCHAR) END AS value_raw")
    if "unit" in columns:
        parts.append(f"nullif(trim(CAST({quote_ident('unit')} AS VARCHAR)), '') AS unit")
    return ", ".join(parts)


class LongCsvReader:
    """The canonical long format as CSV (gzip allowed)."""

    format = "long_csv"
    target = "signals"

    def detect(self, path: Path, head: bytes) -> bool:
        if not strip_gz(path).endswith(".csv"):
            return False
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff")
        cols = {c.strip().strip('"') for c in first.strip().split(",")}
        return set(REQUIRED) <= cols

    def direct(self, path: Path, ctx: ReadContext) -> DirectSource | None:
        """The file as one query for the direct path (None with a ``unit`` column)."""
        header = csv_header(path)
        long_select({h: "VARCHAR" for h in header}, ctx, path)  # checks the columns
        if "unit" in header:
            return None
        rel, params = csv_relation(path, header, {"value": "DOUBLE"})
        vid = "nullif(vehicle_id, '')" if "vehicle_id" in header else "CAST(NULL AS VARCHAR)"
        sql = (
            f"SELECT vehicle_id, {plausible_ts('ts_c')} AS ts, signal, value FROM ("
            f"SELECT {vid} AS vehicle_id, {ts_expr('ts', 'VARCHAR', plausible=False)} AS ts_c, "
            f"signal, value FROM {rel})"
        )
        return DirectSource(sql, params, _first_signal(path, header), csv_rejects=True)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[SqlChunk]:
        header = csv_header(path)
        long_select({h: "VARCHAR" for h in header}, ctx, path)  # checks the columns
        # value parsed by the CSV reader itself: a cell that is not a number rejects its line
        # (counted as bad_value with the line); times converted once, text kept only on failure
        rel, params = csv_relation(path, header, {"value": "DOUBLE"})
        vid = "nullif(vehicle_id, '')" if "vehicle_id" in header else "CAST(NULL AS VARCHAR)"
        unit = ", nullif(trim(unit), '') AS unit" if "unit" in header else ""
        inner = (
            f"SELECT {vid} AS vehicle_id, {ts_expr('ts', 'VARCHAR', plausible=False)} AS ts_c, "
            "ts AS ts_txt, "
            f"signal, value{unit} FROM {rel}"
        )
        ctx.con.execute(
            f"CREATE OR REPLACE TEMP TABLE _ingest_long AS SELECT vehicle_id, "
            f"{plausible_ts('ts_c')} AS ts, signal, value, "
            f"CASE WHEN ts_c IS NULL OR ts_c < {_EARLIEST} THEN ts_txt END AS ts_raw"
            f"{', unit' if unit else ''} "
            f"FROM ({inner})",
            params,
        )
        rejected = count_rejects(ctx)
        rows = ctx.con.execute("SELECT count(*) FROM _ingest_long").fetchall()[0][0]
        ctx.records_read += int(rows) + rejected
        ctx.records_skipped += rejected
        unique = hashed_keys_increasing(ctx.con, "_ingest_long")
        yield SqlChunk("SELECT * FROM _ingest_long", unique_keys=unique)


def _first_signal(path: Path, header: list[str]) -> str | None:
    """The ``signal`` cell of the first data line (None when there is none)."""
    with open_text(path) as fh:
        rows = csv.reader(fh)
        next(rows, None)
        first = next(rows, None)
    col = header.index("signal")
    return first[col] if first is not None and len(first) == len(header) else None


READER = LongCsvReader()
