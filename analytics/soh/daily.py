"""The fused daily rows of table ``soh`` for one vehicle, from the smoother's output.

Capacity SoH with its 90 % interval, energy SoH at 25 °C derived from capacity and
resistance growth, resistance growth, observation counts, reference and flags
(``thin_data``, ``method_disagrees:<method>``).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from analytics.soh.config import REFERENCE_TEMP_C
from analytics.soh.fusion import FusionResult
from analytics.soh.reference import VehicleRef

__all__ = ["Z90", "daily_series"]

Z90 = 1.6449  # two-sided 90 % normal quantile


def daily_series(
    ref: VehicleRef,
    reference: str,
    ref_ah: float,
    r_ref: float | None,
    d0: date,
    n_days: int,
    obs: pl.DataFrame,
    cap_fit: FusionResult | None,
    res_fit: FusionResult | None,
    priors: dict[str, tuple[float, float]],
) -> pl.DataFrame:
    """One row per day from ``d0`` for ``n_days``: the columns of table ``soh``."""
    dates = [d0 + timedelta(days=i) for i in range(n_days)]
    kept = obs.filter(pl.col("kept") & (pl.col("quantity") != "resistance_mohm"))
    counts = kept.group_by("date").agg(pl.len().alias("n"), pl.col("method").unique().alias("m"))
    frame = pl.DataFrame({"date": dates}).join(counts, on="date", how="left").sort("date")
    n_obs = frame["n"].fill_null(0).to_numpy()
    n_total = np.cumsum(n_obs)
    idx = np.arange(n_days)
    last = np.maximum.accumulate(np.where(n_obs > 0, idx, -1))
    since = np.where(last >= 0, idx - last, -1)
    if cap_fit is None:
        soh = sd = np.full(n_days, np.nan)
        methods = "none"
        disagree: list[str] = []
    else:
        soh, sd = cap_fit.level, cap_fit.level_sd
        used = sorted(set(kept["method"].to_list()))
        methods = "kalman_rts(" + "+".join(used) + ")"
        disagree = [
            m for m, (b, bsd) in cap_fit.bias.items()
            if abs(b - priors.get(m, (0.0, 0.0))[0]) > max(2.0, 2 * bsd)
        ]  # fmt: skip
    if res_fit is None:
        growth = g_sd = np.full(n_days, np.nan)
    else:
        growth, g_sd = res_fit.level, res_fit.level_sd
    e_soh, e_sd = _energy_soh(ref, ref_ah, r_ref, soh, sd, growth)
    flags = np.where((since < 0) | (since > 30) | (sd > 2.5), "thin_data", "")
    if disagree:
        extra = ";".join(f"method_disagrees:{m}" for m in disagree)
        flags = np.array([f"{f};{extra}" if f else extra for f in flags])
    return pl.DataFrame(
        {
            "vehicle_id": ref.vehicle_id,
            "date": dates,
            "soh_pct": soh,
            "soh_low_pct": soh - Z90 * sd,
            "soh_high_pct": soh + Z90 * sd,
            "energy_soh_pct": e_soh,
            "resistance_growth_pct": growth,
            "method": methods,
            "n_observations": n_obs.astype(np.int32),
            "capacity_ah": soh / 100.0 * ref_ah,
            "energy_soh_low_pct": e_soh - Z90 * e_sd,
            "energy_soh_high_pct": e_soh + Z90 * e_sd,
            "resistance_growth_low_pct": growth - Z90 * g_sd,
            "resistance_growth_high_pct": growth + Z90 * g_sd,
            "n_observations_total": n_total.astype(np.int32),
            "days_since_observation": pl.Series(since).cast(pl.Int32).replace(-1, None),
            "reference": reference,
            "reference_capacity_ah": ref_ah,
            "reference_temp_c": REFERENCE_TEMP_C,
            "flags": flags,
        },
        strict=False,
    )


def _energy_soh(
    ref: VehicleRef,
    ref_ah: float,
    r_ref: float | None,
    soh: np.ndarray,
    sd: np.ndarray,
    growth: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Usable-energy SoH at 25 °C: capacity SoH less the extra resistive loss at C/3.

    E ∝ C · (V_ocv − I·R): at a C/3 discharge the resistive share ``a = I·R/V`` of a new pack
    grows with resistance, so ``E/E_new = SoH · (1 − a·(1+g)) / (1 − a)``.
    """
    if r_ref is None or not ref.nominal_voltage_v:
        return soh, sd
    a = (ref_ah / 3.0) * (r_ref / 1000.0) / ref.nominal_voltage_v
    g = np.nan_to_num(growth, nan=0.0) / 100.0
    factor = (1.0 - a * (1.0 + g)) / (1.0 - a)
    return soh * factor, sd * factor
