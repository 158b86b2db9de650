"""Wide Parquet exports through a column map (DuckDB reads the file directly)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from analytics.ingest.base import ReadContext, SqlChunk, strip_gz
from analytics.ingest.exports.column_maps import match_column_map
from analytics.ingest.exports.long_parquet import parquet_names
from analytics.ingest.exports.tabular import parquet_columns
from analytics.ingest.exports.wide import choose_map, wide_select

__all__ = ["READER", "WideParquetReader"]


class WideParquetReader:
    """Wide Parquet: a time column and one column per signal, mapped by a column map."""

    format = "wide_parquet"
    target = "signals"

    def detect(self, path: Path, head: bytes) -> bool:
        if not head.startswith(b"PAR1") and not strip_gz(path).endswith(".parquet"):
            return False
        names = parquet_names(path)
        return bool(names) and match_column_map(sorted(names)) is not None

    def read(self, path: Path, ctx: ReadContext) -> Iterator[SqlChunk]:
        columns = parquet_columns(ctx.con, path)
        cmap = choose_map(list(columns), ctx, path)
        sql, params = wide_select(ctx.con, cmap, columns, "read_parquet($path)", ctx)
        yield SqlChunk(sql, dict(params, path=str(path)))


READER = WideParquetReader()
