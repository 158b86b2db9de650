"""Fill the gaps of vehicle metadata rows from the spec table (``capacity_reference``)."""

from __future__ import annotations

import polars as pl

from analytics.specs.table import lookup

__all__ = ["complete_from_specs"]

_FILL = {
    "chemistry": "chemistry",
    "nominal_capacity_kwh": "nominal_gross_kwh",
    "nominal_capacity_ah": "nominal_ah",
    "nominal_voltage_v": "nominal_voltage_v",
    "usable_capacity_kwh": "nominal_usable_kwh",
    "cells_series": "cells_series",
    "cells_parallel": "cells_parallel",
}


def complete_from_specs(frame: pl.DataFrame) -> pl.DataFrame:
    """Fill empty spec fields; rows without rated capacity get ``capacity_reference='spec_table'``.

    Rows with a rated capacity keep ``nominal`` (only their empty fields are completed); rows the
    table cannot match keep NULL, so the SoH stage falls back to ``first_observed``.
    """
    if frame.height == 0:
        return frame
    rows = frame.to_dicts()
    for r in rows:
        spec = lookup(r.get("make"), r.get("model"), r.get("model_year"))
        rated = (
            r.get("nominal_capacity_kwh") is not None or r.get("nominal_capacity_ah") is not None
        )
        if spec is None:
            r["capacity_reference"] = "nominal" if rated else None
            continue
        if rated and r.get("chemistry") and spec["chemistry"] != r["chemistry"]:
            r["capacity_reference"] = "nominal"
            continue  # a different pack than the table's: do not mix
        for col, key in _FILL.items():
            if r.get(col) is None and spec.get(key) is not None:
                r[col] = spec[key]
        r["capacity_reference"] = "nominal" if rated else "spec_table"
    schema = dict(frame.schema)
    for col in (*_FILL, "capacity_reference"):
        if col not in schema:
            schema[col] = (
                pl.Int32
                if col.startswith("cells")
                else (pl.String if col in {"chemistry", "capacity_reference"} else pl.Float64)
            )
    return pl.DataFrame(rows, schema=schema)
