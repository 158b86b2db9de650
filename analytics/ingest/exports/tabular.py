"""SQL building blocks shared by the CSV/Parquet export readers (DuckDB reads the files).

Timestamps: ISO-8601 text must carry an offset (``Z``, ``+02:00``, ``+0200``) or be epoch
milliseconds; text without an offset becomes NULL (the loader counts it as
``timestamp_without_offset``) unless the caller names a time zone for naive local times.
Times before 2000-01-01 are rejected as implausible (a logger clock reset, or epoch seconds
given where milliseconds are expected).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from analytics.errors import FormatError
from analytics.ingest.base import ReadContext, is_gzip, open_text

__all__ = [
    "count_rejects",
    "csv_header",
    "csv_relation",
    "parquet_columns",
    "plausible_ts",
    "quote_ident",
    "ts_expr",
]

_OFFSET_RE = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d*)?)?\s*[+-]\d{2}(:?\d{2})?$"
_EARLIEST = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"


def quote_ident(name: str) -> str:
    """A column name quoted for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def _plausible(expr: str) -> str:
    return f"(CASE WHEN ({expr}) >= {_EARLIEST} THEN ({expr}) END)"


def ts_expr(
    col: str,
    dtype: str,
    *,
    fmt: str | None = None,
    timezone: str | None = None,
    plausible: bool = True,
) -> str:
    """SQL turning column ``col`` of DuckDB type ``dtype`` into a UTC ``TIMESTAMPTZ``.

    ``fmt``: ``iso8601`` (default), ``epoch_ms``, ``epoch_s`` or a ``strptime`` pattern;
    ``timezone``: an IANA zone for naive local times (``None``: an offset is required).
    The zone name is bound by the caller as ``$tz``.
    """
    if not plausible:
        return _convert(col, dtype, fmt, timezone)
    return _plausible(_convert(col, dtype, fmt, timezone))


def plausible_ts(expr: str) -> str:
    """``expr`` when it is a plausible time (2000-01-01 or later), else NULL."""
    return _plausible(expr)


def _convert(col: str, dtype: str, fmt: str | None, timezone: str | None) -> str:
    c = quote_ident(col)
    dtype = dtype.upper()
    if dtype.startswith("TIMESTAMP WITH TIME ZONE"):
        return c
    if dtype.startswith("TIMESTAMP") or dtype == "DATE":
        if timezone is None:
            raise FormatError(
                f"column {col!r} holds times without a time zone; write them with an offset "
                "or as epoch milliseconds (or name the zone in the column map)"
            )
        return f"(CAST({c} AS TIMESTAMP) AT TIME ZONE $tz)"
    numeric = dtype in {"BIGINT", "INTEGER", "HUGEINT", "DOUBLE", "FLOAT", "UBIGINT", "SMALLINT"}
    if fmt == "epoch_s":
        return f"to_timestamp(TRY_CAST({c} AS DOUBLE))"
    if numeric or fmt == "epoch_ms":
        return f"(epoch_ms(TRY_CAST({c} AS BIGINT)) AT TIME ZONE 'UTC')"
    if fmt and fmt not in {"iso8601", "epoch_ms"}:
        local = f"TRY_STRPTIME(trim({c}), '{_sql_str(fmt)}')"
        if timezone is None:
            return f"CAST({local} AS TIMESTAMPTZ)"
        return f"({local}::TIMESTAMP AT TIME ZONE $tz)"
    naive = f"(TRY_CAST(trim({c}) AS TIMESTAMP) AT TIME ZONE $tz)" if timezone else "NULL"
    return f"""CASE
            WHEN suffix({c}, 'Z') THEN TRY_CAST({c} AS TIMESTAMPTZ)
            WHEN regexp_full_match(trim({c}), '-?[0-9]{{1,15}}')
                THEN epoch_ms(TRY_CAST(trim({c}) AS BIGINT)) AT TIME ZONE 'UTC'
            WHEN regexp_matches(trim({c}), '(?i)z$|{_OFFSET_RE}')
                THEN TRY_CAST(trim({c}) AS TIMESTAMPTZ)
            ELSE {naive} END"""


def _sql_str(text: str) -> str:
    """A constant pattern as SQL string content (used only for strptime formats from maps)."""
    return text.replace("'", "''")


def csv_header(path: Path) -> list[str]:
    """The header row of a CSV file (gzip allowed), stripped of a UTF-8 BOM."""
    with open_text(path) as fh:
        line = fh.readline()
    if not line.strip():
        raise FormatError(
            f"{path} is empty or has no header row; the first line must name the columns"
        )
    header = next(csv.reader(io.StringIO(line.lstrip("\ufeff"))))
    return [h.strip() for h in header]


def csv_relation(
    path: Path, header: list[str], types: dict[str, str] | None = None
) -> tuple[str, dict]:
    """``read_csv`` over ``path`` with every column as text, bad lines kept aside as rejects."""
    types = types or {}
    cols = ", ".join(f"'{_sql_str(h)}': '{types.get(h, 'VARCHAR')}'" for h in header)
    sql = (
        f"read_csv($path, header = true, delim = ',', quote = '\"', columns = {{{cols}}}, "
        "ignore_errors = true, store_rejects = true, rejects_table = '_ingest_rejects', "
        "rejects_scan = '_ingest_rejects_scan', "
        f"compression = '{'gzip' if is_gzip(path) else 'none'}', null_padding = false)"
    )
    return sql, {"path": str(path)}


def count_rejects(ctx: ReadContext) -> int:
    """Record CSV lines DuckDB could not parse (wrong column count, bad quoting)."""
    con = ctx.con
    rows = con.execute(
        "SELECT error_type, count(*), min(line), any_value(csv_line), any_value(error_message) "
        "FROM _ingest_rejects GROUP BY error_type"
    ).fetchall()
    total = 0
    for kind, n, line, text, message in rows:
        reason = "bad_value" if str(kind).upper() == "CAST" else "malformed_line"
        ctx.issues.add(
            reason,
            count=int(n),
            example=str(text),
            location=f"line {line}",
            detail=f"{str(kind).lower()}: {message}",
        )
        total += int(n)
    return total


def parquet_columns(con: Any, path: Path) -> dict[str, str]:
    """Column name -> DuckDB type of a Parquet file (metadata only)."""
    try:
        rows = con.execute(
            "DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}
        ).fetchall()
    except Exception as exc:  # duckdb raises its own error types
        raise FormatError(f"{path} is not a readable Parquet file: {exc}") from exc
    return {r[0]: r[1] for r in rows}
