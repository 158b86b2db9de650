"""Timestamps in one form everywhere: microseconds, time zone ``UTC``.

DuckDB hands TIMESTAMPTZ to polars in the session's zone (e.g. ``Etc/UTC``), hand-built
frames may be naive; joins need one dtype, so every frame entering the charging models goes
through :func:`utc`.
"""

from __future__ import annotations

import polars as pl

__all__ = ["UTC_US", "utc"]

UTC_US = pl.Datetime("us", "UTC")


def utc(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Cast the named datetime columns (those present) to ``Datetime('us', 'UTC')``."""
    exprs = []
    for name in columns:
        if name not in frame.columns:
            continue
        dtype = frame.schema[name]
        col = pl.col(name)
        if not isinstance(dtype, pl.Datetime):
            if dtype == pl.Null:
                exprs.append(col.cast(UTC_US))
            continue
        col = col.dt.cast_time_unit("us")
        if dtype.time_zone is None:
            exprs.append(col.dt.replace_time_zone("UTC"))
        else:
            exprs.append(col.dt.convert_time_zone("UTC"))
    return frame.with_columns(exprs) if exprs else frame
