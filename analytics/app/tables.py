"""Tables for people: readable headers, numbers to a sensible precision, and an empty value
shown as "—" (never "None"); values stay numbers and dates, so columns still sort.

A page describes each column once with :class:`Col` and calls :func:`show`; columns not
described are left out, so a new warehouse column never appears as a raw snake_case header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

__all__ = ["EMPTY", "Col", "column_config", "show"]

EMPTY = "—"
DATE_WIDTH = 100  # pixels: "2032-09-30" whole, where an empty column would size to "—"


@dataclass(frozen=True)
class Col:
    """How one column is shown: its header, a Streamlit format (printf-style ``%.1f``,
    ``percent`` for a 0..1 share, ``YYYY-MM-DD`` for dates; None: as is), a tooltip, a
    width (``small``, ``medium``, ``large`` or pixels; dates get room for a whole date;
    None: sized to the content) and whether it stays in view when a wide table scrolls."""

    label: str
    fmt: str | None = None
    help: str | None = None
    width: str | int | None = None
    pinned: bool = False


def column_config(frame: pl.DataFrame, columns: dict[str, Col]) -> dict[str, Any]:
    """``st.column_config`` entries for the described columns present in ``frame``."""
    cc = st.column_config
    out: dict[str, Any] = {}
    for name, col in columns.items():
        if name not in frame.columns:
            continue
        dtype = frame.schema[name]
        common: dict[str, Any] = {"help": col.help, "width": col.width}
        if col.pinned:
            common["pinned"] = True
        if dtype.is_numeric():
            out[name] = cc.NumberColumn(col.label, format=col.fmt, **common)
        elif dtype == pl.Date:
            common["width"] = col.width or DATE_WIDTH
            out[name] = cc.DateColumn(col.label, format=col.fmt or "YYYY-MM-DD", **common)
        elif isinstance(dtype, pl.List):
            out[name] = cc.ListColumn(col.label, **common)
        elif isinstance(dtype, pl.Datetime):
            out[name] = cc.DatetimeColumn(col.label, format=col.fmt or "YYYY-MM-DD HH:mm", **common)
        else:
            out[name] = cc.TextColumn(col.label, **common)
    return out


def show(frame: pl.DataFrame, columns: dict[str, Col], **kwargs: Any) -> Any:
    """``st.dataframe`` of the described columns, in their order, with labels and formats."""
    config = column_config(frame, columns)
    return st.dataframe(
        frame.select(list(config)),
        hide_index=True,
        column_config=config,
        placeholder=EMPTY,
        **kwargs,
    )
