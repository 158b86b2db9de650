"""OCV curves: monotone, invertible, LFP hysteresis and plateau, error paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.chemistry import (
    BRANCHES,
    CHEMISTRIES,
    get_chemistry,
    ocv_slope_v_per_pct,
    ocv_v,
    soc_from_ocv,
)
from analytics.errors import ConfigError


@pytest.mark.parametrize("chem", sorted(CHEMISTRIES))
@pytest.mark.parametrize("branch", BRANCHES)
def test_curve_is_strictly_increasing_and_within_cell_limits(chem: str, branch: str) -> None:
    soc = np.linspace(0, 100, 2001)
    v = ocv_v(chem, soc, branch=branch)
    assert np.all(np.diff(v) > 0)
    p = CHEMISTRIES[chem]
    assert v[0] >= p.min_cell_voltage_v - 0.05
    assert v[-1] <= p.max_cell_voltage_v + 0.01
    assert np.all(ocv_slope_v_per_pct(chem, soc, branch=branch) > 0)


@settings(max_examples=60, deadline=None)
@given(
    chem=st.sampled_from(sorted(CHEMISTRIES)),
    branch=st.sampled_from(BRANCHES),
    soc=st.floats(0.5, 99.5),
)
def test_inverse_round_trip(chem: str, branch: str, soc: float) -> None:
    back = soc_from_ocv(chem, ocv_v(chem, soc, branch=branch), branch=branch)
    assert back == pytest.approx(soc, abs=0.05)


def test_outside_the_curve_is_nan() -> None:
    out = soc_from_ocv("NMC", [2.0, 3.7, 4.5, np.nan])
    assert np.isnan(out[0]) and np.isnan(out[2]) and np.isnan(out[3])
    assert 30 < out[1] < 50


def test_lfp_has_flat_plateau_and_real_hysteresis() -> None:
    mid = np.linspace(30, 90, 61)
    lfp_slope = ocv_slope_v_per_pct("LFP", mid)
    nmc_slope = ocv_slope_v_per_pct("NMC", mid)
    assert np.median(lfp_slope) < 0.001  # < 1 mV per % SoC on the plateaus
    assert lfp_slope.max() < 0.0035  # even at the step between the two plateaus
    assert nmc_slope.min() > 3 * lfp_slope.mean()
    gap_lfp = ocv_v("LFP", mid, branch="charge") - ocv_v("LFP", mid, branch="discharge")
    gap_nmc = ocv_v("NMC", mid, branch="charge") - ocv_v("NMC", mid, branch="discharge")
    assert gap_lfp.min() > 0.012  # ~20 mV on the plateau
    assert gap_lfp.mean() > 2 * gap_nmc.mean()
    # 1 mV of voltage error on the LFP plateau is worth more than 1 % of SoC
    assert (0.001 / lfp_slope).mean() > 1.0


def test_mean_branch_is_between_charge_and_discharge() -> None:
    soc = np.linspace(0, 100, 101)
    for chem in CHEMISTRIES:
        lo = ocv_v(chem, soc, branch="discharge")
        hi = ocv_v(chem, soc, branch="charge")
        mean = ocv_v(chem, soc)
        assert np.all(lo <= mean + 1e-12) and np.all(mean <= hi + 1e-12)


def test_case_insensitive_and_errors() -> None:
    assert get_chemistry("lfp").name == "LFP"
    with pytest.raises(ConfigError, match="unknown chemistry"):
        ocv_v("LMO", 50)
    with pytest.raises(ConfigError, match="unknown OCV branch"):
        ocv_v("NMC", 50, branch="up")
