"""What the car's charger-power signal measures, and the on-board load it may leave out.

Cars report a "charger power" while charging. Some measure it at the inlet (AC voltage x
current before the on-board charger, or the DC link for fast charging): that reading already
contains everything the car draws from the cable, including the fixed load of the systems
kept awake by charging (battery management, contactors, coolant pumps, the 12 V converter,
telematics). Others report pack power divided by a constant efficiency: such a figure is
proportional to pack power and misses that fixed load, so at low charging power it reads
well below a wall meter.

The two are told apart from the cars' own data. Over active charging samples we fit
``charger_kw = a + b * pack_kw`` (weighted least squares through per-bin medians, per charge
type). A metered inlet shows the fixed load as a positive intercept ``a`` (hundreds of
watts); a scaled figure has ``a`` close to zero. A signal is called scaled only when its
intercept is near zero and a real fixed load (``SMALLEST_FIXED_LOAD_KW``) is outside the
intercept's 95 % interval, metered only when the intercept is clearly positive; anything in
between is ``undetermined``. The fit needs a spread of pack power to separate ``a`` from ``b``; a car
that always charges at one power has none, so what a signal measures is decided per car
model (make and model, pooled over the fleet: the signal is the firmware's, not the
individual car's) and per vehicle; the model's fit wins when it is conclusive, the vehicle's
own fit stands in when it is not (or the car's make and model are unknown).
For a *scaled* signal the charging stage adds ``FIXED_LOAD_KW`` for every hour of active
charging, with ``FIXED_LOAD_RANGE_KW`` as the uncertainty; a *metered* one is used as it is.
An ``undetermined`` signal whose intercept could be estimated gets the expected fixed load:
``FIXED_LOAD_KW`` times the probability that the signal is scaled, from the likelihood of
its intercept estimate under the two explanations (zero, or a fixed load in
``FIXED_LOAD_RANGE_KW`` seen through the converter's slope) with even prior odds; the spread
of that mixture goes into the uncertainty. Without an intercept estimate (one power level,
too few samples, a signal that does not look like a charger's) the figure is used as it is,
with the whole fixed load as its uncertainty.

The fixed load is a typical public figure, not a measurement of any one car: published
wall-meter comparisons put AC wall-to-battery efficiency at roughly 85-94 % with the lower
values at low charging power, and attribute the gap to a few hundred watts of on-board
consumption that does not scale with power (e.g. the VEIC assessment of 1,008 Level 1 and
Level 2 charging events, where the efficiency gap between levels grows for short sessions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from analytics.charging.detail import pack_power_kw

if TYPE_CHECKING:
    from analytics.warehouse import Warehouse

__all__ = [
    "FIXED_LOAD_KW",
    "FIXED_LOAD_RANGE_KW",
    "InletFit",
    "classify_inlet",
    "model_inlet_fits",
    "pick_inlet",
    "scaled_probability",
]

FIXED_LOAD_KW = 0.30
"""On-board load while charging that a scaled charger-power figure leaves out (typical)."""

FIXED_LOAD_RANGE_KW = (0.20, 0.40)
"""Its plausible range, used as the uncertainty of the added energy."""

MIN_PAIRS = 30
MIN_POWER_SPREAD = 1.5  # highest / lowest populated power bin needed to separate a from b
SMALLEST_FIXED_LOAD_KW = 0.20
"""The smallest fixed load a metered signal shows (its intercept: load / efficiency)."""

NEAR_ZERO_KW = 0.10  # a scaled signal's intercept estimate lies within this of zero
METERED_FROM_KW = 0.15  # a metered signal's intercept estimate lies above this
BIN_KW = 0.5  # pack power bins: the fit runs on per-bin medians (robust to rounding)
MIN_BIN_PAIRS = 5
MIN_BINS = 4  # two parameters and an estimate of their uncertainty
PLAUSIBLE_SLOPE = (0.95, 1.35)  # 1 / converter efficiency
PLAUSIBLE_INTERCEPT_KW = (-0.25, 0.8)
_MIN_KW = 0.3  # pairs below this are start-up / end transients
DC_POWER_KW = 22.0  # an untyped charge above this power is DC (as the charging stage does)
_FIT_MIN_KW = 1.0  # bins below this are dominated by rounding of the reported figures


@dataclass(frozen=True)
class InletFit:
    """The charger-power signal of one vehicle and charge type, compared with pack power."""

    kind: str  # scaled | metered | undetermined
    intercept_kw: float | None = None
    slope: float | None = None
    pairs: int = 0
    intercept_se_kw: float | None = None

    @property
    def conclusive(self) -> bool:
        return self.kind != "undetermined"

    @property
    def scaled(self) -> bool:
        return self.kind == "scaled"

    @property
    def estimated(self) -> bool:
        """An intercept with its standard error inside the plausible range of a charger."""
        if self.intercept_kw is None or self.slope is None or not self.intercept_se_kw:
            return False
        lo_s, hi_s = PLAUSIBLE_SLOPE
        lo_i, hi_i = PLAUSIBLE_INTERCEPT_KW
        return lo_s <= self.slope <= hi_s and lo_i <= self.intercept_kw <= hi_i


def scaled_probability(fit: InletFit) -> float:
    """Probability that the signal leaves the fixed load out: 1 scaled, 0 metered; for an
    undetermined fit with an intercept estimate, the posterior of "intercept = 0" against
    "intercept = fixed load x slope, load uniform in FIXED_LOAD_RANGE_KW" at even prior odds;
    0 without an estimate (the figure is then used as it is).

    Computed in log space with the exact marginal of the uniform load, so that a sharp
    estimate far from both explanations still gives a number (the nearer one wins).
    """
    if fit.kind == "scaled":
        return 1.0
    if fit.kind == "metered" or not fit.estimated:
        return 0.0
    from scipy.special import expit, log_ndtr  # here: scipy's import is slow, workers pay it
    from scipy.stats import norm

    a, se, b = float(fit.intercept_kw), float(fit.intercept_se_kw), float(fit.slope)
    lo, hi = (load * b for load in FIXED_LOAD_RANGE_KW)
    log_scaled = float(norm.logpdf(a, scale=se))
    z_lo, z_hi = (lo - a) / se, (hi - a) / se
    if z_lo > 0:  # the range lies above the estimate: difference of upper tails, no cancelling
        log_mass = _log_diff(log_ndtr(-z_lo), log_ndtr(-z_hi))
    else:
        log_mass = _log_diff(log_ndtr(z_hi), log_ndtr(z_lo))
    log_metered = log_mass - math.log(hi - lo)
    return float(expit(log_scaled - log_metered))


def _log_diff(log_x: float, log_y: float) -> float:
    """log(x - y) from log x > log y."""
    return log_x + math.log1p(-math.exp(log_y - log_x))


def _pairs(samples: pl.DataFrame) -> pl.DataFrame:
    """(session_id, charger_kw, pack_kw) at time stamps where both were sampled."""
    charger = samples.filter(pl.col("signal") == "charger_power_kw").select(
        "session_id", "ts", pl.col("value").alias("charger_kw")
    )
    pack = pack_power_kw(samples).select("session_id", "ts", pl.col("value").alias("pack_kw"))
    return (
        charger.join(pack, on=["session_id", "ts"])
        .filter((pl.col("charger_kw") > _MIN_KW) & (pl.col("pack_kw") > _MIN_KW))
        .group_by("session_id", "ts")
        .agg(pl.col("charger_kw").mean(), pl.col("pack_kw").mean())
    )


def _fit(x: np.ndarray, y: np.ndarray) -> InletFit:
    """Least squares through the median charger power of each populated pack-power bin
    (weighted by the bin's size): the figures cars report are rounded (often to 0.1 kW),
    which makes single pairs scatter by several percent at a few kW."""
    keep = x >= _FIT_MIN_KW
    x, y = x[keep], y[keep]
    if x.size < MIN_PAIRS:
        return InletFit("undetermined", pairs=int(x.size))
    bins = (
        pl.DataFrame({"b": np.floor(x / BIN_KW), "x": x, "y": y})
        .group_by("b")
        .agg(pl.col("x").median(), pl.col("y").median(), pl.len().alias("n"))
        .filter(pl.col("n") >= MIN_BIN_PAIRS)
    )
    if bins.height < MIN_BINS or bins["x"].max() / bins["x"].min() < MIN_POWER_SPREAD:
        return InletFit("undetermined", pairs=int(x.size))
    w = np.sqrt(bins["n"].to_numpy().astype(float))
    (slope, intercept), cov = np.polyfit(
        bins["x"].to_numpy(), bins["y"].to_numpy(), 1, w=w, cov=True
    )
    se = float(np.sqrt(max(cov[1, 1], 0.0)))
    fit = (float(intercept), float(slope), int(x.size), se)
    lo_s, hi_s = PLAUSIBLE_SLOPE
    lo_i, hi_i = PLAUSIBLE_INTERCEPT_KW
    if not (lo_s <= slope <= hi_s and lo_i <= intercept <= hi_i):  # not a charger's signal
        return InletFit("undetermined", *fit)
    # scaled: near zero, and a real fixed load is excluded at about 95 %; metered: above the
    # scaled range, and no fixed load at all is excluded
    if abs(intercept) < NEAR_ZERO_KW and intercept + 2 * se < SMALLEST_FIXED_LOAD_KW:
        return InletFit("scaled", *fit)
    if intercept > METERED_FROM_KW and intercept - 2 * se > 0:
        return InletFit("metered", *fit)
    return InletFit("undetermined", *fit)


def classify_inlet(samples: pl.DataFrame, charge_types: pl.DataFrame) -> dict[str, InletFit]:
    """Per charge type (``AC``/``DC``), what one vehicle's charger-power signal measures.

    ``samples``: the charging window samples (``session_id, ts, signal, value`` with catalog
    keys); ``charge_types``: ``session_id, charge_type`` of the vehicle's sessions.
    """
    out = {t: InletFit("undetermined") for t in ("AC", "DC")}
    if samples.height == 0 or charge_types.height == 0:
        return out
    pairs = _pairs(samples).join(charge_types, on="session_id")
    for t in out:
        sel = pairs.filter(pl.col("charge_type") == t)
        out[t] = _fit(sel["pack_kw"].to_numpy(), sel["charger_kw"].to_numpy())
    return out


ModelFits = dict[tuple[str, str, str], InletFit]
"""(make, model, charge type) -> fit pooled over the fleet's vehicles of that model."""


def model_inlet_fits(wh: Warehouse) -> ModelFits:
    """Fleet-wide fits per car model and charge type (vehicles without make/model: none)."""
    from analytics.catalog import load_catalog
    from analytics.warehouse import load_sql

    cat = load_catalog()
    pairs = wh.sql(
        load_sql("analytics.charging", "inlet_pairs.sql"),
        {
            "charger": cat.path("charger_power_kw"),
            "pack_power": cat.path("pack_power_w"),
            "pack_current": cat.path("pack_current_a"),
            "pack_voltage": cat.path("pack_voltage_v"),
            "min_kw": _MIN_KW,
            "dc_kw": DC_POWER_KW,
        },
    )
    out: ModelFits = {}
    if pairs.height == 0:
        return out
    known = pairs.filter((pl.col("make") != "") | (pl.col("model") != ""))
    for (make, model, ctype), g in known.group_by("make", "model", "charge_type"):
        out[(str(make), str(model), str(ctype))] = _fit(
            g["pack_kw"].to_numpy(), g["charger_kw"].to_numpy()
        )
    return out


def pick_inlet(
    own: dict[str, InletFit], pooled: ModelFits, make: str | None, model: str | None
) -> dict[str, InletFit]:
    """Per charge type: the car model's pooled fit where conclusive (the signal is the
    firmware's, and the pool has more data and power levels), else the vehicle's own where
    conclusive; when neither is, the one with the sharper intercept estimate."""
    out = {}
    for ctype, fit in own.items():
        model_fit = pooled.get((make or "", model or "", ctype))
        if model_fit is None or (fit.conclusive and not model_fit.conclusive):
            out[ctype] = fit
        elif model_fit.conclusive or not fit.estimated:
            out[ctype] = model_fit
        elif model_fit.estimated and model_fit.intercept_se_kw < fit.intercept_se_kw:
            out[ctype] = model_fit  # neither decides: the sharper intercept estimate weighs
        else:
            out[ctype] = fit
    return out
