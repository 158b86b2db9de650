"""Semi-empirical calendar + cycle ageing per chemistry: the simulator's ground truth.

Each model is a published semi-empirical fit, implemented with the published parameters, so
that at constant conditions it reproduces the paper's closed form exactly; varying conditions
are integrated with the usual *equivalent time / throughput* rule (the loss so far is mapped
back to the time or throughput that would have produced it at today's rate, then advanced).

**NMC** - Schmalstieg, Käbitz, Ecker, Sauer, "A holistic aging model for Li(NiMnCo)O2 based
18650 lithium-ion batteries", J. Power Sources 257 (2014) 325-334 (Sanyo UR18650E, 2.15 Ah):

- calendar capacity ``1 - alpha_cap * t**0.75`` (t in days),
  ``alpha_cap = (7.543 V - 23.75) 1e6 exp(-6976 / T)``; resistance ``1 + alpha_res t**0.75``,
  ``alpha_res = (5.270 V - 16.32) 1e5 exp(-5986 / T)`` (V cell OCV in V, T in K);
- cycle capacity ``1 - beta_cap sqrt(Q)``, ``beta_cap = 7.348e-3 (V_avg - 3.667)**2 + 7.60e-4
  + 4.081e-3 DOD``; resistance ``1 + beta_res Q``, ``beta_res = 2.153e-4 (V_avg - 3.725)**2
  - 1.521e-5 + 2.798e-4 DOD`` (Q charge throughput in Ah of the 2.15 Ah cell, DOD fraction).

**LFP** - Naumann, Schimpe, Keil, Hesse, Jossen, "Analysis and modeling of calendar aging of a
commercial LiFePO4/graphite cell", J. Energy Storage 17 (2018) 153-169, and Naumann, Spingler,
Jossen, "Analysis and modeling of cycle aging of a commercial LiFePO4/graphite cell",
J. Power Sources 451 (2020) 227666 (Sony/Murata US26650FTC1, 3 Ah):

- calendar ``Q_loss = k_T k_SoC sqrt(t)`` (t in s), ``k_T = 1.2571e-5 exp(-17126/R (1/T -
  1/298.15))``, ``k_SoC = 2.8575 (SoC - 0.5)**3 + 0.60225``; resistance increase linear in t,
  ``k_T = 3.4194e-10 exp(-71827/R (1/T - 1/298.15))``, ``k_SoC = -3.3903 (SoC - 0.5)**3 +
  1.5604``;
- cycle ``Q_loss[%] = (0.0630 C + 0.0971) (4.0253 (DOD - 0.6)**3 + 1.0923) sqrt(FEC)``;
  resistance ``R_inc[%] = (-0.0020 C + 0.0021) (6.8477 (DOD - 0.5)**3 + 0.91882) FEC``.

**NCA** - calendar data of Keil, Schuster, Wilhelm, Travi, Hauser, Karl, Jossen, "Calendar
aging of lithium-ion batteries", J. Electrochem. Soc. 163 (2016) A1872, and cycle data of
Preger et al., "Degradation of commercial lithium-ion cells as a function of chemistry and
cycling conditions", J. Electrochem. Soc. 167 (2020) 120532 (Panasonic NCR18650B), in the
form identified by Gasper et al. (NREL BLAST-Lite, J. Electrochem. Soc. 169 (2022) 080518):

- calendar ``Q_loss = k_cal t**0.512`` (t in days), ``k_cal = 75.4 exp(-3340/T) exp(353 SoC/T)``;
- cycle ``Q_loss = k_cyc FEC**0.699``, ``k_cyc = (1.86e-6 + 4.74e-11 C + 1.77e-4 DOD) *
  (exp(3.34e-11/T) + exp(-2.81e-9/T))``;
- no resistance model is published with it: resistance growth is taken as 2.5 x the capacity
  loss (a common empirical ratio for NCA; stated as an assumption).

**EV-grade scaling.** These cells are small laboratory cells; automotive cells under a BMS
that limits the window age more slowly. Each chemistry's rates are multiplied by
``EV_SCALE`` (calendar, cycle), chosen so that a temperate commuter fleet loses about 2 % per
year, matching fleet studies (Geotab 2020/2024: 1.8-2.3 %/year; Recurrent 2023). The
published anchors are checked with the scale set to 1.

**Knee.** A minority of packs (``has_knee``) switch to accelerated fade once their loss passes
an onset; the added loss grows quadratically in (years + EFC/100) since onset, the shape
reported for lithium plating / electrolyte depletion knees (Attia et al., "Knees in
lithium-ion battery aging trajectories", J. Electrochem. Soc. 169 (2022) 060517).

**Extensions (documented assumptions, not in the cited fits).** Charging above 1C
(DC fast charging) multiplies cycle ageing of that throughput by ``1 + 0.5 (C - 1)``, and cycling
below 10 °C by up to 2x (lithium plating; Waldmann et al., J. Power Sources 262 (2014) 129).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "CAL_EXPONENT",
    "CYC_EXPONENT",
    "EV_SCALE",
    "calendar_coefficients",
    "calendar_rate",
    "cycle_rate",
    "power_law_step",
    "resistance_cycle_rate",
]

R_GAS = 8.3144
# (calendar scale, cycle scale) per chemistry; see module docstring
EV_SCALE: dict[str, tuple[float, float]] = {
    "NMC": (0.55, 0.45),
    "NCA": (0.5, 0.45),
    "LFP": (0.45, 0.5),
}
# exponents z of  loss = rate * x**z  (calendar over days, cycle over the throughput unit)
CAL_EXPONENT = {"NMC": 0.75, "NCA": 0.512, "LFP": 0.5}
CYC_EXPONENT = {"NMC": 0.5, "NCA": 0.699, "LFP": 0.5}


def calendar_rate(chemistry: str, temp_c: np.ndarray | float, soc_pct: np.ndarray | float):
    """Calendar capacity-loss coefficient (fraction per day**z) and resistance coefficient.

    Returns ``(q_rate, r_rate)``; for NMC and NCA ``q_rate * days**z`` is the loss, for LFP the
    coefficient is converted to days (``k * sqrt(86400)``). ``r_rate`` is per day**0.75 (NMC) or
    per day (LFP, linear); NCA returns NaN (resistance follows capacity).
    """
    t_k = np.asarray(temp_c, dtype=float) + 273.15
    soc = np.asarray(soc_pct, dtype=float)
    if chemistry == "NMC":
        from analytics.chemistry import ocv_v

        v = ocv_v("NMC", soc)
        q = np.maximum(7.543 * v - 23.75, 0.05) * 1e6 * np.exp(-6976.0 / t_k)
        r = np.maximum(5.270 * v - 16.32, 0.05) * 1e5 * np.exp(-5986.0 / t_k)
        return q, r
    if chemistry == "LFP":
        x = soc / 100.0 - 0.5
        kq = 1.2571e-5 * np.exp(-17126.0 / R_GAS * (1 / t_k - 1 / 298.15))
        kq = kq * (2.8575 * x**3 + 0.60225)
        kr = 3.4194e-10 * np.exp(-71827.0 / R_GAS * (1 / t_k - 1 / 298.15))
        kr = kr * (-3.3903 * x**3 + 1.5604)
        return kq * math.sqrt(86400.0), kr * 86400.0
    if chemistry == "NCA":
        q = 75.4 * np.exp(-3340.0 / t_k) * np.exp(353.0 * (soc / 100.0) / t_k)
        return q, np.full_like(q, np.nan)
    raise ValueError(chemistry)


def cycle_rate(chemistry: str, v_avg: float, dod: float, c_rate: float, temp_c: float) -> float:
    """Cycle capacity-loss coefficient: loss = rate * x**z with x = Ah of the 2.15 Ah
    reference cell (NMC) or equivalent full cycles (NCA, LFP); fractions of capacity."""
    t_k = temp_c + 273.15
    dod = min(max(dod, 0.0), 1.0)
    if chemistry == "NMC":
        return 7.348e-3 * (v_avg - 3.667) ** 2 + 7.60e-4 + 4.081e-3 * dod
    if chemistry == "LFP":
        return (0.0630 * c_rate + 0.0971) * (4.0253 * (dod - 0.6) ** 3 + 1.0923) / 100.0
    if chemistry == "NCA":
        arr = math.exp(3.34e-11 / t_k) + math.exp(-2.81e-9 / t_k)
        return (1.86e-6 + 4.74e-11 * c_rate + 1.77e-4 * dod) * arr
    raise ValueError(chemistry)


def resistance_cycle_rate(chemistry: str, v_avg: float, dod: float, c_rate: float) -> float:
    """Cycle resistance growth per unit throughput (fraction): NMC per reference-cell Ah,
    LFP per EFC; NCA returns 0 (resistance follows capacity)."""
    if chemistry == "NMC":
        return max(2.153e-4 * (v_avg - 3.725) ** 2 - 1.521e-5 + 2.798e-4 * dod, 0.0)
    if chemistry == "LFP":
        return max((-0.0020 * c_rate + 0.0021) * (6.8477 * (dod - 0.5) ** 3 + 0.91882), 0.0) / 100
    return 0.0


def power_law_step(loss: float, rate: float, dx: float, z: float) -> float:
    """Advance ``loss = rate * x**z`` by ``dx`` at the current ``rate`` (equivalent-x rule)."""
    if rate <= 0.0 or dx <= 0.0:
        return loss
    x_eq = (loss / rate) ** (1.0 / z) if loss > 0.0 else 0.0
    return rate * (x_eq + dx) ** z


def calendar_coefficients(chemistry: str, soc_pct: float) -> tuple[float, float, float, float]:
    """``(a_q, b_q, a_r, b_r)`` with rates ``a * exp(b / T_K)`` equal to :func:`calendar_rate`.

    All three calendar laws factor this way at fixed SoC, so a parking period's rate is one
    vectorised ``exp`` over its hourly temperatures.
    """
    if chemistry == "NMC":
        from analytics.chemistry import ocv_v

        v = float(ocv_v("NMC", soc_pct))
        return (
            max(7.543 * v - 23.75, 0.05) * 1e6,
            -6976.0,
            max(5.270 * v - 16.32, 0.05) * 1e5,
            -5986.0,
        )
    if chemistry == "LFP":
        x = soc_pct / 100.0 - 0.5
        aq = 1.2571e-5 * math.exp(17126.0 / R_GAS / 298.15) * (2.8575 * x**3 + 0.60225)
        ar = 3.4194e-10 * math.exp(71827.0 / R_GAS / 298.15) * (-3.3903 * x**3 + 1.5604)
        return aq * math.sqrt(86400.0), -17126.0 / R_GAS, ar * 86400.0, -71827.0 / R_GAS
    if chemistry == "NCA":
        return 75.4, -3340.0 + 353.0 * soc_pct / 100.0, 0.0, 0.0
    raise ValueError(chemistry)
