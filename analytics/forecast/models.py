"""Semi-empirical ageing model: calendar plus cycle capacity fade, in published forms.

Capacity SoH (points of nominal) of a vehicle at time t::

    SoH(t) = SoH0 - A * X_cal(t) - B * X_cyc(t)

    X_cal(t) = ( sum_days g_d^(1/z_cal) * dt_years )^z_cal          calendar, "virtual time"
    g_d      = mean over the day's hours of  k_T(T) * k_SoC(SoC)     stress relative to 25 °C / 50 %
    X_cyc(t) = ( sum_days h_d^(1/z_cyc) * EFC_d / 100 )^z_cyc        cycle, power law in throughput
    h_d      = k_Tcyc(T_cycle) * k_DoD(DoD) * (0.5 + 0.5 * k_C(C_charge))

Under constant stress this is ``A*g*t^z_cal + B*h*(EFC/100)^z_cyc``; with varying stress the
sums are the state-based ("virtual time / virtual throughput") superposition used by
Schmalstieg et al. (2014) and Naumann et al. (2018, 2020) so that a hot month ages the pack
more without resetting its history.

Sources of the stress-factor *shapes* (the scales A, B and SoH0 are fitted per vehicle):

- Temperature, calendar: Arrhenius ``exp(-Ea/R (1/T - 1/Tref))``; Ea = 17.1 kJ/mol for LFP
  (Naumann et al., J. Energy Storage 17, 2018), 58 kJ/mol for NMC from ``exp(-6976/T)``
  (Schmalstieg et al., J. Power Sources 257, 2014), 27.8 kJ/mol for NCA from ``exp(-3340/T)``
  (Keil et al., J. Electrochem. Soc. 163, 2016, as fitted by Gasper et al., J. Electrochem.
  Soc. 169, 2022).
- SoC, calendar: LFP ``2.8575 (SoC-0.5)^3 + 0.60225`` (Naumann 2018); NMC linear in
  open-circuit voltage ``7.543 V - 23.75`` (Schmalstieg 2014) through a typical NMC OCV curve;
  NCA ``exp(353 SoC / T)`` (Gasper 2022).
- Time exponents (defaults; the fleet may select others from ``fit.EXPONENT_GRID`` by marginal
  likelihood): calendar t^0.75 for NMC (Schmalstieg 2014), sqrt(t) for LFP (Naumann 2018; also
  Wang et al., J. Power Sources 269, 2014) and NCA (t^0.512, Gasper 2022); cycle sqrt(EFC) for
  LFP (Naumann et al., J. Power Sources 451, 2020) and NMC (Schmalstieg 2014 ``beta sqrt(Q)``),
  EFC^0.7 for NCA (Preger et al., J. Electrochem. Soc. 167, 2020, fitted by Gasper 2022);
  Wang et al. (J. Power Sources 196, 2011) fit Ah^0.55 for LFP.
- C-rate: Wang 2011 ``exp(370.3 C / (R T))`` and Naumann 2020 ``0.0630 C + 0.0971``.
- Depth of discharge: Naumann 2020 ``4.0253 (DoD-0.6)^3 + 1.0923`` (normalised at 50 %).
- Cycle temperature: Arrhenius above 25 °C, plus a lithium-plating term below 25 °C
  (Waldmann et al., J. Power Sources 262, 2014: minimum wear near 25 °C).

Valid range (where the cited cell tests were run): pack temperature -10..55 °C, up to about
3,000 EFC and 15 years of calendar time, SoH above 65 %. Beyond, the forecast is marked
``extrapolated`` and a warning is issued. A knee (accelerated fade late in life) is not part of
the model: its onset is covered only by the process-noise term of the prediction interval.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = [
    "GAS_CONSTANT",
    "MODEL_VERSION",
    "SPECS",
    "T_REF_C",
    "AgeingSpec",
    "ExtrapolationWarning",
    "calendar_stress",
    "cycle_stress",
    "spec_for",
]

GAS_CONSTANT = 8.314462618  # J / (mol K)
T_REF_C = 25.0
MODEL_VERSION = "semi_empirical_v1"


class ExtrapolationWarning(UserWarning):
    """A model was asked for a prediction outside the range its sources cover."""


@dataclass(frozen=True)
class AgeingSpec:
    """Stress-factor shapes and valid range of the ageing model for one chemistry."""

    chemistry: str
    ea_cal_j_per_mol: float
    soc_knots_pct: tuple[float, ...]
    soc_factor: tuple[float, ...]  # relative calendar rate at the knots (1.0 at 50 %)
    ea_cyc_j_per_mol: float
    plating_per_k: float  # cycle factor exp(k (25 - T)) - 1 added below 25 °C
    z_cal: float = 0.5
    z_cyc: float = 0.5
    valid_temp_c: tuple[float, float] = (-10.0, 55.0)
    valid_efc_max: float = 3000.0
    valid_age_years_max: float = 15.0
    valid_soh_min_pct: float = 65.0
    source: str = ""

    @property
    def name(self) -> str:
        return f"{MODEL_VERSION}_{self.chemistry.lower()}"


def _lfp_soc_factor() -> tuple[tuple[float, ...], tuple[float, ...]]:
    soc = np.linspace(0.0, 100.0, 11)
    k = 2.8575 * (soc / 100.0 - 0.5) ** 3 + 0.60225
    return tuple(soc), tuple(k / 0.60225)


def _nmc_soc_factor() -> tuple[tuple[float, ...], tuple[float, ...]]:
    # typical NMC/graphite cell OCV (V) at 0, 10, ..., 100 % SoC
    ocv = np.array([3.40, 3.52, 3.58, 3.63, 3.67, 3.72, 3.79, 3.87, 3.96, 4.06, 4.18])
    k = 7.543 * ocv - 23.75
    return tuple(np.linspace(0.0, 100.0, 11)), tuple(k / k[5])


_LFP_SOC = _lfp_soc_factor()
_NMC_SOC = _nmc_soc_factor()


def _nca_soc_factor() -> tuple[tuple[float, ...], tuple[float, ...]]:
    soc = np.linspace(0.0, 100.0, 11)
    k = np.exp(353.0 * (soc / 100.0 - 0.5) / 298.15)
    return tuple(soc), tuple(k)


_NCA_SOC = _nca_soc_factor()

SPECS: dict[str, AgeingSpec] = {
    "LFP": AgeingSpec(
        "LFP",
        17126.0,
        _LFP_SOC[0],
        _LFP_SOC[1],
        31700.0,
        0.03,
        z_cal=0.5,
        z_cyc=0.5,
        source="Naumann 2018 (calendar sqrt(t), Ea, SoC), Naumann 2020 (cycle sqrt(FEC), DoD, "
        "C-rate), Wang 2011 (cycle Ea)",
    ),
    "NMC": AgeingSpec(
        "NMC",
        58000.0,
        _NMC_SOC[0],
        _NMC_SOC[1],
        31700.0,
        0.03,
        z_cal=0.75,
        z_cyc=0.5,
        source="Schmalstieg 2014 (calendar t^0.75, Ea from exp(-6976/T), SoC via OCV; cycle "
        "sqrt(Q)), Wang 2011 (cycle Ea)",
    ),
    "NCA": AgeingSpec(
        "NCA",
        27770.0,
        _NCA_SOC[0],
        _NCA_SOC[1],
        31700.0,
        0.03,
        z_cal=0.5,
        z_cyc=0.7,
        source="Keil 2016 calendar data and Preger 2020 cycle data as fitted by Gasper 2022 "
        "(calendar t^0.512, Ea from exp(-3340/T), SoC exp(353 SoC/T); cycle FEC^0.699)",
    ),
}
SPECS["UNKNOWN"] = AgeingSpec(
    "UNKNOWN",
    40000.0,
    _NMC_SOC[0],
    _NMC_SOC[1],
    31700.0,
    0.03,
    source="generic lithium-ion: sqrt(t) calendar, sqrt(EFC) cycle, mid-range Ea",
)


def spec_for(chemistry: str | None) -> AgeingSpec:
    """The ageing spec of ``chemistry`` (NMC/NCA/LFP; anything else gets the generic one)."""
    return SPECS.get((chemistry or "UNKNOWN").upper(), SPECS["UNKNOWN"])


def _arrhenius(temp_c: np.ndarray, ea: float) -> np.ndarray:
    t_k = np.asarray(temp_c, dtype=float) + 273.15
    return np.exp(-ea / GAS_CONSTANT * (1.0 / t_k - 1.0 / (T_REF_C + 273.15)))


def calendar_stress(spec: AgeingSpec, temp_c: np.ndarray, soc_pct: np.ndarray) -> np.ndarray:
    """Relative calendar-fade rate k_T * k_SoC (1.0 at 25 °C and 50 % SoC)."""
    k_soc = np.interp(np.clip(soc_pct, 0.0, 100.0), spec.soc_knots_pct, spec.soc_factor)
    return _arrhenius(temp_c, spec.ea_cal_j_per_mol) * k_soc


def cycle_stress(
    spec: AgeingSpec,
    temp_c: np.ndarray,
    dod_frac: np.ndarray,
    c_rate: np.ndarray,
) -> np.ndarray:
    """Relative cycle-fade rate per EFC (1.0 at 25 °C, 50 % DoD, 0.3 C charging)."""
    temp_c = np.asarray(temp_c, dtype=float)
    k_t = _arrhenius(np.maximum(temp_c, T_REF_C), spec.ea_cyc_j_per_mol)
    k_t = k_t + np.expm1(spec.plating_per_k * np.maximum(T_REF_C - temp_c, 0.0))
    dod = np.clip(np.asarray(dod_frac, dtype=float), 0.05, 1.0)
    k_dod = (4.0253 * (dod - 0.6) ** 3 + 1.0923) / (4.0253 * (0.5 - 0.6) ** 3 + 1.0923)
    k_c = (0.0630 * np.clip(c_rate, 0.0, 4.0) + 0.0971) / (0.0630 * 0.3 + 0.0971)
    return k_t * k_dod * (0.5 + 0.5 * k_c)


def check_range(spec: AgeingSpec, *, age_years: float, efc: float, what: str) -> bool:
    """Warn (ExtrapolationWarning) when ``age_years``/``efc`` leave the valid range."""
    out = age_years > spec.valid_age_years_max or efc > spec.valid_efc_max
    if out:
        warnings.warn(
            f"{what}: {spec.name} asked for age {age_years:.1f} years / {efc:.0f} EFC, beyond its "
            f"valid range ({spec.valid_age_years_max:.0f} years, {spec.valid_efc_max:.0f} EFC); "
            "treat this part of the forecast as an extrapolation",
            ExtrapolationWarning,
            stacklevel=2,
        )
    return out
