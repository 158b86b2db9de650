"""Open-circuit-voltage curves per chemistry, read from ``data/ocv_curves.csv``.

The curves are interpolated with a monotone cubic (PCHIP) so each branch stays strictly
increasing and can be inverted; a fine table (0.02 % SoC steps) is built once per chemistry and
branch so that repeated calls on large arrays cost one ``np.interp``.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike

from analytics.chemistry.params import get_chemistry

__all__ = ["BRANCHES", "ocv_slope_v_per_pct", "ocv_table", "ocv_v", "soc_from_ocv"]

BRANCHES = ("mean", "charge", "discharge")
_GRID_STEP_PCT = 0.02


@lru_cache(maxsize=1)
def _raw_points() -> dict[str, dict[str, np.ndarray]]:
    text = resources.files("analytics.chemistry").joinpath("data", "ocv_curves.csv").read_text()
    rows = list(csv.DictReader(text.splitlines()))
    out: dict[str, dict[str, np.ndarray]] = {}
    for chem in sorted({r["chemistry"] for r in rows}):
        sel = [r for r in rows if r["chemistry"] == chem]
        soc = np.array([float(r["soc_pct"]) for r in sel])
        dis = np.array([float(r["ocv_discharge_v"]) for r in sel])
        chg = np.array([float(r["ocv_charge_v"]) for r in sel])
        out[chem] = {"soc": soc, "discharge": dis, "charge": chg, "mean": 0.5 * (dis + chg)}
    return out


def _check_branch(branch: str) -> None:
    from analytics.errors import ConfigError

    if branch not in BRANCHES:
        raise ConfigError(f"unknown OCV branch {branch!r}: use one of {', '.join(BRANCHES)}")


@lru_cache(maxsize=16)
def ocv_table(chemistry: str, branch: str = "mean") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fine table ``(soc_pct, ocv_v, slope_v_per_pct)`` of one chemistry's branch (read-only)."""
    from scipy.interpolate import PchipInterpolator

    _check_branch(branch)
    chem = get_chemistry(chemistry).name
    pts = _raw_points()[chem]
    interp = PchipInterpolator(pts["soc"], pts[branch])
    grid = np.arange(0.0, 100.0 + _GRID_STEP_PCT / 2, _GRID_STEP_PCT)
    volts = interp(grid)
    slope = interp.derivative()(grid)
    for arr in (grid, volts, slope):
        arr.setflags(write=False)
    return grid, volts, slope


def ocv_v(chemistry: str, soc_pct: ArrayLike, *, branch: str = "mean") -> np.ndarray:
    """Cell open-circuit voltage (V) at ``soc_pct`` (clipped to 0-100 %)."""
    grid, volts, _ = ocv_table(chemistry, branch)
    soc = np.clip(np.asarray(soc_pct, dtype=float), 0.0, 100.0)
    return np.interp(soc, grid, volts)


def soc_from_ocv(chemistry: str, ocv_v: ArrayLike, *, branch: str = "mean") -> np.ndarray:
    """State of charge (%) whose OCV is ``ocv_v``; NaN outside the curve's voltage range."""
    grid, volts, _ = ocv_table(chemistry, branch)
    v = np.asarray(ocv_v, dtype=float)
    soc = np.interp(v, volts, grid)
    return np.where((v < volts[0]) | (v > volts[-1]) | ~np.isfinite(v), np.nan, soc)


def ocv_slope_v_per_pct(chemistry: str, soc_pct: ArrayLike, *, branch: str = "mean") -> np.ndarray:
    """dOCV/dSoC in V per % SoC; small on the LFP plateau, i.e. large SoC error per mV."""
    grid, _, slope = ocv_table(chemistry, branch)
    soc = np.clip(np.asarray(soc_pct, dtype=float), 0.0, 100.0)
    return np.interp(soc, grid, slope)
