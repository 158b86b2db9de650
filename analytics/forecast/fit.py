"""Fit the ageing model to a fleet: SoH observations + histories -> per-vehicle posteriors.

Steps: thin the daily ``soh`` series to weekly means (the fused series is autocorrelated; a
week is one observation), build the regressors of :mod:`analytics.forecast.models` for each
observation day, pick the stress exponents per chemistry by marginal likelihood among the
published values (kept at the literature default unless the data clearly prefer another),
fit the hierarchical model of :mod:`analytics.forecast.pooling`, and estimate the process
noise (random-walk drift not explained by the model, e.g. a knee) from the fleet's own
hold-out errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import polars as pl

from analytics.forecast.design import VehicleHistory
from analytics.forecast.knee import Knee, fit_knees
from analytics.forecast.models import AgeingSpec, spec_for
from analytics.forecast.pooling import PooledFit, PoolingInputs, fit_pooled

__all__ = [
    "DEFAULT_PROCESS_VAR",
    "EXPONENT_GRID",
    "FleetFit",
    "VehicleFit",
    "fit_fleet",
    "weekly_soh",
]

Z90 = 1.6448536269514722
EXPONENT_GRID = ((0.5, 0.5), (0.5, 0.7), (0.5, 1.0), (0.75, 0.5), (0.75, 1.0))
LL_MARGIN = 3.0  # log-likelihood gain needed to leave the literature default
DEFAULT_PROCESS_VAR = 0.3**2  # SoH points^2 per year when the fleet cannot tell
OUTLIER_MADS = 5.0  # a vehicle's hold-out drift this many robust SDs above the median: left out
MIN_SPAN_DAYS = 180  # less than this: the cohort curve, said so
REWEIGHT = True  # weights from each vehicle's own weekly scatter; interval -> level uncertainty


@dataclass
class VehicleFit:
    """Posterior of one vehicle's ageing parameters and what it rests on."""

    vehicle_id: str
    history: VehicleHistory
    spec: AgeingSpec
    cohort: str
    z_cal: float
    z_cyc: float
    mean: np.ndarray  # SoH0, A, B
    cov: np.ndarray
    data_weight: float
    n_obs: int
    span_days: int
    s_cal_end: float
    s_cyc_end: float
    last_soh_date: date | None
    last_soh_pct: float | None
    sigma_r: float
    process_var: float
    flags: list[str] = field(default_factory=list)
    knee: Knee | None = None
    level_var: float = 0.0  # persistent error variance of today's SoH level, added to forecasts

    @property
    def message(self) -> str:
        if self.knee is not None:
            onset = self.history.dates[0] + np.timedelta64(int(self.knee.onset_day), "D")
            return (
                f"accelerated fade (knee) since about {onset}: {self.knee.coef:.1f} points per "
                f"year^2 on top of the calendar + cycle model; the forecast continues it"
            )
        if "cohort_curve" in self.flags:
            return (
                f"only {self.span_days} days / {self.n_obs} weekly SoH values: forecast follows the "
                f"cohort {self.cohort} curve (data weight {self.data_weight:.2f}); interval is wide"
            )
        return f"fitted on {self.n_obs} weekly SoH values over {self.span_days} days"


@dataclass
class FleetFit:
    vehicles: dict[str, VehicleFit]
    exponents: dict[str, tuple[float, float]]
    pooled: PooledFit | None
    process_var: float
    process_source: str


def weekly_soh(soh: pl.DataFrame) -> pl.DataFrame:
    """Weekly mean SoH and measurement variance (from the 90 % interval) per vehicle."""
    sd = (pl.col("soh_high_pct") - pl.col("soh_low_pct")) / (2 * Z90)
    return (
        soh.drop_nulls("soh_pct")
        .with_columns(
            pl.col("date").cast(pl.Date), sd.fill_null(1.0).clip(lower_bound=0.1).alias("_sd")
        )
        .group_by("vehicle_id", pl.col("date").dt.truncate("1w").alias("week"))
        .agg(
            pl.col("date").max(),
            pl.col("soh_pct").mean(),
            (pl.col("_sd") ** 2).mean().alias("var_meas"),
        )
        .sort("vehicle_id", "date")
    )


def _inputs(hist, soh_w, exps, cohorts):
    rows_idx, X, y, var = [], [], [], []
    vids = list(hist)
    for i, vid in enumerate(vids):
        h = hist[vid]
        zc, zy = exps[h.chemistry]
        xc, xy, _, _ = h.cumulative(spec_for(h.chemistry), zc, zy)
        s = soh_w.get(vid)
        if s is None or s.height == 0:
            continue
        d = (s["date"].to_numpy().astype("datetime64[D]") - h.dates[0]).astype(int)
        ok = (d >= 0) & (d < h.n_days)
        d = d[ok]
        rows_idx.append(np.full(d.size, i))
        X.append(np.column_stack([np.ones(d.size), -xc[d], -xy[d]]))  # SoH = SoH0 - A xc - B xy
        y.append(s["soh_pct"].to_numpy()[ok])
        var.append(s["var_meas"].to_numpy()[ok])

    def cat(a, w):
        return np.concatenate(a) if a else np.zeros((0, w)) if w else np.zeros(0)

    return PoolingInputs(
        vehicle_index=np.concatenate(rows_idx).astype(int) if rows_idx else np.zeros(0, int),
        X=cat(X, 3),
        y=cat(y, 0),
        var_meas=cat(var, 0),
        cohort=np.array([cohorts.get(v, "all") for v in vids]),
        parent=np.array([hist[v].chemistry for v in vids]),
    )


def _select_exponents(hist, soh_w, cohorts) -> dict[str, tuple[float, float]]:
    chems = sorted({h.chemistry for h in hist.values()})
    out = {}
    for chem in chems:
        sub = {k: v for k, v in hist.items() if v.chemistry == chem}
        lls = {}
        for z in EXPONENT_GRID:
            inp = _inputs(sub, soh_w, {chem: z}, cohorts)
            lls[z] = fit_pooled(inp, iterations=12).log_likelihood if inp.y.size else 0.0
        best = max(lls, key=lambda z: lls[z])
        default = (spec_for(chem).z_cal, spec_for(chem).z_cyc)
        if default not in lls:
            inp = _inputs(sub, soh_w, {chem: default}, cohorts)
            lls[default] = fit_pooled(inp, iterations=12).log_likelihood if inp.y.size else 0.0
        out[chem] = best if lls[best] > lls[default] + LL_MARGIN else default
    return out


def _last_level_var(inp: PoolingInputs, n_veh: int) -> np.ndarray:
    """Per vehicle: the variance of its latest weekly observation (stated, or after reweighting
    the vehicle's own scatter)."""
    out = np.zeros(n_veh)
    if inp.y.size:
        last = np.r_[inp.vehicle_index[1:] != inp.vehicle_index[:-1], True]
        out[inp.vehicle_index[last]] = inp.var_meas[last]
    return out


def _scatter_var(inp: PoolingInputs, fit: PooledFit, n_veh: int) -> np.ndarray:
    """Per observation: its vehicle's weekly scatter around the fitted curve (feasible GLS).

    A fused SoH series' interval mostly describes a slowly varying error of its level; the
    information about the *shape* of the curve is limited by the week-to-week scatter instead.
    Vehicles with fewer than 8 weeks keep their stated variance.
    """
    r = inp.y - np.einsum("nk,nk->n", inp.X, fit.mean[inp.vehicle_index])
    n = np.bincount(inp.vehicle_index, minlength=n_veh)
    ss = np.bincount(inp.vehicle_index, r * r, minlength=n_veh)
    s2 = np.maximum(ss / np.maximum(n - 3, 1), 0.05**2)
    own = s2[inp.vehicle_index]
    return np.where(n[inp.vehicle_index] >= 8, np.minimum(own, inp.var_meas), inp.var_meas)


def _residual_autocorrelation(inp: PoolingInputs, fit: PooledFit) -> float:
    """Lag-1 autocorrelation of consecutive weekly residuals, pooled over the fleet (<= 0.9)."""
    r = inp.y - np.einsum("nk,nk->n", inp.X, fit.mean[inp.vehicle_index])
    same = inp.vehicle_index[1:] == inp.vehicle_index[:-1]
    if same.sum() < 10:
        return 0.0
    a, b = r[:-1][same], r[1:][same]
    den = float(np.sqrt(np.sum(a * a) * np.sum(b * b)))
    return float(np.clip(np.sum(a * b) / den, 0.0, 0.9)) if den > 0 else 0.0


def _process_var(
    inp: PoolingInputs, fit: PooledFit, days: np.ndarray, exclude: frozenset[int] = frozenset()
) -> tuple[float, str]:
    """Random-walk variance per year from hold-out errors of vehicles with >= 120 days.

    Robust to a few odd vehicles: those in ``exclude`` (knees, whose accelerated fade has its
    own term in their forecast) are left out, and so is any vehicle whose own estimate lies
    more than ``OUTLIER_MADS`` robust SDs above the fleet median (an undetected knee or a
    faulty SoH series would otherwise set every healthy vehicle's interval).
    """
    excess, horizon = [], []
    for v in np.unique(inp.vehicle_index):
        if int(v) in exclude:
            continue
        sel = np.flatnonzero(inp.vehicle_index == v)
        t = days[sel]
        if t.size < 12 or t[-1] - t[0] < 120:
            continue
        cut = t[-1] - min(180, (t[-1] - t[0]) / 3)
        a, b = sel[t <= cut], sel[t > cut]
        w = 1.0 / (inp.var_meas[a] + fit.sigma_r**2)
        Pinv = np.linalg.inv(fit.prior_cov[v])
        V = np.linalg.inv(Pinv + (inp.X[a].T * w) @ inp.X[a])
        m = V @ (Pinv @ fit.prior_mean[v] + (inp.X[a].T * w) @ inp.y[a])
        err = inp.y[b] - inp.X[b] @ m
        expv = np.einsum("nk,kl,nl->n", inp.X[b], V, inp.X[b]) + inp.var_meas[b] + fit.sigma_r**2
        excess.append(float(np.mean(err**2 - expv)))
        horizon.append(float(np.mean((days[b] - cut) / 365.25)))
    ex, hz = np.asarray(excess), np.asarray(horizon)
    if ex.size < 3 or hz.sum() <= 0:
        return DEFAULT_PROCESS_VAR, "default"
    q_i = ex / hz
    med = float(np.median(q_i))
    scale = max(1.4826 * float(np.median(np.abs(q_i - med))), DEFAULT_PROCESS_VAR)
    keep = q_i <= med + OUTLIER_MADS * scale
    n_out = int(np.sum(~keep))
    q = float(ex[keep].sum() / hz[keep].sum())
    src = f"hold-out of {int(keep.sum())} vehicles"
    dropped = [f"{len(exclude)} knee"] if exclude else []
    dropped += [f"{n_out} outlier"] if n_out else []
    if dropped:
        src += f" ({', '.join(dropped)} excluded)"
    # short hold-outs cannot certify less drift than the default
    return max(q, DEFAULT_PROCESS_VAR), src


def _slope_weight(
    h: VehicleHistory, spec: AgeingSpec, zc: float, zy: float, V: np.ndarray, P: np.ndarray
) -> float:
    """Share of the next year's expected loss that the vehicle's own data pin down:
    ``1 - var_posterior / var_prior`` of the loss over one more year at the average usage."""
    _, _, s_cal, s_cyc = h.cumulative(spec, zc, zy)
    if h.n_days < 2:
        return 0.0
    # average daily virtual increments over the data (pre-history excluded)
    xc0, xy0, _, _ = h.cumulative(spec, zc, zy)
    r_cal = (s_cal - xc0[0] ** (1 / zc)) / (h.n_days - 1)
    r_cyc = (s_cyc - xy0[0] ** (1 / zy)) / (h.n_days - 1)
    g = np.array(
        [
            0.0,
            (s_cal + 365.0 * r_cal) ** zc - s_cal**zc,
            (s_cyc + 365.0 * r_cyc) ** zy - s_cyc**zy,
        ]
    )
    prior = float(g @ P @ g)
    return float(np.clip(1.0 - (g @ V @ g) / prior, 0.0, 1.0)) if prior > 0 else 0.0


def fit_fleet(
    hist: dict[str, VehicleHistory],
    soh: pl.DataFrame,
    cohorts: dict[str, str],
    *,
    exponents: dict[str, tuple[float, float]] | None = None,
    select_exponents: bool = False,
    reweight: bool = REWEIGHT,
) -> FleetFit:
    """Fit every vehicle in ``hist`` with partial pooling; ``soh`` is the ``soh`` table.

    Exponents are the literature defaults of each chemistry (:mod:`analytics.forecast.models`)
    unless given, or unless ``select_exponents`` asks the fleet's marginal likelihood to choose
    from ``EXPONENT_GRID``. Selection is off by default: a few knee vehicles (accelerated fade)
    pull it toward exponents that then mis-forecast the healthy majority.
    """
    w = weekly_soh(soh.filter(pl.col("vehicle_id").is_in(list(hist)))) if soh.height else None
    soh_w = {k[0]: g for k, g in w.group_by("vehicle_id")} if w is not None else {}
    exps = exponents or (_select_exponents(hist, soh_w, cohorts) if select_exponents else {})
    exps = {
        c: exps.get(c, (spec_for(c).z_cal, spec_for(c).z_cyc))
        for c in {h.chemistry for h in hist.values()}
    }
    inp = _inputs(hist, soh_w, exps, cohorts)
    level_var = _last_level_var(inp, len(hist))
    pooled = fit_pooled(inp)
    if reweight and inp.y.size:
        inp = replace(inp, var_meas=_scatter_var(inp, pooled, len(hist)))
        pooled = fit_pooled(inp)
        # the persistent part of the level's error: stated variance less the transient scatter
        level_var = np.maximum(level_var - _last_level_var(inp, len(hist)), 0.0)
    rho = _residual_autocorrelation(inp, pooled)
    if rho > 0.05:  # weekly SoH errors are correlated: count them as fewer observations
        inflate = (1.0 + rho) / (1.0 - rho)
        inp = replace(inp, var_meas=inp.var_meas * inflate)
        pooled = fit_pooled(inp)
    vids = list(hist)
    days = np.zeros(inp.y.size)
    for i, vid in enumerate(vids):
        sel = inp.vehicle_index == i
        if sel.any():
            s = soh_w[vid]
            d = (s["date"].to_numpy().astype("datetime64[D]") - hist[vid].dates[0]).astype(int)
            days[sel] = d[(d >= 0) & (d < hist[vid].n_days)]
    knees, inp, pooled = fit_knees(inp, pooled, days)
    q, q_src = _process_var(inp, pooled, days, exclude=frozenset(knees))
    out = {}
    for i, vid in enumerate(vids):
        h = hist[vid]
        spec = spec_for(h.chemistry)
        zc, zy = exps[h.chemistry]
        _, _, s_cal, s_cyc = h.cumulative(spec, zc, zy)
        sel = np.flatnonzero(inp.vehicle_index == i)
        span = int(days[sel].max() - days[sel].min()) if sel.size else 0
        s = soh_w.get(vid)
        weight = _slope_weight(h, spec, zc, zy, pooled.cov[i], pooled.prior_cov[i])
        flags = []
        if span < MIN_SPAN_DAYS or weight < 0.3:
            flags.append("cohort_curve")
        if sel.size == 0:
            flags.append("no_soh")
        knee = knees.get(i)
        if knee is not None:
            flags.append("knee")
        out[vid] = VehicleFit(
            vehicle_id=vid,
            history=h,
            spec=spec,
            cohort=cohorts.get(vid, "all"),
            z_cal=zc,
            z_cyc=zy,
            mean=pooled.mean[i],
            cov=pooled.cov[i],
            data_weight=weight,
            n_obs=int(sel.size),
            span_days=span,
            s_cal_end=s_cal,
            s_cyc_end=s_cyc,
            last_soh_date=s["date"][-1] if s is not None and s.height else None,
            last_soh_pct=float(s["soh_pct"][-1]) if s is not None and s.height else None,
            level_var=float(level_var[i]) if reweight else 0.0,
            sigma_r=pooled.sigma_r,
            process_var=q,
            flags=flags,
            knee=knee,
        )
    return FleetFit(out, exps, pooled, q, q_src)
