"""Canonical long Parquet: ``vehicle_id, ts, signal, value`` (optional ``unit``).

``ts`` is a TIMESTAMP adjusted to UTC, INT64 epoch milliseconds, or ISO-8601 text with an
offset. DuckDB reads the file directly, so the rows never pass through Python: a file without
a ``unit`` column is first offered to the loader's direct path (one ``INSERT … SELECT``, see
:mod:`analytics.ingest.direct`); otherwise, or when that path finds a row it cannot store as
it is, the loader's validation and insert passes read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from analytics.ingest.base import ReadContext, SqlChunk, strip_gz
from analytics.ingest.direct import DirectSource
from analytics.ingest.exports.keycheck import parquet_summary
from analytics.ingest.exports.long_csv import REQUIRED, long_select
from analytics.ingest.exports.tabular import parquet_columns

__all__ = ["READER", "LongParquetReader", "parquet_names"]


def parquet_names(path: Path) -> set[str]:
    """Column names from the Parquet footer (cheap; empty set when unreadable)."""
    try:
        import pyarrow.parquet as pq

        return set(pq.read_schema(path).names)
    except Exception:  # not a Parquet file: let other readers try
        return set()


class LongParquetReader:
    """The canonical long format as Parquet."""

    format = "long_parquet"
    target = "signals"

    def detect(self, path: Path, head: bytes) -> bool:
        if not head.startswith(b"PAR1") and not strip_gz(path).endswith(".parquet"):
            return False
        return set(REQUIRED) <= parquet_names(path)

    def direct(self, path: Path, ctx: ReadContext) -> DirectSource | None:
        """The file as one query for the direct path (None with a ``unit`` column)."""
        columns = parquet_columns(ctx.con, path)
        if "unit" in columns:
            return None
        select = long_select(columns, ctx, path, trim=False)
        params = {"path": str(path)}
        first = ctx.con.execute(
            "SELECT CAST(signal AS VARCHAR) FROM read_parquet($path) LIMIT 1", params
        ).fetchall()
        return DirectSource(
            f"SELECT vehicle_id, ts, signal, value FROM (SELECT {select} FROM read_parquet($path))",
            params,
            first[0][0] if first else None,
        )

    def read(self, path: Path, ctx: ReadContext) -> Iterator[SqlChunk]:
        columns = parquet_columns(ctx.con, path)
        select = long_select(columns, ctx, path, trim=False)
        params = {"path": str(path)}
        groups = parquet_summary(path, "vehicle_id" in columns, ctx.vehicle_id)
        yield SqlChunk(
            f"SELECT {select} FROM read_parquet($path)",
            params,
            unique_keys=True if groups is not None else None,
            groups=groups,
        )


READER = LongParquetReader()
