"""Partial pooling of per-vehicle ageing parameters: an empirical-Bayes hierarchical model.

Each vehicle's parameters ``beta_i = (SoH0, A, B)`` enter the SoH linearly once the stress
exponents are fixed, so with a Gaussian prior ``beta_i ~ N(mu_cohort, T)`` the posterior is
closed form (Bayesian linear regression). The hyper-parameters are estimated from the fleet
itself by expectation-maximisation (Laird & Ware 1982; Gelman et al., *Bayesian Data
Analysis*, ch. 5 on hierarchical normal models):

- ``mu`` per cohort, shrunk toward its chemistry and the fleet with pseudo-count ``KAPPA``
  (a cohort of two vehicles does not get a confident curve of its own),
- ``T`` the between-vehicle covariance (full: calendar and cycle rates trade off against
  each other when usage is steady), variances floored and correlations kept below 0.95,
- ``sigma_r`` the residual scatter of weekly SoH around the model beyond the stated
  measurement uncertainty.

Three months of data barely move ``A`` and ``B`` off the cohort's values (the posterior
variance stays near ``T``); three years of data dominate the prior. ``data_weight`` reports
this as ``1 - var_post / var_prior`` averaged over ``A`` and ``B``.
Everything is vectorised over vehicles through per-vehicle sufficient statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["KAPPA", "PooledFit", "PoolingInputs", "fit_pooled"]

KAPPA = 3.0  # pseudo-vehicles pulling a cohort mean toward its parent
_T_FLOOR = np.array([0.25**2, 0.05**2, 0.05**2])
_T_INIT = np.array([2.0**2, 2.0**2, 2.0**2])
_MU_INIT = np.array([100.0, 2.0, 1.0])


@dataclass
class PoolingInputs:
    """Stacked observations: vehicle index per row, design rows, SoH, measurement variance."""

    vehicle_index: np.ndarray  # (n,) int
    X: np.ndarray  # (n, 3): 1, X_cal, X_cyc
    y: np.ndarray  # (n,)
    var_meas: np.ndarray  # (n,)
    cohort: np.ndarray  # (V,) str, one per vehicle
    parent: np.ndarray  # (V,) str (chemistry), one per vehicle


@dataclass
class PooledFit:
    mean: np.ndarray  # (V, 3) posterior means
    cov: np.ndarray  # (V, 3, 3) posterior covariances
    prior_mean: np.ndarray  # (V, 3)
    prior_cov: np.ndarray  # (V, 3, 3)
    T: np.ndarray  # (3, 3) between-vehicle covariance
    sigma_r: float
    log_likelihood: float
    data_weight: np.ndarray  # (V,)
    cohort_mean: dict[str, np.ndarray] = field(default_factory=dict)


def _suff_stats(inp: PoolingInputs, n_veh: int, sigma_r2: float, mu_v: np.ndarray):
    w = 1.0 / (inp.var_meas + sigma_r2)
    xtwx = np.zeros((n_veh, 3, 3))
    np.add.at(xtwx, inp.vehicle_index, w[:, None, None] * inp.X[:, :, None] * inp.X[:, None, :])
    e = inp.y - np.einsum("nk,nk->n", inp.X, mu_v[inp.vehicle_index])
    b = np.zeros((n_veh, 3))
    np.add.at(b, inp.vehicle_index, (w * e)[:, None] * inp.X)
    ewe = np.bincount(inp.vehicle_index, w * e * e, minlength=n_veh)
    logw = np.bincount(inp.vehicle_index, np.log(w), minlength=n_veh)
    nobs = np.bincount(inp.vehicle_index, minlength=n_veh)
    return xtwx, b, ewe, logw, nobs


def _group_means(
    m: np.ndarray, keys: np.ndarray, parent_mean: np.ndarray, kappa: float
) -> np.ndarray:
    """Per-row mean of its group, shrunk toward ``parent_mean`` (per row) with ``kappa``."""
    out = np.empty_like(m)
    for k in np.unique(keys):
        sel = keys == k
        n = sel.sum()
        out[sel] = (m[sel].sum(axis=0) + kappa * parent_mean[sel][0]) / (n + kappa)
    return out


def fit_pooled(
    inp: PoolingInputs,
    *,
    iterations: int = 30,
    t_fixed: np.ndarray | None = None,
    mu_fixed: np.ndarray | None = None,
) -> PooledFit:
    """Empirical-Bayes fit; ``t_fixed``/``mu_fixed`` pin the prior (e.g. a fleet fitted before)."""
    n_veh = inp.cohort.size
    mu_f = _MU_INIT.copy() if mu_fixed is None else np.asarray(mu_fixed, float)
    T = np.diag(_T_INIT) if t_fixed is None else np.asarray(t_fixed, float)
    if T.ndim == 1:
        T = np.diag(T)
    prior_mean = np.tile(mu_f, (n_veh, 1))
    sigma_r2 = 0.3**2
    m = prior_mean.copy()
    V = np.tile(T, (n_veh, 1, 1))
    _, inv_idx, counts = np.unique(inp.cohort, return_inverse=True, return_counts=True)
    # prior = between-vehicle spread + uncertainty of the (shrunk) cohort mean
    factor = 1.0 + (1.0 / (counts[inv_idx] + KAPPA) if mu_fixed is None else np.zeros(n_veh))
    for _ in range(iterations):
        P = factor[:, None, None] * T[None]
        Pinv = np.linalg.inv(P)
        xtwx, b, _, _, _ = _suff_stats(inp, n_veh, sigma_r2, prior_mean)
        V = np.linalg.inv(Pinv + xtwx)
        m = prior_mean + np.einsum("vij,vj->vi", V, b)
        m, V = _nonnegative(m, V)
        if mu_fixed is None:
            fleet = m.mean(axis=0)
            chem = _group_means(m, inp.parent, np.tile(fleet, (n_veh, 1)), KAPPA)
            prior_mean = _group_means(m, inp.cohort, chem, KAPPA)
        if t_fixed is None:
            d = m - prior_mean
            T = np.einsum("vi,vj->ij", d, d) / n_veh + V.mean(axis=0)
            T = _floor(T)
        r = inp.y - np.einsum("nk,nk->n", inp.X, m[inp.vehicle_index])
        xv = np.einsum("nk,nkl,nl->n", inp.X, V[inp.vehicle_index], inp.X)
        sigma_r2 = float(max(np.mean(r * r + xv - inp.var_meas), 0.05**2)) if r.size else 0.3**2
    P = factor[:, None, None] * T[None]
    ll = _log_likelihood(inp, n_veh, sigma_r2, prior_mean, P)
    prior_var = np.einsum("vii->vi", P)[:, 1:]
    post_var = np.einsum("vii->vi", V)[:, 1:]
    weight = np.clip(1.0 - post_var / prior_var, 0.0, 1.0).mean(axis=1)
    cohorts = {str(c): prior_mean[inp.cohort == c][0] for c in np.unique(inp.cohort)}
    return PooledFit(
        m, V, prior_mean, np.array(P), T, float(np.sqrt(sigma_r2)), ll, weight, cohorts
    )


def _floor(T: np.ndarray) -> np.ndarray:
    """Symmetrise, keep correlations below 0.95 in magnitude, floor the variances."""
    T = 0.5 * (T + T.T)
    d = np.maximum(np.diag(T), _T_FLOOR)
    sd = np.sqrt(d)
    raw = np.sqrt(np.maximum(np.diag(T), 1e-12))
    corr = np.clip(T / np.outer(raw, raw), -0.95, 0.95)
    np.fill_diagonal(corr, 1.0)
    return corr * np.outer(sd, sd)


def _nonnegative(m: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Condition the Gaussian posterior on ``A = 0`` / ``B = 0`` where its mean is negative.

    Ageing rates cannot be negative (a pack does not heal). Where the unconstrained mean of a
    rate is below zero the posterior is replaced by its conditional given that rate = 0 (the
    active-set solution of the constrained problem), which moves the correlated parameters
    too; the rate keeps a small variance so forecasts stay honest about it.
    """
    m, V = m.copy(), V.copy()
    for _ in range(2):
        neg = m[:, 1:] < 0
        if not neg.any():
            break
        for v in np.flatnonzero(neg.any(axis=1)):  # only the few offending vehicles, 3 x 3
            k = 1 + int(np.argmin(m[v, 1:]))
            var_k = V[v, k, k]
            gain = V[v, :, k] / var_k
            m[v] = m[v] - gain * m[v, k]
            V[v] = V[v] - np.outer(gain, V[v, k, :])
            m[v, k] = 0.0
            V[v, k, k] = 0.05 * var_k
    return m, V


def _log_likelihood(
    inp: PoolingInputs, n_veh: int, sigma_r2: float, mu_v: np.ndarray, P: np.ndarray
) -> float:
    """Marginal log-likelihood of all SoH observations given the hyper-parameters."""
    xtwx, b, ewe, logw, nobs = _suff_stats(inp, n_veh, sigma_r2, mu_v)
    A = np.linalg.inv(P) + xtwx
    _, logdet_a = np.linalg.slogdet(A)
    _, logdet_p = np.linalg.slogdet(P)
    quad = ewe - np.einsum("vi,vi->v", b, np.linalg.solve(A, b[..., None])[..., 0])
    ll = -0.5 * (nobs * np.log(2 * np.pi) - logw + logdet_p + logdet_a + quad)
    return float(ll.sum())
