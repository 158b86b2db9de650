"""BMS-reported health values used as sensors: BMS SoH, net capacity, energy remaining / SoC.

Method. The values a car reports about its own battery are one more noisy, biased and
lagging measurement, never truth: a BMS estimates capacity with its own model, updates it
rarely, and many makes report a rounded or buffered figure. Each day's median of

* ``bms_soh`` — ``soh_bms_pct`` (already a percentage of the maker's reference);
* ``bms_capacity`` — ``net_capacity_kwh`` (else ``gross_capacity_kwh``) over the reference
  energy (usable kWh for net, nominal kWh for gross);
* ``bms_energy`` — ``energy_remaining_kwh / (SoC / 100)`` over the reference energy, from
  rows with SoC ≥ 30 % only (the division magnifies rounding at low SoC);

becomes one observation with a prior 1-sigma of 1.5 points. The fusion estimates each
method's bias (per vehicle) and noise scale from the data and flags a method that disagrees.

Valid range. Values within 50–130 % of the reference; otherwise rejected with the reason.
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl

from analytics.soh.pairs import OBS_SCHEMA, empty_observations

__all__ = ["bms_observations"]

PRIOR_SIGMA_PCT = 1.5


def bms_observations(
    wide: pl.DataFrame,
    *,
    nominal_kwh: float | None,
    usable_kwh: float | None,
) -> pl.DataFrame:
    """Daily BMS-sensor observations (quantity ``soh_pct``) for one vehicle."""
    if wide.height == 0:
        return empty_observations()
    day = wide.with_columns(pl.col("ts").dt.date().alias("_d"))
    parts: list[pl.DataFrame] = []
    soc = pl.col("soc_bms_pct")
    specs: list[tuple[str, pl.Expr, float | None, str]] = [
        ("bms_soh", pl.col("soh_bms_pct"), 100.0, "soh_bms_pct"),
    ]
    if wide["net_capacity_kwh"].is_not_null().any():
        specs.append(
            (
                "bms_capacity",
                pl.col("net_capacity_kwh"),
                usable_kwh or nominal_kwh,
                "net_capacity_kwh",
            )
        )
    else:
        specs.append(
            ("bms_capacity", pl.col("gross_capacity_kwh"), nominal_kwh, "gross_capacity_kwh")
        )
    specs.append(
        (
            "bms_energy",
            pl.when(soc >= 30.0).then(pl.col("energy_remaining_kwh") / (soc / 100.0)),
            usable_kwh or nominal_kwh,
            "energy_remaining_kwh/soc",
        )
    )
    for method, expr, ref, source in specs:
        daily = (
            day.select("_d", "ts", expr.alias("_v"))
            .drop_nulls("_v")
            .filter(pl.col("_v").is_finite())
            .group_by("_d")
            .agg(pl.col("_v").median(), pl.col("ts").max(), pl.len().alias("_n"))
            .sort("_d")
        )
        if daily.height == 0:
            continue
        value = daily["_v"].to_numpy()
        if ref is None or not np.isfinite(ref) or ref <= 0:
            soh = np.full(value.size, np.nan)
            reason = np.full(value.size, f"no reference energy for {source}", dtype=object)
        else:
            soh = value / ref * 100.0
            reason = np.where(
                (soh >= 50) & (soh <= 130), "ok", "reported value outside 50–130 % of the reference"
            ).astype(object)
        parts.append(
            pl.DataFrame(
                {
                    "session_id": None,
                    "ts": daily["ts"],
                    "method": method,
                    "quantity": "soh_pct",
                    "value": soh,
                    "sigma": np.full(value.size, PRIOR_SIGMA_PCT),
                    "kept": reason == "ok",
                    "reason": reason.astype(str),
                    "soc_start_pct": None,
                    "soc_end_pct": None,
                    "delta_soc_pct": None,
                    "charge_ah": None,
                    "energy_kwh": value if method != "bms_soh" else None,
                    "temperature_c": None,
                    "inputs": [
                        json.dumps({"signal": source, "reference": ref, "samples": int(k)})
                        for k in daily["_n"]
                    ],
                },
                schema=OBS_SCHEMA,
            )
        )
    return pl.concat(parts) if parts else empty_observations()
