"""Internal resistance from current steps: a power-fade indicator reported next to capacity.

Method. Where the pack current changes by a large step between two close samples (a driver
pressing the pedal, a charger ramping), ``R = -ΔV / ΔI`` is the pack's ohmic plus fast
polarisation resistance over the sampling interval. Each step is normalised to the reference
temperature with an Arrhenius law, ``R_25 = R_T · exp(-Ea/R · (1/T - 1/298.15 K))`` with
Ea ≈ 25 kJ/mol (typical of Li-ion series resistance, e.g. Waag et al., J. Power Sources 2013),
and kept only at 20–90 % SoC where resistance barely depends on SoC. Each day's median over
its steps is one observation; growth is reported against the vehicle's first 30 days of
observations (``first_observed``), because no nameplate resistance exists.

Valid range. |ΔI| ≥ max(40 A, 0.3 C); both samples ≤ 65 s apart; battery ≥ 0 °C; at least
3 steps in a day. The interval between samples adds a share of the RC polarisation, so
absolute values depend on the logger's sampling; growth ratios do not.
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl

from analytics.soh.config import REFERENCE_TEMP_C, SohConfig
from analytics.soh.pairs import OBS_SCHEMA, empty_observations

__all__ = ["METHOD", "resistance_observations", "resistance_steps"]

METHOD = "resistance"
MIN_STEPS_PER_DAY = 3


def resistance_steps(wide: pl.DataFrame, *, capacity_ah: float, cfg: SohConfig) -> pl.DataFrame:
    """Every usable current step: ts, resistance at 25 °C (mΩ), temperature, SoC."""
    if wide.height < 2:
        return pl.DataFrame(schema={"ts": pl.Datetime("us", "UTC"), "r25_mohm": pl.Float64})
    t = wide["ts"].dt.epoch("us").to_numpy() / 1e6
    cur = wide["pack_current_a"].fill_null(np.nan).to_numpy().astype(float)
    volt = wide["pack_voltage_v"].fill_null(np.nan).to_numpy().astype(float)
    temp = wide["battery_temp_avg_c"].fill_null(np.nan).to_numpy().astype(float)
    soc = wide["soc_bms_pct"].fill_null(np.nan).to_numpy().astype(float)
    d_i = np.diff(cur)
    d_v = np.diff(volt)
    d_t = np.diff(t)
    min_step = max(cfg.step_min_a, cfg.step_min_c_rate * capacity_ah)
    lo, hi = cfg.resistance_soc_range_pct
    tk = temp[1:] + 273.15
    ok = (
        (np.abs(d_i) >= min_step)
        & (d_t > 0)
        & (d_t <= cfg.step_max_dt_s)
        & np.isfinite(d_v)
        & (temp[1:] >= cfg.resistance_temp_min_c)
        & (soc[1:] >= lo)
        & (soc[1:] <= hi)
    )
    r = -d_v[ok] / d_i[ok]
    factor = np.exp(
        cfg.resistance_activation_k * (1.0 / tk[ok] - 1.0 / (REFERENCE_TEMP_C + 273.15))
    )
    r25 = r / factor * 1000.0
    keep = r25 > 0
    idx = np.flatnonzero(ok)[keep] + 1
    return pl.DataFrame(
        {
            "ts": wide["ts"].gather(idx),
            "r25_mohm": r25[keep],
            "temp_c": temp[idx],
            "soc_pct": soc[idx],
            "step_a": d_i[ok][keep],
        }
    )


def resistance_observations(
    wide: pl.DataFrame, *, capacity_ah: float, cfg: SohConfig | None = None
) -> pl.DataFrame:
    """Daily resistance observations (quantity ``resistance_mohm``) for one vehicle."""
    cfg = cfg or SohConfig()
    steps = resistance_steps(wide, capacity_ah=capacity_ah, cfg=cfg)
    if steps.height == 0:
        return empty_observations()
    daily = (
        steps.group_by(pl.col("ts").dt.date().alias("_d"))
        .agg(
            pl.col("ts").max(),
            pl.col("r25_mohm").median().alias("r"),
            ((pl.col("r25_mohm") - pl.col("r25_mohm").median()).abs().median() * 1.4826).alias(
                "mad"
            ),
            pl.len().alias("n"),
            pl.col("temp_c").mean().alias("temp"),
        )
        .sort("_d")
    )
    n = daily["n"].to_numpy()
    r = daily["r"].to_numpy()
    sigma = 1.2533 * np.maximum(daily["mad"].to_numpy(), 0.02 * r) / np.sqrt(n)
    enough = n >= MIN_STEPS_PER_DAY
    reason = np.where(
        enough, "ok", f"fewer than {MIN_STEPS_PER_DAY} current steps that day"
    ).astype(object)
    return pl.DataFrame(
        {
            "session_id": None,
            "ts": daily["ts"],
            "method": METHOD,
            "quantity": "resistance_mohm",
            "value": r,
            "sigma": sigma,
            "kept": enough,
            "reason": reason.astype(str),
            "soc_start_pct": None,
            "soc_end_pct": None,
            "delta_soc_pct": None,
            "charge_ah": None,
            "energy_kwh": None,
            "temperature_c": daily["temp"],
            "inputs": [
                json.dumps({"steps": int(k), "reference_temp_c": REFERENCE_TEMP_C}) for k in n
            ],
        },
        schema=OBS_SCHEMA,
    )
