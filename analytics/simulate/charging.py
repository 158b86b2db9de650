"""AC (CC-CV through the on-board charger) and DC fast charging with taper and losses.

A charge is integrated on a SoC grid (``_STEPS`` steps between start and target): at each
step the charger / BMS power limit gives the current, the current gives time, heat and losses.
AC: constant power (charger and on-board charger limit, efficiency falling at low power),
then a CV phase whose current falls linearly to 5 % of the CC current at 100 %. DC: the model's
SoC taper curve times a temperature derating (cold or hot packs take less), with battery
heating before/while fast charging for models that precondition. The knots are returned for
the telemetry and 1 Hz rendering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analytics.simulate.models import VehicleModel
from analytics.simulate.pack import PackParams, pack_ocv_v, resistance_factor_scalar

__all__ = ["ChargeResult", "simulate_charge"]

_STEPS = 24
_CV_START = {"NMC": 92.0, "NCA": 91.0, "LFP": 97.0}


@dataclass
class ChargeResult:
    duration_s: float
    ah: float  # charge into the pack (positive)
    terminal_kwh: float  # energy at the pack terminals (positive into pack)
    chem_kwh: float  # energy stored (OCV x charge)
    loss_kwh: float  # ohmic losses in the pack
    aux_kwh: float  # battery heating / car electronics supplied by the charger
    grid_kwh: float  # energy drawn from the charger / grid meter
    temp_end_c: float
    knot_t_s: np.ndarray
    knot_soc: np.ndarray
    knot_current_a: np.ndarray
    knot_temp_c: np.ndarray
    peak_power_kw: float


def _dc_derate(temp_c: float) -> float:
    if temp_c < 25.0:
        return max(0.12, min(1.0, 0.12 + 0.88 * (temp_c - 0.0) / 25.0))
    if temp_c > 45.0:
        return max(0.3, 1.0 - (temp_c - 45.0) / 10.0)
    return 1.0


def simulate_charge(
    model: VehicleModel,
    pack: PackParams,
    capacity_ah: float,
    r_growth: float,
    soc0: float,
    soc_target: float,
    temp0_c: float,
    ambient_c: float,
    charger_kw: float,
    dc: bool,
) -> ChargeResult:
    """Integrate one charge from ``soc0`` to ``soc_target`` (true SoC %)."""
    grid = np.linspace(soc0, soc_target, _STEPS + 1)
    mid = 0.5 * (grid[1:] + grid[:-1])
    emf = pack_ocv_v(pack, mid, "charge")
    dsoc = (soc_target - soc0) / _STEPS
    dah = capacity_ah * dsoc / 100.0
    taper_s = np.array([k[0] for k in model.dc_taper])
    taper_f = np.array([k[1] for k in model.dc_taper])
    taper = np.interp(mid, taper_s, taper_f).tolist()
    emf = emf.tolist()
    mid = mid.tolist()
    cv_start = _CV_START[pack.chemistry]
    c = pack.heat_capacity_j_k
    temp = temp0_c
    aux_j = 0.0
    heater_w = 0.0
    if dc and model.precondition_dc and temp < 20.0:
        aux_j += c * (20.0 - temp) / 0.95  # preconditioning on the way / at the stall
        temp = 20.0
    elif not dc and temp < 0.0:
        heater_w = 2500.0
    ts = np.zeros(_STEPS + 1)
    cur = np.zeros(_STEPS + 1)
    temps = np.zeros(_STEPS + 1)
    temps[0] = temp
    loss_j = term_j = chem_j = 0.0
    peak_kw = 0.0
    if dc:
        ac_power_pack = 0.0
    else:
        ac_power_pack = charger_kw * 1000.0 * (0.94 - 0.25 / max(charger_kw, 1.0)) - 250.0
    for k in range(_STEPS):
        r = (pack.r0_ohm + pack.r1_ohm) * r_growth * resistance_factor_scalar(temp, mid[k])
        e = emf[k]
        if dc:
            p = charger_kw * 1000.0 * taper[k] * _dc_derate(temp)
            p = min(p, 1000.0 * model.dc_peak_kw)
        else:
            p = ac_power_pack - heater_w
        p = max(p, 500.0)
        i = (-e + math.sqrt(e * e + 4.0 * r * p)) / (2.0 * r)
        if mid[k] > cv_start:
            frac = (100.0 - mid[k]) / (100.0 - cv_start)
            i *= max(0.05, min(1.0, 0.05 + 0.95 * frac))
        i = min(i, 3.0 * capacity_ah)
        dt = dah * 3600.0 / i
        q_gen = i * i * r
        # lumped thermal step with active cooling held at 35 °C (fast charge: 38 °C)
        ua = pack.ua_drive_w_k if dc else pack.ua_park_w_k
        t_eq = ambient_c + (q_gen + heater_w * 0.95) / ua
        temp_new = t_eq + (temp - t_eq) * math.exp(-dt * ua / c)
        limit = 38.0 if dc else 35.0
        if temp_new > limit:
            aux_j += c * (temp_new - limit) / 2.5  # chiller energy at COP 2.5
            temp_new = limit
        if heater_w and temp_new > 10.0:
            heater_w = 0.0
        aux_j += heater_w * dt
        temp = temp_new
        loss_j += q_gen * dt
        chem_j += e * i * dt
        term_j += (e + i * r) * i * dt
        peak_kw = max(peak_kw, (e + i * r) * i / 1000.0)
        ts[k + 1] = ts[k] + dt
        cur[k + 1] = i
        temps[k + 1] = temp
    cur[0] = cur[1]
    duration = float(ts[-1])
    if dc:
        grid_j = (term_j + aux_j) / 0.985 + 300.0 * duration
    else:
        eff = 0.94 - 0.25 / max(charger_kw, 1.0)
        grid_j = (term_j + aux_j) / eff + 250.0 / eff * duration
    return ChargeResult(
        duration_s=duration,
        ah=capacity_ah * (soc_target - soc0) / 100.0,
        terminal_kwh=term_j / 3.6e6,
        chem_kwh=chem_j / 3.6e6,
        loss_kwh=loss_j / 3.6e6,
        aux_kwh=aux_j / 3.6e6,
        grid_kwh=grid_j / 3.6e6,
        temp_end_c=temp,
        knot_t_s=ts,
        knot_soc=grid,
        knot_current_a=-cur,
        knot_temp_c=temps,
        peak_power_kw=peak_kw,
    )
