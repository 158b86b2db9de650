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

from dataclasses import dataclass

import numpy as np

__all__ = [
    "MIN_DELTA_CHI2",
    "MIN_LOSS_PCT",
    "Knee",
    "detect_knee",
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
