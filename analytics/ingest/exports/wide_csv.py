"""Wide CSV exports (a time column, maybe a vehicle column, one column per signal)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from analytics.ingest.base import ReadContext, SqlChunk, strip_gz
from analytics.ingest.exports.column_maps import match_column_map
from analytics.ingest.exports.tabular import count_rejects, csv_header, csv_relation
from analytics.ingest.exports.wide import choose_map, wide_select

__all__ = ["READER", "WideCsvReader"]

# A CSV with one of these columns that no other reader claims is read as a wide export; the
# reader then needs a column map (``--column-map``) unless a shipped one fits.
_TIME_NAMES = {"ts", "time", "timestamp", "date", "datetime", "time_utc", "utc"}


class WideCsvReader:
    """Wide CSV through a column map (``--column-map`` or a shipped map that fits)."""

    format = "wide_csv"
    target = "signals"

    def detect(self, path: Path, head: bytes) -> bool:
        if not strip_gz(path).endswith(".csv"):
            return False
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff")
        cols = [c.strip().strip('"') for c in first.strip().split(",")]
        if match_column_map(cols) is not None:
            return True
        return len(cols) > 1 and any(c.lower() in _TIME_NAMES for c in cols)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[SqlChunk]:
        header = csv_header(path)
        cmap = choose_map(header, ctx, path)
        rel, params = csv_relation(path, header)
        ctx.con.execute(
            f"CREATE OR REPLACE TEMP TABLE _ingest_wide_raw AS SELECT * FROM {rel}", params
        )
        rejected = count_rejects(ctx)
        lines = ctx.con.execute("SELECT count(*) FROM _ingest_wide_raw").fetchall()[0][0]
        columns = {h: "VARCHAR" for h in header}
        sql, p = wide_select(ctx.con, cmap, columns, "_ingest_wide_raw", ctx)
        ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE _ingest_wide AS {sql}", p or None)
        cells = ctx.con.execute("SELECT count(*) FROM _ingest_wide").fetchall()[0][0]
        ctx.records_read += int(cells) + rejected
        ctx.records_skipped += rejected
        ctx.options.setdefault("lines_read", int(lines))
        yield SqlChunk("SELECT * FROM _ingest_wide")


READER = WideCsvReader()
