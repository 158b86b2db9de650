"""Electrical and thermal pack model: OCV, R0 + one RC pair depending on T and SoC, heat.

Cell-level curves come from :mod:`analytics.chemistry`; the true cells of each vehicle deviate
from the published curve by a small SoC stretch and voltage offset (``ocv_stretch``,
``ocv_offset_v``), as real cells do. Resistance follows an Arrhenius law in temperature
(activation energy about 25 kJ/mol, i.e. x2.5 at 0 °C against 25 °C) and rises at low SoC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analytics.chemistry import get_chemistry, ocv_table
from analytics.simulate.models import VehicleModel

__all__ = [
    "OcvLookup",
    "PackParams",
    "make_pack",
    "pack_ocv_v",
    "resistance_factor",
    "solve_current_a",
]

_R_GAS = 8.314
_EA_RESISTANCE_J_MOL = 25_000.0
_T_REF_K = 298.15


@dataclass(frozen=True)
class PackParams:
    """Per-vehicle pack parameters (new pack, 25 °C, 50 % SoC)."""

    chemistry: str
    cells_series: int
    r0_ohm: float
    r1_ohm: float
    tau1_s: float
    heat_capacity_j_k: float
    ua_park_w_k: float
    ua_drive_w_k: float
    ocv_stretch: float
    ocv_offset_v: float
    cell_imbalance_mv: float


def make_pack(model: VehicleModel, rng: np.random.Generator) -> PackParams:
    """Pack parameters for one vehicle of ``model`` with manufacturing spread."""
    chem = get_chemistry(model.chemistry)
    ref_ah = chem.typical_cell_capacity_ah
    r_cell = chem.r0_cell_mohm_25c * 1e-3 * ref_ah / model.cell_capacity_ah
    r0 = 1.3 * r_cell * model.cells_series / model.cells_parallel
    r0 *= float(rng.normal(1.0, 0.05))
    return PackParams(
        chemistry=chem.name,
        cells_series=model.cells_series,
        r0_ohm=r0,
        r1_ohm=0.4 * r0,
        tau1_s=float(rng.uniform(30.0, 60.0)),
        heat_capacity_j_k=model.pack_mass_kg * 1000.0,
        ua_park_w_k=float(rng.uniform(10.0, 14.0)),
        ua_drive_w_k=float(rng.uniform(25.0, 35.0)),
        ocv_stretch=float(rng.normal(1.0, 0.006)),
        ocv_offset_v=float(rng.normal(0.0, 0.002)),
        cell_imbalance_mv=float(rng.uniform(4.0, 15.0)),
    )


def pack_ocv_v(pack: PackParams, soc_pct: np.ndarray | float, branch: str = "mean") -> np.ndarray:
    """True pack open-circuit voltage at true ``soc_pct`` on the given hysteresis branch."""
    grid, volts, _ = ocv_table(pack.chemistry, branch)
    soc = np.clip(50.0 + (np.asarray(soc_pct, dtype=float) - 50.0) * pack.ocv_stretch, 0, 100)
    return pack.cells_series * (np.interp(soc, grid, volts) + pack.ocv_offset_v)


def resistance_factor(temp_c: np.ndarray | float, soc_pct: np.ndarray | float) -> np.ndarray:
    """Multiplier on the 25 °C / 50 % resistance for temperature and SoC."""
    t_k = np.asarray(temp_c, dtype=float) + 273.15
    arr = np.exp(_EA_RESISTANCE_J_MOL / _R_GAS * (1.0 / t_k - 1.0 / _T_REF_K))
    soc = np.asarray(soc_pct, dtype=float)
    return arr * (1.0 + 0.8 * np.exp(-soc / 7.0) + 0.05 * np.clip(soc - 90.0, 0, None) / 10.0)


def resistance_factor_scalar(temp_c: float, soc_pct: float) -> float:
    """Scalar form of :func:`resistance_factor` for the event loop."""
    t_k = temp_c + 273.15
    arr = math.exp(_EA_RESISTANCE_J_MOL / _R_GAS * (1.0 / t_k - 1.0 / _T_REF_K))
    soc = max(soc_pct, 0.0)  # SoC cannot go below empty; guards the exponential
    return arr * (1.0 + 0.8 * math.exp(-soc / 7.0) + 0.05 * max(soc - 90.0, 0.0) / 10.0)


def solve_current_a(power_w: np.ndarray, emf_v: np.ndarray, r_ohm: np.ndarray) -> np.ndarray:
    """Current that delivers terminal power ``power_w`` (positive = out) from EMF and resistance.

    Solves ``emf * I - r * I**2 = P`` for the physical root; power beyond the maximum
    (``emf**2 / 4r``) is capped there.
    """
    disc = np.maximum(emf_v * emf_v - 4.0 * r_ohm * power_w, 0.0)
    return 2.0 * power_w / (emf_v + np.sqrt(disc))


class OcvLookup:
    """Fast scalar pack OCV (0.1 % SoC table per branch) for the event loop."""

    def __init__(self, pack: PackParams) -> None:
        grid = np.linspace(0.0, 100.0, 1001)
        self._tab = {b: pack_ocv_v(pack, grid, b).tolist() for b in ("mean", "charge", "discharge")}

    def __call__(self, soc_pct: float, branch: str = "mean") -> float:
        tab = self._tab[branch]
        x = min(max(soc_pct, 0.0), 100.0) * 10.0
        i = min(int(x), 999)
        f = x - i
        return tab[i] + (tab[i + 1] - tab[i]) * f
