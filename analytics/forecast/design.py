"""A vehicle's history as model inputs: daily stress and the cumulative ageing regressors.

Turns ``degradation_features`` and ``degradation_exposure`` rows into numpy arrays per vehicle
(one row per day) and computes ``X_cal`` and ``X_cyc`` of :mod:`analytics.forecast.models` for
any exponents, including the part of life before the first telemetry (age from the
registration date, mileage from the first odometer reading), assumed to have been spent at the
vehicle's average observed stress.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from analytics.forecast.models import AgeingSpec, calendar_stress, cycle_stress

__all__ = [
    "SOC_BINS_PCT",
    "TEMP_BINS_C",
    "VehicleHistory",
    "build_histories",
    "calendar_increments",
]

TEMP_BINS_C = np.arange(-40.0, 65.0, 5.0)  # lower edges of 5 °C bins
SOC_BINS_PCT = np.arange(0.0, 100.0, 10.0)  # lower edges of 10 % bins
_NT, _NS = TEMP_BINS_C.size, SOC_BINS_PCT.size
DAYS_PER_YEAR = 365.25
DEFAULT_KWH_PER_KM = 0.18


def calendar_increments(
    spec: AgeingSpec, exposure: np.ndarray, z_cal: float, temp_shift_c: np.ndarray | float = 0.0
) -> np.ndarray:
    """Per-row calendar increment ``mean(g^(1/z)) * dt_years`` from exposure (rows x NT x NS).

    ``exposure`` holds hours (or fractions) per bin; each row is normalised to one day.
    ``temp_shift_c`` (scalar or one value per row) moves every temperature bin.
    """
    exp = exposure.reshape(exposure.shape[0], _NT, _NS)
    shift = np.broadcast_to(np.asarray(temp_shift_c, dtype=float), (exp.shape[0],))
    t_c = TEMP_BINS_C[None, :, None] + 2.5 + shift[:, None, None]
    s_c = SOC_BINS_PCT[None, None, :] + 5.0
    g = calendar_stress(spec, t_c, s_c) ** (1.0 / z_cal)
    tot = exp.sum(axis=(1, 2))
    rate = np.where(tot > 0, (exp * g).sum(axis=(1, 2)) / np.where(tot > 0, tot, 1.0), np.nan)
    return rate / DAYS_PER_YEAR


@dataclass
class VehicleHistory:
    """One vehicle's daily inputs, aligned on consecutive calendar days."""

    vehicle_id: str
    chemistry: str
    model: str
    make: str
    nominal_kwh: float
    dates: np.ndarray  # datetime64[D]
    age_days: np.ndarray
    odometer_km: np.ndarray
    km_day: np.ndarray
    efc_day: np.ndarray
    exposure: np.ndarray  # days x (NT*NS) hours
    temp_mean_c: np.ndarray  # time-weighted pack temperature, NaN when unknown
    ambient_c: np.ndarray
    cycle_temp_c: np.ndarray
    dod_frac: np.ndarray
    c_rate: np.ndarray
    dc_share: np.ndarray
    hours_soc_above_80: np.ndarray
    pre_days: float  # age at the first day of data
    pre_km: float  # odometer at the first day of data

    @property
    def n_days(self) -> int:
        return int(self.dates.size)

    def cycle_increments(self, spec: AgeingSpec, z_cyc: float) -> np.ndarray:
        """Per-day ``h^(1/z) * EFC / 100`` (stress-weighted hundreds of EFC)."""
        h = cycle_stress(spec, self.cycle_temp_c, self.dod_frac, self.c_rate)
        return h ** (1.0 / z_cyc) * self.efc_day / 100.0

    def cumulative(
        self, spec: AgeingSpec, z_cal: float, z_cyc: float
    ) -> tuple[np.ndarray, np.ndarray, float, float]:
        """``(X_cal, X_cyc, S_cal, S_cyc)``: regressors per day and the final virtual sums."""
        cal = calendar_increments(spec, self.exposure, z_cal)
        fill = np.nanmean(cal) if np.isfinite(cal).any() else 1.0 / DAYS_PER_YEAR
        cal = np.where(np.isfinite(cal), cal, fill)
        cyc = self.cycle_increments(spec, z_cyc)
        pre_cal = fill * self.pre_days
        km_total = float(np.nansum(self.km_day))
        if self.pre_km > 0 and km_total > 50:
            pre_cyc = float(cyc.sum()) / km_total * self.pre_km
        else:
            pre_cyc = float(np.mean(cyc)) * self.pre_days if cyc.size else 0.0
        s_cal = pre_cal + np.cumsum(cal)
        s_cyc = pre_cyc + np.cumsum(cyc)
        return s_cal**z_cal, s_cyc**z_cyc, float(s_cal[-1]), float(s_cyc[-1])


def _exposure_matrix(exposure: pl.DataFrame, vid: str, dates: np.ndarray) -> np.ndarray:
    out = np.zeros((dates.size, _NT * _NS))
    ex = exposure.filter(pl.col("vehicle_id") == vid)
    if ex.height == 0:
        return out
    d = ex["date"].to_numpy().astype("datetime64[D]")
    row = (d - dates[0]).astype(int)
    ti = np.clip(
        np.searchsorted(TEMP_BINS_C, ex["temp_bin_c"].to_numpy(), side="right") - 1, 0, _NT - 1
    )
    si = np.clip(
        np.searchsorted(SOC_BINS_PCT, ex["soc_bin_pct"].to_numpy(), side="right") - 1, 0, _NS - 1
    )
    ok = (row >= 0) & (row < dates.size)
    np.add.at(out, (row[ok], ti[ok] * _NS + si[ok]), ex["hours"].to_numpy()[ok])
    return out


def _col(df: pl.DataFrame, name: str, fill: float = np.nan) -> np.ndarray:
    if name not in df.columns:
        return np.full(df.height, fill)
    return df[name].cast(pl.Float64).fill_null(fill).to_numpy().astype(float)


def build_histories(
    features: pl.DataFrame, exposure: pl.DataFrame, meta: pl.DataFrame
) -> dict[str, VehicleHistory]:
    """One :class:`VehicleHistory` per vehicle in ``features`` (sorted by date)."""
    out: dict[str, VehicleHistory] = {}
    meta_rows = {r["vehicle_id"]: r for r in meta.iter_rows(named=True)}
    for (vid,), f in features.sort("vehicle_id", "date").group_by(
        "vehicle_id", maintain_order=True
    ):
        m = meta_rows.get(vid, {})
        dates = f["date"].to_numpy().astype("datetime64[D]")
        temp = _col(f, "battery_temp_mean_c")
        cyc_t = _col(f, "cycle_temp_c")
        cyc_t = np.where(np.isfinite(cyc_t), cyc_t, temp)
        cyc_t = np.where(np.isfinite(cyc_t), cyc_t, 25.0)
        dc = _col(f, "dc_share")
        c_rate = _col(f, "charge_c_rate_mean")
        c_rate = np.where(np.isfinite(c_rate), c_rate, 0.15 + np.nan_to_num(dc) * 1.35)
        dod = _col(f, "dod_mean_pct") / 100.0
        dod_mean = np.nanmean(dod) if np.isfinite(dod).any() else 0.5
        odo = _col(f, "odometer_km")
        age = _col(f, "age_days", 0.0)
        first_odo = odo[np.isfinite(odo)][0] if np.isfinite(odo).any() else 0.0
        out[vid] = VehicleHistory(
            vehicle_id=vid,
            chemistry=str(m.get("chemistry") or "UNKNOWN"),
            model=str(m.get("model") or "unknown"),
            make=str(m.get("make") or "unknown"),
            nominal_kwh=float(m.get("nominal_capacity_kwh") or 60.0),
            dates=dates,
            age_days=age,
            odometer_km=odo,
            km_day=_col(f, "distance_km", 0.0),
            efc_day=_col(f, "efc_day", 0.0),
            exposure=_exposure_matrix(exposure, vid, dates),
            temp_mean_c=temp,
            ambient_c=_col(f, "ambient_temp_mean_c"),
            cycle_temp_c=cyc_t,
            dod_frac=np.where(np.isfinite(dod), dod, dod_mean),
            c_rate=c_rate,
            dc_share=np.nan_to_num(dc),
            hours_soc_above_80=_col(f, "hours_soc_above_80", 0.0),
            pre_days=float(age[0]) if age.size else 0.0,
            pre_km=float(first_odo),
        )
    return out
