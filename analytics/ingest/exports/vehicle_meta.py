"""Vehicle metadata rows (CSV or JSON) checked and typed for the ``vehicles`` table.

Required header (values may be empty): ``vehicle_id, make, model, model_year, chemistry,
nominal_capacity_kwh, nominal_capacity_ah, nominal_voltage_v``; optional columns are the
other ``vehicles`` columns. A cell that cannot be typed is left empty and reported; a row
without ``vehicle_id`` is skipped and reported. Where the rated capacity is missing, the
packaged spec table fills it (``capacity_reference = 'spec_table'``).
"""

from __future__ import annotations

import polars as pl

from analytics.errors import FormatError
from analytics.ingest.base import ReadContext
from analytics.ingest.exports.writers import VEHICLE_COLUMNS

__all__ = ["OPTIONAL_TYPES", "REQUIRED_TYPES", "normalise_vehicles"]

REQUIRED_TYPES: dict[str, pl.DataType] = {
    "vehicle_id": pl.String(),
    "make": pl.String(),
    "model": pl.String(),
    "model_year": pl.Int32(),
    "chemistry": pl.String(),
    "nominal_capacity_kwh": pl.Float64(),
    "nominal_capacity_ah": pl.Float64(),
    "nominal_voltage_v": pl.Float64(),
}
OPTIONAL_TYPES: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "usable_capacity_kwh": pl.Float64(),
    "cells_series": pl.Int32(),
    "cells_parallel": pl.Int32(),
    "curb_weight_kg": pl.Float64(),
    "first_registration_date": pl.Date(),
    "warranty_years": pl.Float64(),
    "warranty_km": pl.Float64(),
    "warranty_soh_pct": pl.Float64(),
    "price_new_eur": pl.Float64(),
}
CHEMISTRIES = {"NMC", "NCA", "LFP", "LMO", "UNKNOWN"}
assert tuple(REQUIRED_TYPES) == VEHICLE_COLUMNS


def _typed(col: pl.Series, dtype: pl.DataType) -> pl.Series:
    text = col.cast(pl.String).str.strip_chars()
    text = pl.Series(col.name, text).replace("", None)
    if dtype == pl.String():
        return text
    if dtype == pl.Date():
        return text.str.to_date(strict=False)
    return (
        text.cast(pl.Float64, strict=False).cast(dtype, strict=False)
        if dtype != pl.Float64()
        else text.cast(pl.Float64, strict=False)
    )


def normalise_vehicles(raw: pl.DataFrame, ctx: ReadContext, origin: str) -> pl.DataFrame:
    """Type, check and complete raw metadata rows; report every problem in ``ctx.issues``."""
    missing = [c for c in REQUIRED_TYPES if c not in raw.columns]
    if missing:
        raise FormatError(
            f"{origin} lacks the vehicle metadata column(s) {', '.join(missing)}; the header "
            f"must name {', '.join(REQUIRED_TYPES)} (values may be empty)"
        )
    ctx.records_read += raw.height
    extra = [c for c in raw.columns if c not in REQUIRED_TYPES and c not in OPTIONAL_TYPES]
    if extra:
        ctx.issues.add(
            "unmapped_column",
            count=len(extra),
            severity="info",
            example=", ".join(extra),
            detail="columns the vehicles table has not",
        )
    types = {**REQUIRED_TYPES, **{c: t for c, t in OPTIONAL_TYPES.items() if c in raw.columns}}
    cols = {}
    for c, t in types.items():
        typed = _typed(raw[c], t)
        given = raw[c].cast(pl.String).str.strip_chars().fill_null("") != ""
        bad = given & typed.is_null()
        if bad.any():
            ctx.issues.add(
                "bad_value",
                count=int(bad.sum()),
                detail=c,
                example=f"{c} = {raw.filter(bad)[c][0]!r} (left empty)",
            )
        cols[c] = typed
    out = pl.DataFrame(cols)
    no_id = out["vehicle_id"].is_null()
    if no_id.any():
        ctx.issues.add(
            "no_vehicle_id",
            count=int(no_id.sum()),
            severity="error",
            detail="metadata rows without vehicle_id were skipped",
        )
        ctx.records_skipped += int(no_id.sum())
        out = out.filter(~no_id)
    out = out.with_columns(pl.col("chemistry").str.to_uppercase())
    odd = out["chemistry"].is_not_null() & ~out["chemistry"].is_in(sorted(CHEMISTRIES))
    if odd.any():
        ctx.issues.add(
            "unknown_chemistry",
            count=int(odd.sum()),
            detail="chemistry",
            example=f"{out.filter(odd)['chemistry'][0]!r}; expected NMC, NCA, LFP or LMO",
        )
    _check_capacity(out, ctx)
    out = out.with_columns(
        pl.when(
            pl.col("nominal_capacity_kwh").is_not_null()
            | pl.col("nominal_capacity_ah").is_not_null()
        )
        .then(pl.lit("nominal"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("capacity_reference")
    )
    from analytics.specs import complete_from_specs

    out = complete_from_specs(out)
    ctx.records_decoded += out.height
    return out


def _check_capacity(out: pl.DataFrame, ctx: ReadContext) -> None:
    """Warn when kWh, Ah and V disagree (often Wh given as kWh, or cell instead of pack Ah)."""
    chk = out.drop_nulls(["nominal_capacity_kwh", "nominal_capacity_ah", "nominal_voltage_v"])
    if chk.height == 0:
        return
    ratio = (
        chk["nominal_capacity_ah"] * chk["nominal_voltage_v"] / 1000 / chk["nominal_capacity_kwh"]
    )
    bad = (ratio < 0.85) | (ratio > 1.15)
    if bad.any():
        row = chk.filter(bad).row(0, named=True)
        ctx.issues.add(
            "suspect_unit",
            count=int(bad.sum()),
            detail="nominal_capacity_kwh",
            example=(
                f"{row['vehicle_id']}: {row['nominal_capacity_ah']} Ah x "
                f"{row['nominal_voltage_v']} V != {row['nominal_capacity_kwh']} kWh; "
                "check the units (pack Ah, pack V, kWh)"
            ),
        )
