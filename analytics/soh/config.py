"""Thresholds and error-model constants of the SoH estimators, with where they come from.

Every estimator reads its valid range from here so that the documentation (docs/soh.md), the
rejection reasons in ``soh_observations`` and the code agree. Values are physical or sensor
figures, not fitted to any data set.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["METHODS", "REFERENCE_TEMP_C", "SohConfig"]

REFERENCE_TEMP_C = 25.0  # capacity and energy SoH are stated at 25 °C, resistance growth too

METHODS: tuple[str, ...] = (
    "charge_counting",
    "ocv",
    "bms_soh",
    "bms_capacity",
    "bms_energy",
    "resistance",
)


@dataclass(frozen=True, slots=True)
class SohConfig:
    """Valid ranges and error-model constants (units in the names)."""

    # rest: the pack is at rest when |I| stays below max(rest_current_a, rest_c_rate * C)
    rest_current_a: float = 3.0
    rest_c_rate: float = 0.02
    rest_min_s: float = 1800.0  # relaxation before the voltage is an OCV (NMC/NCA ~30 min)
    rest_min_lfp_s: float = 3600.0  # LFP relaxes slower
    full_soc_pct: float = 99.5  # BMS recalibrates at the top of a full charge
    max_gap_s: float = 600.0  # longer holes break current integration unless quiet
    quiet_soc_change_pct: float = 3.0  # a hole with a larger BMS SoC jump is not a rest
    standby_draw_w: float = 10.0  # typical draw of a sleeping EV (12 V top-up, telematics)
    standby_draw_sigma_w: float = 10.0  # its spread between makes (about 0–30 W)
    bms_recal_rest_s: float = 7200.0  # a BMS recalibrates SoC from OCV after this long a rest
    pair_horizon_s: float = 4 * 86400.0  # anchors further apart are not paired
    pair_lookahead: int = 8  # anchors looked ahead for the largest SoC swing
    # charge counting
    min_delta_soc_pct: float = 20.0
    soc_sigma_rest_pct: float = 1.0  # BMS SoC after a rest recalibration (NMC/NCA)
    soc_sigma_rest_lfp_pct: float = 3.0  # flat OCV: BMS rest recalibration is weak mid-SoC
    soc_sigma_full_pct: float = 0.5  # at the top of a full charge
    current_gain_rel: float = 0.005  # current-sensor gain error (0.5 %)
    counter_resolution_ah: float = 0.1  # typical resolution of BMS lifetime Ah counters
    integration_rel: float = 0.02  # sampling error of integrating a 30-s current trace
    current_offset_a: float = 0.1  # current-sensor offset, over the pack's active time
    temp_min_c: float = 5.0  # outside this range the Ah capacity is not the 25 °C one
    temp_max_c: float = 45.0
    max_sigma_rel: float = 0.10  # an observation worse than 10 % (1 sigma) is rejected
    # OCV
    ocv_min_delta_soc_pct: float = 20.0
    ocv_sigma_v: float = 0.004  # relaxation residue + cell-to-curve deviation, per cell
    ocv_max_soc_sigma_pct: float = 3.0  # LFP plateau and the like are rejected
    ocv_excluded_chemistries: tuple[str, ...] = ("LFP",)
    # plausibility: a capacity outside this share of the reference is a failed measurement
    plausible_low: float = 0.5
    plausible_high: float = 1.3
    # resistance
    step_min_a: float = 40.0  # a current step at least this big
    step_min_c_rate: float = 0.3
    step_max_dt_s: float = 65.0  # both samples this close (exports sample drives at 30–60 s)
    resistance_activation_k: float = 3000.0  # Arrhenius Ea/R of series resistance (~25 kJ/mol)
    resistance_temp_min_c: float = 0.0
    resistance_soc_range_pct: tuple[float, float] = (20.0, 90.0)
