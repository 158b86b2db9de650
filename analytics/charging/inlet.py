"""What the car's charger-power signal measures, and the on-board load it may leave out.

Cars report a "charger power" while charging. Some measure it at the inlet (AC voltage x
current before the on-board charger, or the DC link for fast charging): that reading already
contains everything the car draws from the cable, including the fixed load of the systems
kept awake by charging (battery management, contactors, coolant pumps, the 12 V converter,
telematics). Others report pack power divided by a constant efficiency: such a figure is
proportional to pack power and misses that fixed load, so at low charging power it reads
well below a wall meter.

The two are told apart from the cars' own data. Over active charging samples we fit
``charger_kw = a + b * pack_kw`` (ordinary least squares, per charge type). A metered inlet
shows the fixed load as a positive intercept ``a`` (hundreds of watts); a scaled figure has
``a`` close to zero. The fit needs a spread of pack power to separate ``a`` from ``b``; a car
that always charges at one power has none, so what a signal measures is decided per car
model (make and model, pooled over the fleet: the signal is the firmware's, not the
individual car's) and per vehicle, the vehicle's own fit winning when it is conclusive.
Only for a *scaled* signal does the charging stage add ``FIXED_LOAD_KW`` for every hour of
active charging, with ``FIXED_LOAD_RANGE_KW`` as the uncertainty; an ``undetermined``
signal is used as it is.

The fixed load is a typical public figure, not a measurement of any one car: published
wall-meter comparisons put AC wall-to-battery efficiency at roughly 85-94 % with the lower
values at low charging power, and attribute the gap to a few hundred watts of on-board
consumption that does not scale with power (e.g. the VEIC assessment of 1,008 Level 1 and
Level 2 charging events, where the efficiency gap between levels grows for short sessions).
"""

from __future__ import annotations

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
]

FIXED_LOAD_KW = 0.30
"""On-board load while charging that a scaled charger-power figure leaves out (typical)."""

FIXED_LOAD_RANGE_KW = (0.20, 0.40)
"""Its plausible range, used as the uncertainty of the added energy."""

MIN_PAIRS = 30
MIN_POWER_SPREAD = 1.5  # highest / lowest populated power bin needed to separate a from b
SCALED_BELOW_KW = 0.10  # |intercept| under this: no fixed load in the signal
METERED_ABOVE_KW = 0.15  # intercept above this: a fixed load (real ones are 0.2-0.4 kW)
BIN_KW = 0.5  # pack power bins: the fit runs on per-bin medians (robust to rounding)
MIN_BIN_PAIRS = 5
MIN_BINS = 3
PLAUSIBLE_SLOPE = (0.95, 1.35)  # 1 / converter efficiency
PLAUSIBLE_INTERCEPT_KW = (-0.25, 0.8)
_MIN_KW = 0.3  # pairs below this are start-up / end transients
_FIT_MIN_KW = 1.0  # bins below this are dominated by rounding of the reported figures


@dataclass(frozen=True)
class InletFit:
    """The charger-power signal of one vehicle and charge type, compared with pack power."""

    kind: str  # scaled | metered | undetermined
    intercept_kw: float | None = None
    slope: float | None = None
    pairs: int = 0

    @property
    def scaled(self) -> bool:
        return self.kind == "scaled"


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
    slope, intercept = np.polyfit(bins["x"].to_numpy(), bins["y"].to_numpy(), 1, w=w)
    lo_s, hi_s = PLAUSIBLE_SLOPE
    lo_i, hi_i = PLAUSIBLE_INTERCEPT_KW
    if not (lo_s <= slope <= hi_s and lo_i <= intercept <= hi_i):  # not a charger's signal
        return InletFit("undetermined", float(intercept), float(slope), int(x.size))
    if abs(intercept) < SCALED_BELOW_KW:
        kind = "scaled"
    elif intercept > METERED_ABOVE_KW:
        kind = "metered"
    else:
        kind = "undetermined"
    return InletFit(kind, float(intercept), float(slope), int(x.size))


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
            "min_kw": _MIN_KW,
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
    """The vehicle's own fit where conclusive, else its model's pooled fit, per charge type."""
    out = {}
    for ctype, fit in own.items():
        if fit.kind != "undetermined":
            out[ctype] = fit
        else:
            out[ctype] = pooled.get((make or "", model or "", ctype), fit)
    return out
