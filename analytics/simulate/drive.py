"""Trips from real WLTC / EPA speed traces with road-load physics, and HVAC / auxiliary load.

A trip is a sequence of *blocks* (cycle phases such as WLTC class 3b low or EPA highway),
each starting and ending at standstill. For every vehicle the 1 Hz pack-side traction power
of each block is computed once (mass, rolling resistance, aerodynamic drag, drivetrain and
regeneration efficiency); the event loop then only needs the power sums of a trip's blocks
(``BlockMoments``), and the 1 Hz rendering concatenates the stored arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analytics.simulate.models import VehicleModel
from analytics.simulate.reference import drive_cycles

__all__ = [
    "BLOCKS",
    "ROUTES",
    "BlockMoments",
    "VehicleDrive",
    "aux_power_w",
    "make_vehicle_drive",
]

BLOCKS: tuple[str, ...] = (
    "WLTC_3b_low",
    "WLTC_3b_middle",
    "WLTC_3b_high",
    "WLTC_3b_extrahigh",
    "EPA_city",
    "EPA_highway",
    "WLTC_2_low",
    "WLTC_2_middle",
)
# route type -> (block indices, probabilities)
ROUTES: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = {
    "urban": ((0, 1, 4, 6, 7), (0.3, 0.25, 0.2, 0.15, 0.1)),
    "suburban": ((0, 1, 2, 4), (0.2, 0.3, 0.35, 0.15)),
    "highway": ((1, 2, 3, 5), (0.1, 0.2, 0.35, 0.35)),
}

_G = 9.81
_AIR_DENSITY = 1.2


@dataclass(frozen=True)
class BlockMoments:
    """Per-block sums of pack-side traction power P (W, 1 s steps) and its low-pass P_lp."""

    n_s: np.ndarray
    distance_km: np.ndarray
    s1: np.ndarray  # sum P
    s2: np.ndarray  # sum P^2
    s3: np.ndarray  # sum P^3
    l1: np.ndarray  # sum P_lp
    x2: np.ndarray  # sum P * P_lp
    traction_pos_j: np.ndarray  # sum of positive P (energy drawn for traction)
    max_speed_kmh: np.ndarray


@dataclass(frozen=True)
class VehicleDrive:
    """Traction power per block for one vehicle plus the block sums."""

    speed_kmh: tuple[np.ndarray, ...]
    power_w: tuple[np.ndarray, ...]
    lowpass_w: tuple[np.ndarray, ...]
    moments: BlockMoments


def _traction_power_w(
    speed_kmh: np.ndarray,
    mass_kg: float,
    model: VehicleModel,
    crr: float,
    eta_drive: float,
    eta_regen: float,
    regen_max_w: float,
) -> np.ndarray:
    v = speed_kmh / 3.6
    acc = np.gradient(v)
    wheel = (
        mass_kg * 1.05 * acc * v
        + mass_kg * _G * crr * v
        + 0.5 * _AIR_DENSITY * model.drag_coeff * model.frontal_area_m2 * v**3
    )
    motor_cap = model.motor_power_kw * 1000.0
    wheel = np.minimum(wheel, motor_cap * eta_drive)
    drive = wheel / eta_drive + 350.0 * (v > 0.5)  # inverter/motor no-load loss while moving
    regen = np.maximum(wheel * eta_regen, -regen_max_w)
    return np.where(wheel >= 0, drive, regen)


def make_vehicle_drive(
    model: VehicleModel, rng: np.random.Generator, tau1_s: float
) -> VehicleDrive:
    """Precompute block traction power for one vehicle (driver style and payload vary)."""
    from scipy.signal import lfilter

    cycles = drive_cycles()
    speed_factor = float(rng.uniform(0.93, 1.07))
    mass = model.curb_mass_kg + float(rng.uniform(80.0, 220.0))
    crr = float(rng.uniform(0.008, 0.011))
    eta_drive = float(rng.uniform(0.86, 0.9))
    eta_regen = float(rng.uniform(0.6, 0.72))
    regen_max = 60_000.0 if model.motor_power_kw < 200 else 80_000.0
    a = math.exp(-1.0 / tau1_s)
    speeds, powers, lows = [], [], []
    cols: dict[str, list[float]] = {k: [] for k in BlockMoments.__dataclass_fields__}
    for name in BLOCKS:
        spd = np.asarray(cycles[name]) * speed_factor
        pw = _traction_power_w(spd, mass, model, crr, eta_drive, eta_regen, regen_max)
        lp = lfilter([1.0 - a], [1.0, -a], pw)
        speeds.append(spd)
        powers.append(pw)
        lows.append(lp)
        cols["n_s"].append(float(spd.size))
        cols["distance_km"].append(float(spd.sum() / 3600.0))
        cols["s1"].append(float(pw.sum()))
        cols["s2"].append(float((pw * pw).sum()))
        cols["s3"].append(float((pw**3).sum()))
        cols["l1"].append(float(lp.sum()))
        cols["x2"].append(float((pw * lp).sum()))
        cols["traction_pos_j"].append(float(pw[pw > 0].sum()))
        cols["max_speed_kmh"].append(float(spd.max()))
    moments = BlockMoments(**{k: np.array(v) for k, v in cols.items()})
    return VehicleDrive(tuple(speeds), tuple(powers), tuple(lows), moments)


def aux_power_w(ambient_c: float, heat_pump: bool, base_w: float) -> float:
    """Average HVAC + auxiliary power (W) while driving at ``ambient_c``.

    Heating below 16 °C (resistive heater COP 1, heat pump COP ~2.5 above -10 °C) and
    cooling above 24 °C (COP ~2); caps follow typical 5-7 kW heater ratings.
    """
    p = base_w
    if ambient_c < 16.0:
        heat = min(260.0 * (16.0 - ambient_c), 6500.0)
        if heat_pump and ambient_c > -10.0:
            heat /= 2.5 if ambient_c > 0 else 1.8
        p += heat
    elif ambient_c > 24.0:
        p += min(150.0 * (ambient_c - 24.0), 3000.0) + 300.0
    return p
