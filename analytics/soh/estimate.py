"""State of health of one vehicle: every estimator, then the fusion, as a pure function.

``soh_for_vehicle(ref, long, sessions)`` returns ``(observations, daily)`` — the rows of
``soh_observations`` and ``soh`` for one vehicle — from its long signal rows, its sessions and
its reference (``analytics.soh.reference``). Nothing here touches the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import polars as pl

from analytics.sessions.frame import clean_clock, wide_frame
from analytics.soh.anchors import find_anchors
from analytics.soh.bms import bms_observations
from analytics.soh.calibration import BMS_METHODS, MIN_PHYSICAL_OBS
from analytics.soh.config import SohConfig
from analytics.soh.counting import counting_observations
from analytics.soh.daily import daily_series
from analytics.soh.fusion import FusionModel, fuse
from analytics.soh.ocv import ocv_observations
from analytics.soh.pairs import empty_observations
from analytics.soh.reference import VehicleRef, first_observed_ah
from analytics.soh.resistance import resistance_observations

__all__ = [
    "BIAS_PRIORS",
    "VehicleObservations",
    "fuse_vehicle",
    "set_aside_uncalibrated_bms",
    "soh_for_vehicle",
    "vehicle_observations",
]

# (mean, sd) of each method's bias before any fleet calibration, in SoH points:
# charge counting — BMS SoC recalibration systematics (~1 point);
# OCV — a pack's deviation from the published curve (~1.5 points);
# BMS values — definitions differ by make (usable vs gross, buffers): wide.
BIAS_PRIORS: dict[str, tuple[float, float]] = {
    # the current-sensor gain scales every charge balance alike (shared by both methods)
    "charge_scale": (0.0, 0.4),
    "charge_counting": (0.0, 0.6),
    "ocv": (0.0, 1.0),
    "bms_soh": (0.0, 5.0),
    "bms_capacity": (0.0, 10.0),
    "bms_energy": (0.0, 10.0),
}
RESISTANCE_BASELINE_DAYS = 30
RESISTANCE_MODEL_SD_PCT = 1.0  # residue of the Arrhenius normalisation, growth points


def _session_lookup(sessions: pl.DataFrame):  # type: ignore[no-untyped-def]
    """``f(t0_s, t1_s) -> session_id`` of the charge or drive moving most charge in between."""
    if sessions.height == 0:
        return lambda t0, t1: None
    s = sessions.filter(pl.col("kind") != "park").sort("start_ts")
    start = s["start_ts"].dt.epoch("us").to_numpy() / 1e6
    end = s["end_ts"].dt.epoch("us").to_numpy() / 1e6
    moved = (s["charge_ah"].fill_null(0.0) + s["discharge_ah"].fill_null(0.0)).to_numpy()
    ids = s["session_id"].to_list()

    def at(t0: float, t1: float) -> str | None:
        lo = int(np.searchsorted(end, t0, side="left"))
        hi = int(np.searchsorted(start, t1, side="right"))
        if hi <= lo:
            return None
        return ids[lo + int(np.argmax(moved[lo:hi]))]

    return at


def _observations(
    ref: VehicleRef, wide: pl.DataFrame, sessions: pl.DataFrame, cfg: SohConfig
) -> pl.DataFrame:
    chem = ref.chemistry if ref.chemistry != "unknown" else "NMC"
    cap = ref.capacity_ah or 0.0
    anchors = find_anchors(
        wide, chemistry=chem, cells_series=ref.cells_series,
        capacity_ah=cap or 100.0, cfg=cfg,
    )  # fmt: skip
    at = _session_lookup(sessions)
    parts = [
        counting_observations(anchors, chemistry=chem, capacity_ref_ah=cap, session_at=at, cfg=cfg)
    ]
    if ref.chemistry != "unknown":
        parts.append(
            ocv_observations(anchors, chemistry=chem, capacity_ref_ah=cap, session_at=at, cfg=cfg)
        )
    parts.append(bms_observations(wide, nominal_kwh=ref.nominal_kwh, usable_kwh=ref.usable_kwh))
    parts.append(resistance_observations(wide, capacity_ah=cap or 100.0, cfg=cfg))
    parts = [p for p in parts if p.height]
    return pl.concat(parts).sort("ts") if parts else empty_observations()


@dataclass(frozen=True, slots=True)
class VehicleObservations:
    """One vehicle's observations on the SoH scale, with what the scale is."""

    ref: VehicleRef
    obs: pl.DataFrame
    reference: str
    ref_ah: float | None
    r_ref: float | None
    d0: date | None
    n_days: int
    r_ref_rel_sd: float = 0.0  # relative standard error of the resistance baseline


def vehicle_observations(
    ref: VehicleRef, long: pl.DataFrame, sessions: pl.DataFrame, cfg: SohConfig | None = None
) -> VehicleObservations:
    """Every estimator's observations of one vehicle, kept or rejected, on the SoH scale."""
    cfg = cfg or SohConfig()
    wide, _ = clean_clock(wide_frame(long, hold_gap_s=cfg.max_gap_s))
    obs = _observations(ref, wide, sessions, cfg)
    obs = obs.with_columns(
        pl.lit(ref.vehicle_id).alias("vehicle_id"), pl.col("ts").dt.date().alias("date")
    )
    if wide.height == 0:
        return VehicleObservations(
            ref, _with_soh_columns(obs, None, None), ref.reference, None, None, None, 0
        )
    reference, ref_ah = ref.reference, ref.capacity_ah
    if ref_ah is None:
        cap_kept = obs.filter(pl.col("kept") & (pl.col("quantity") == "capacity_ah"))
        ref_ah = first_observed_ah(cap_kept["value"].to_numpy())
        # without a rated capacity, BMS percentages are on another scale: not used
        obs = obs.with_columns(
            pl.when(pl.col("quantity") == "soh_pct")
            .then(pl.lit(False))
            .otherwise(pl.col("kept"))
            .alias("kept"),
            pl.when((pl.col("quantity") == "soh_pct") & pl.col("kept"))
            .then(pl.lit("no rated capacity: BMS values cannot be put on the first-observed scale"))
            .otherwise(pl.col("reason"))
            .alias("reason"),
        )
    r_base = _resistance_reference(obs)
    r_ref = r_base[0] if r_base else None
    obs = _with_soh_columns(obs, ref_ah, r_ref)
    d0 = wide["ts"].min().date()  # type: ignore[union-attr]
    d1 = wide["ts"].max().date()  # type: ignore[union-attr]
    r_ref_rel_sd = r_base[1] / r_base[0] if r_base else 0.0
    return VehicleObservations(
        ref, obs, reference, ref_ah, r_ref, d0, (d1 - d0).days + 1, r_ref_rel_sd
    )


def fuse_vehicle(
    vo: VehicleObservations,
    priors: dict[str, tuple[float, float]] | None = None,
    *,
    final: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, tuple[float, float]]]:
    """Fuse one vehicle's observations: (observations with outliers marked, daily, biases).

    ``priors`` maps a method to the (mean, sd) of its bias for this vehicle, e.g. a fleet
    calibration of a BMS value; defaults are :data:`BIAS_PRIORS`. With ``final`` (the
    published estimate, after any fleet calibration) a BMS value without a calibration is
    left out when the car's own charge counting and OCV give its level (see
    :func:`set_aside_uncalibrated_bms`); without ``final`` every value is fused, which is
    what a calibration needs to learn the BMS offsets from.
    """
    if vo.ref_ah is None or vo.d0 is None:
        return vo.obs, pl.DataFrame(), {}
    merged = {**BIAS_PRIORS, **(priors or {})}
    obs = set_aside_uncalibrated_bms(vo.obs, priors or {}) if final else vo.obs
    obs, cap_fit = _fuse_capacity(obs, vo.d0, vo.n_days, merged)
    if cap_fit is None:
        return obs, pl.DataFrame(), {}  # nothing kept: no number rather than a made-up one
    res_fit = _fuse_resistance(obs, vo.d0, vo.n_days, vo.r_ref_rel_sd)
    daily = daily_series(
        vo.ref, vo.reference, vo.ref_ah, vo.r_ref, vo.d0, vo.n_days, obs, cap_fit, res_fit, merged
    )
    return obs, daily, cap_fit.bias


def set_aside_uncalibrated_bms(
    obs: pl.DataFrame, priors: dict[str, tuple[float, float]]
) -> pl.DataFrame:
    """Mark uncalibrated BMS values not kept when physical observations give the level.

    A BMS value's offset is a definition of its maker (usable or gross energy, buffers) and
    its course follows the BMS's own capacity model (lag, update steps), not the cell's.
    Without a fleet calibration (no other car of the model pinned its offset) its prior
    says nothing about this car's level, yet its hundreds of daily values would still shape
    the fused curve as if they were calibrated, and narrow the interval with it. So when the
    car has as many kept charge-counting / OCV observations as a car needs to calibrate
    others (:data:`MIN_PHYSICAL_OBS`), those give the level and the uncalibrated BMS values
    are set aside with the reason; with fewer, the BMS values are all there is and are fused
    with their wide prior (the interval says so).
    """
    if obs.height == 0:
        return obs
    method, kept = pl.col("method"), pl.col("kept")
    n_phys = obs.filter(kept & method.is_in(["charge_counting", "ocv"])).height
    loose = [m for m in BMS_METHODS if m not in priors]
    if n_phys < MIN_PHYSICAL_OBS or not loose:
        return obs
    hit = kept & method.is_in(loose)
    reason = (
        "uncalibrated BMS value: no other car of the model pins its offset, and this car's "
        f"{n_phys} charge-counting/OCV observations give the level"
    )
    return obs.with_columns(
        pl.when(hit).then(pl.lit(reason)).otherwise(pl.col("reason")).alias("reason"),
        pl.when(hit).then(pl.lit(False)).otherwise(kept).alias("kept"),
    )


def soh_for_vehicle(
    ref: VehicleRef,
    long: pl.DataFrame,
    sessions: pl.DataFrame,
    cfg: SohConfig | None = None,
    priors: dict[str, tuple[float, float]] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Observations and the fused daily series of one vehicle."""
    vo = vehicle_observations(ref, long, sessions, cfg)
    obs, daily, _ = fuse_vehicle(vo, priors, final=True)
    return obs, daily


def _resistance_reference(obs: pl.DataFrame) -> tuple[float, float] | None:
    """Median resistance of the first 30 days of observations and its standard error."""
    r = obs.filter(pl.col("kept") & (pl.col("method") == "resistance")).sort("ts")
    if r.height < 3:
        return None
    first = r["date"][0]
    base = r.filter(pl.col("date") < first + timedelta(days=RESISTANCE_BASELINE_DAYS))["value"]
    med = float(base.median())  # type: ignore[arg-type]
    mad = float((base - med).abs().median()) * 1.4826  # type: ignore[arg-type]
    return med, 1.2533 * mad / np.sqrt(base.len())


def _with_soh_columns(obs: pl.DataFrame, ref_ah: float | None, r_ref: float | None) -> pl.DataFrame:
    q = pl.col("quantity")
    ref = pl.lit(ref_ah, dtype=pl.Float64)
    rr = pl.lit(r_ref, dtype=pl.Float64)
    return obs.with_columns(
        pl.when(q == "capacity_ah").then(pl.col("value") / ref * 100)
        .when(q == "soh_pct").then(pl.col("value"))
        .when(q == "resistance_mohm").then((pl.col("value") / rr - 1) * 100)
        .alias("soh_pct"),
        pl.when(q == "capacity_ah").then(pl.col("sigma") / ref * 100)
        .when(q == "soh_pct").then(pl.col("sigma"))
        .when(q == "resistance_mohm").then(pl.col("sigma") / rr * 100)
        .alias("soh_sigma_pct"),
    )  # fmt: skip


def _fuse_capacity(
    obs: pl.DataFrame, d0: date, n_days: int, priors: dict[str, tuple[float, float]]
):  # type: ignore[no-untyped-def]
    sel = obs.with_row_index("_i").filter(
        pl.col("kept") & (pl.col("quantity") != "resistance_mohm") & pl.col("soh_pct").is_finite()
    )
    if sel.height == 0:
        return obs, None
    day = np.array([(d - d0).days for d in sel["date"]], dtype=np.int64)
    fit = fuse(
        day, sel["soh_pct"].to_numpy(), sel["soh_sigma_pct"].to_numpy(), sel["method"].to_numpy(),
        n_days, model=FusionModel(
            bias_prior_mean={m: v[0] for m, v in priors.items()},
            bias_prior_sd={m: v[1] for m, v in priors.items()},
            shared={"charge_scale": ("charge_counting", "ocv")},
            lagged=BMS_METHODS,
        ),
    )  # fmt: skip
    if fit.outlier.any():
        rows = sel["_i"].to_numpy()[fit.outlier]
        dev = (sel["soh_pct"].to_numpy() - fit.fitted)[fit.outlier]
        mark = np.zeros(obs.height, dtype=bool)
        mark[rows] = True
        why = np.full(obs.height, "", dtype=object)
        why[rows] = [f"outlier: {d:+.1f} points from the fused estimate" for d in dev]
        obs = obs.with_columns(
            pl.when(pl.Series(mark)).then(pl.lit(False)).otherwise(pl.col("kept")).alias("kept"),
            pl.when(pl.Series(mark))
            .then(pl.Series(why.astype(str)))
            .otherwise(pl.col("reason"))
            .alias("reason"),
        )
    return obs, fit


def _fuse_resistance(obs: pl.DataFrame, d0: date, n_days: int, base_rel_sd: float):  # type: ignore[no-untyped-def]
    sel = obs.filter(
        pl.col("kept") & (pl.col("method") == "resistance") & pl.col("soh_pct").is_finite()
    )
    if sel.height < 3:
        return None
    day = np.array([(d - d0).days for d in sel["date"]], dtype=np.int64)
    model = FusionModel(
        level_sd_per_day=0.05, init_slope=0.0, init_slope_sd=0.05, slope_sd_per_day=0.001
    )
    fit = fuse(
        day,
        sel["soh_pct"].to_numpy(),
        sel["soh_sigma_pct"].to_numpy(),
        sel["method"].to_numpy(),
        n_days,
        unbiased=frozenset({"resistance"}),
        model=model,
    )
    # growth is relative to a baseline that is itself measured: add its error, and the
    # model error of normalising to 25 °C (seasonal residue the smoother cannot see)
    base_sd = (1.0 + fit.level / 100.0) * base_rel_sd * 100.0
    sd = np.sqrt(fit.level_sd**2 + base_sd**2 + RESISTANCE_MODEL_SD_PCT**2)
    return replace(fit, level_sd=sd)
