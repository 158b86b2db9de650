"""Knee detection: accelerated fade that the smooth calendar + cycle model cannot follow.

Some packs switch to a faster, accelerating fade late in life (lithium plating, electrolyte
depletion; Attia et al., "Knees in lithium-ion battery aging trajectories", J. Electrochem.
Soc. 169 (2022) 060517). After the pooled fit, each vehicle's weekly residuals are scanned for
an onset ``t0`` after which they fall like ``-K (t - t0)^2`` (t in years): the least-squares K
per candidate onset, and the reduction in weighted squared error it buys. A knee is accepted
only when that reduction exceeds ``MIN_DELTA_CHI2`` (a conservative threshold: weekly SoH
errors are autocorrelated) and the knee already explains at least ``MIN_LOSS_PCT`` points.
The vehicle is then refitted with the extra term (flagged ``knee``). The forecast continues
the knee along its current slope (the tangent of the quadratic at the last day of data), not
the quadratic itself: an onset placed a few months late makes the quadratic's curvature, and
its extrapolation, several times too steep, whereas the slope is what the recent data measure.
The interval includes the knee coefficient's uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from analytics.forecast.pooling import PooledFit, PoolingInputs, fit_pooled

__all__ = [
    "MIN_DELTA_CHI2",
    "MIN_LOSS_PCT",
    "Knee",
    "detect_knee",
    "fit_knees",
    "knee_basis",
    "knee_forecast_basis",
    "refit_with_knee",
]

MIN_DELTA_CHI2 = 12.0
MIN_LOSS_PCT = 1.0
_STEP_DAYS = 14.0
_K_PRIOR_SD = 20.0  # points per year^2: effectively flat


@dataclass(frozen=True)
class Knee:
    onset_day: float  # days since the vehicle's first day of data
    coef: float  # SoH points per year^2 since onset
    coef_sd: float
    delta_chi2: float


def knee_basis(t_days: np.ndarray, onset_day: float) -> np.ndarray:
    """``(max(0, t - t0) / 365.25)^2``."""
    return (np.maximum(np.asarray(t_days, float) - onset_day, 0.0) / 365.25) ** 2


def knee_forecast_basis(last_day: float, days_ahead: np.ndarray, onset_day: float) -> np.ndarray:
    """Knee loss per unit K ahead of the last day: its value there plus its slope times time."""
    u_c = max(last_day - onset_day, 0.0) / 365.25
    return u_c**2 + 2.0 * u_c * np.asarray(days_ahead, float) / 365.25


def detect_knee(t_days: np.ndarray, resid: np.ndarray, weight: np.ndarray) -> Knee | None:
    """The best accelerating-fade onset in the residuals, or None when there is none."""
    if t_days.size < 12 or t_days[-1] - t_days[0] < 180:
        return None
    grid = np.arange(t_days[0] + 90.0, t_days[-1] - 42.0, _STEP_DAYS)
    if grid.size == 0:
        return None
    u = (np.maximum(t_days[None, :] - grid[:, None], 0.0) / 365.25) ** 2
    s = (weight[None, :] * u * u).sum(axis=1)
    k = -(weight[None, :] * resid[None, :] * u).sum(axis=1) / np.where(s > 0, s, np.inf)
    gain = k * k * s
    gain[k <= 0] = 0.0
    best = int(np.argmax(gain))
    if gain[best] < MIN_DELTA_CHI2 or k[best] * u[best, -1] < MIN_LOSS_PCT:
        return None
    return Knee(float(grid[best]), float(k[best]), float(1.0 / np.sqrt(s[best])), float(gain[best]))


def refit_with_knee(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    prior_mean: np.ndarray,
    prior_cov: np.ndarray,
    basis: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior of ``(SoH0, A, B, K)`` with the pooled prior on the first three."""
    X4 = np.column_stack([X, -basis])
    P = np.zeros((4, 4))
    P[:3, :3] = prior_cov
    P[3, 3] = _K_PRIOR_SD**2
    mu = np.append(prior_mean, 0.0)
    Pinv = np.linalg.inv(P)
    V = np.linalg.inv(Pinv + (X4.T * w) @ X4)
    m = V @ (Pinv @ mu + (X4.T * w) @ y)
    return m, V


def fit_knees(
    inp: PoolingInputs, pooled: PooledFit, days: np.ndarray
) -> tuple[dict[int, Knee], PoolingInputs, PooledFit]:
    """Detect knees, refit the fleet without them, and fit knee vehicles with the extra term."""
    w_all = 1.0 / (inp.var_meas + pooled.sigma_r**2)
    r_all = inp.y - np.einsum("nk,nk->n", inp.X, pooled.mean[inp.vehicle_index])
    found: dict[int, Knee] = {}
    for v in np.unique(inp.vehicle_index):
        sel = np.flatnonzero(inp.vehicle_index == v)
        k = detect_knee(days[sel], r_all[sel], w_all[sel])
        if k is not None:
            found[int(v)] = k
    if not found:
        return {}, inp, pooled
    y_adj = inp.y.copy()
    for v, k in found.items():
        sel = inp.vehicle_index == v
        y_adj[sel] += k.coef * knee_basis(days[sel], k.onset_day)
    inp_adj = replace(inp, y=y_adj)
    pooled = fit_pooled(inp_adj)
    out = {}
    for v, k in found.items():
        sel = inp.vehicle_index == v
        t = days[sel]
        w = 1.0 / (inp.var_meas[sel] + pooled.sigma_r**2)
        pinv = np.linalg.inv(pooled.prior_cov[v])
        best = None
        # the onset again, now with the ageing rates refitted for each candidate (profile fit)
        for onset in np.arange(t[0] + 90.0, t[-1] - 42.0, 14.0):
            m, V = refit_with_knee(
                inp.X[sel],
                inp.y[sel],
                w,
                pooled.prior_mean[v],
                pooled.prior_cov[v],
                knee_basis(t, onset),
            )
            r = inp.y[sel] - np.column_stack([inp.X[sel], -knee_basis(t, onset)]) @ m
            d = m[:3] - pooled.prior_mean[v]
            obj = float(np.sum(w * r * r) + d @ pinv @ d)
            if m[3] > 0 and (best is None or obj < best[0]):
                best = (obj, onset, m, V)
        if best is None:
            continue
        _, onset, m, V = best
        pooled.mean[v], pooled.cov[v] = m[:3], V[:3, :3]
        out[v] = Knee(float(onset), float(m[3]), float(np.sqrt(V[3, 3])), k.delta_chi2)
    return out, inp_adj, pooled
