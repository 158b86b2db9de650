"""Fusion of single observations into a daily series: a Kalman filter with an RTS smoother.

State per vehicle and day: ``[level, slope, b_1 … b_M]`` — the SoH (percent), its daily
drift, and one constant bias per biased method (OCV, BMS values). Level and slope follow a
local linear trend with small process noise, so the fused SoH cannot move several points in a
day whatever one observation says, and its interval grows with every day without data.
Methods named ``unbiased`` carry no bias term; every other method's bias has a prior (mean
and sd: physical systematics for charge counting and OCV, a fleet calibration for BMS
values), so the interval includes the possible offsets of the methods present.

BMS-reported values observe a lagged copy of the level (``z``, a first-order follower with a
45-day time constant): a BMS filters its capacity estimate slowly, so after a fast drop it
trails the truth for weeks; modelling the lag keeps it from dragging the fused level.

Each method's noise scale is re-estimated from its standardised residuals (robust: median of
squared residuals against the χ²₁ median; a narrowing below the stated error is accepted
only up to one standard error of that estimate, so a few residuals that happen to be small do
not shrink the interval), observations further than 4 sigma from the fused
value are marked outliers, and the smoother is run again (three rounds). A method whose bias
is estimated further than max(2 points, 2 sigma) from zero is reported as disagreeing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["FusionModel", "FusionResult", "fuse"]

_CHI2_1_MEDIAN = 0.4549


@dataclass(frozen=True, slots=True)
class FusionModel:
    """Process and prior settings (percent and percent per day)."""

    level_sd_per_day: float = 0.02
    slope_sd_per_day: float = 0.0003
    init_level_sd: float = 10.0
    init_slope: float = -0.005  # about -1.8 points a year, the published fleet average
    init_slope_sd: float = 0.01
    bias_prior_sd: dict[str, float] = field(default_factory=dict)
    bias_prior_mean: dict[str, float] = field(default_factory=dict)
    # bias terms shared by several methods (e.g. a current-sensor gain common to all
    # charge-balance methods): name -> methods that load on it; priors by name as above
    shared: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # methods that observe a lagged copy of the level (a BMS filters its estimate slowly):
    # z_t = z_{t-1} + (level_{t-1} - z_{t-1}) / lag_days
    lagged: tuple[str, ...] = ()
    lag_days: float = 45.0
    default_bias_sd: float = 3.0
    outlier_sigma: float = 4.0
    rounds: int = 3
    scale_bounds: tuple[float, float] = (0.5, 10.0)
    # a narrowing of a method's stated error (scale < 1) is accepted only up to this many
    # standard errors of the scale estimate (see _supported)
    narrowing_z: float = 1.0


@dataclass(frozen=True, slots=True)
class FusionResult:
    """Smoothed level and its sd per day, plus what the fusion learnt about each method."""

    level: np.ndarray
    level_sd: np.ndarray
    bias: dict[str, tuple[float, float]]
    scale: dict[str, float]
    outlier: np.ndarray  # per observation
    fitted: np.ndarray  # per observation, level + bias


def fuse(
    day: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    method: np.ndarray,
    n_days: int,
    *,
    unbiased: frozenset[str] = frozenset(),
    model: FusionModel | None = None,
) -> FusionResult:
    """Smooth observations ``y`` (±``sigma``) on integer ``day`` 0..n_days-1."""
    model = model or FusionModel()
    order = np.argsort(day, kind="stable")
    day, y, sigma, method = day[order], y[order], sigma[order], np.asarray(method)[order]
    present = {str(m) for m in method}
    biased = sorted(present - set(unbiased))
    biased += [g for g, ms in sorted(model.shared.items()) if present & set(ms)]
    lag = bool(present & set(model.lagged))
    first = 3 if lag else 2
    col = {m: first + i for i, m in enumerate(biased)}
    h = np.zeros((y.size, first + len(biased)))
    for o, m in enumerate(method):
        m = str(m)
        h[o, 2 if lag and m in model.lagged else 0] = 1.0
        if m in col:
            h[o, col[m]] = 1.0
        for g, ms in model.shared.items():
            if m in ms and g in col:
                h[o, col[g]] = 1.0
    scale = dict.fromkeys(present, 1.0)
    outlier = np.zeros(y.size, dtype=bool)
    adj = np.array([model.bias_prior_mean.get(str(m), 0.0) for m in method])
    init = float(np.median(y - adj)) if y.size else 100.0
    for _ in range(max(model.rounds, 1)):
        s = sigma * np.array([scale[str(m)] for m in method])
        xs, ps = _smooth(day, y, s, h, ~outlier, n_days, init, model, biased, lag)
        fitted = np.einsum("ij,ij->i", h, xs[day])
        resid = (y - fitted) / s
        for m in scale:
            sel = (method == m) & ~outlier
            if sel.sum() >= 5:
                factor = np.sqrt(np.median(resid[sel] ** 2) / _CHI2_1_MEDIAN)
                lo, hi = model.scale_bounds
                scale[m] = float(
                    np.clip(_supported(scale[m] * factor, int(sel.sum()), model), lo, hi)
                )
        s = sigma * np.array([scale[str(m)] for m in method])
        outlier = np.abs(y - fitted) / s > model.outlier_sigma
    s = sigma * np.array([scale[str(m)] for m in method])
    xs, ps = _smooth(day, y, s, h, ~outlier, n_days, init, model, biased, lag)
    fitted = np.einsum("ij,ij->i", h, xs[day])
    bias = {m: (float(xs[-1, c]), float(np.sqrt(ps[-1, c, c]))) for m, c in col.items()}
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return FusionResult(
        level=xs[:, 0],
        level_sd=np.sqrt(np.maximum(ps[:, 0, 0], 0.0)),
        bias=bias,
        scale=scale,
        outlier=outlier[back],
        fitted=fitted[back],
    )


def _supported(raw: float, n: int, model: FusionModel) -> float:
    """Noise scale from ``n`` residuals, narrowing the stated error only as far as supported.

    The median of ``n`` squared standardised residuals estimates the variance scale with a
    relative standard error of about 2.33/sqrt(n) (asymptotic variance of a sample median,
    χ²₁ density 0.471 at its median 0.455), i.e. 1.17/sqrt(n) on the log of the scale: from
    eight residuals a factor of 1.5 is chance. A wider scale is taken as estimated (the data
    show the error model is optimistic); a narrower one only up to its upper confidence bound
    (``narrowing_z`` standard errors), so a handful of observations that happen to agree
    cannot claim to be more precise than their error budget — with hundreds, the bound is
    the estimate.
    """
    if raw >= 1.0:
        return raw
    se = 1.17 / np.sqrt(max(n, 1))
    return float(min(1.0, raw * np.exp(model.narrowing_z * se)))


def _smooth(
    day: np.ndarray,
    y: np.ndarray,
    s: np.ndarray,
    hm: np.ndarray,
    use: np.ndarray,
    n_days: int,
    init: float,
    model: FusionModel,
    biased: list[str],
    lag: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Kalman filter over days, then Rauch-Tung-Striebel smoother; returns means and covs."""
    k = hm.shape[1]
    f = np.eye(k)
    f[0, 1] = 1.0
    q = np.zeros((k, k))
    q[0, 0] = model.level_sd_per_day**2
    q[1, 1] = model.slope_sd_per_day**2
    x = np.zeros(k)
    x[0], x[1] = init, model.init_slope
    p = np.zeros((k, k))
    p[0, 0] = model.init_level_sd**2
    p[1, 1] = model.init_slope_sd**2
    first = 2
    if lag:
        a = 1.0 / model.lag_days
        f[2, 2], f[2, 0] = 1.0 - a, a
        x[2] = init
        p[2, 2] = p[0, 2] = p[2, 0] = model.init_level_sd**2
        first = 3
    for i, m in enumerate(biased):
        p[first + i, first + i] = model.bias_prior_sd.get(m, model.default_bias_sd) ** 2
        x[first + i] = model.bias_prior_mean.get(m, 0.0)
    xp = np.zeros((n_days, k))
    pp = np.zeros((n_days, k, k))
    xf = np.zeros((n_days, k))
    pf = np.zeros((n_days, k, k))
    bounds = np.searchsorted(day, np.arange(n_days + 1))
    for d in range(n_days):
        if d:
            x = f @ x
            p = f @ p @ f.T + q
        xp[d], pp[d] = x, p
        for o in range(bounds[d], bounds[d + 1]):
            if not use[o]:
                continue
            h = hm[o]
            ph = p @ h
            innov_var = h @ ph + s[o] ** 2
            gain = ph / innov_var
            x = x + gain * (y[o] - h @ x)
            p = p - np.outer(gain, ph)
        xf[d], pf[d] = x, p
    xs = xf.copy()
    ps = pf.copy()
    for d in range(n_days - 2, -1, -1):
        c = pf[d] @ f.T @ np.linalg.inv(pp[d + 1])
        xs[d] = xf[d] + c @ (xs[d + 1] - xp[d + 1])
        ps[d] = pf[d] + c @ (ps[d + 1] - pp[d + 1]) @ c.T
    return xs, ps
