"""Stress factors: published anchor values and monotone behaviour."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.forecast.models import SPECS, calendar_stress, cycle_stress, spec_for

CHEMS = ["NMC", "NCA", "LFP"]


def test_reference_point_is_one():
    for chem in CHEMS:
        spec = SPECS[chem]
        assert np.isclose(calendar_stress(spec, np.array(25.0), np.array(50.0)), 1.0)
        assert np.isclose(cycle_stress(spec, np.array(25.0), np.array(0.5), np.array(0.3)), 1.0)


def test_published_anchor_values():
    # Naumann 2018: k_SoC(100 %) / k_SoC(50 %) = (2.8575 * 0.125 + 0.60225) / 0.60225
    lfp = SPECS["LFP"]
    expect = (2.8575 * 0.125 + 0.60225) / 0.60225
    assert np.isclose(calendar_stress(lfp, np.array(25.0), np.array(100.0)), expect)
    # Schmalstieg 2014: exp(-6976/T) between 25 and 45 °C
    nmc = SPECS["NMC"]
    ratio = np.exp(-6976 / 318.15) / np.exp(-6976 / 298.15)
    got = calendar_stress(nmc, np.array(45.0), np.array(50.0))
    assert abs(got / ratio - 1) < 0.01


def test_unknown_chemistry_gets_generic_spec():
    assert spec_for("sodium-ion").chemistry == "UNKNOWN"
    assert spec_for(None).chemistry == "UNKNOWN"


@settings(max_examples=40, deadline=None)
@given(
    chem=st.sampled_from(CHEMS),
    temp=st.floats(-30, 60),
    dt=st.floats(0.1, 20),
    soc=st.floats(0, 100),
)
def test_calendar_stress_never_decreases_with_heat(chem, temp, dt, soc):
    spec = SPECS[chem]
    a = calendar_stress(spec, np.array(temp), np.array(soc))
    b = calendar_stress(spec, np.array(temp + dt), np.array(soc))
    assert b >= a


@settings(max_examples=40, deadline=None)
@given(
    chem=st.sampled_from(CHEMS), temp=st.floats(-20, 55), soc=st.floats(0, 90), ds=st.floats(1, 10)
)
def test_calendar_stress_never_decreases_with_soc(chem, temp, soc, ds):
    spec = SPECS[chem]
    a = calendar_stress(spec, np.array(temp), np.array(soc))
    b = calendar_stress(spec, np.array(temp), np.array(soc + ds))
    assert b >= a - 1e-12


@settings(max_examples=40, deadline=None)
@given(
    chem=st.sampled_from(CHEMS), temp=st.floats(25, 55), dt=st.floats(0.1, 10), c=st.floats(0, 3)
)
def test_cycle_stress_grows_with_heat_above_reference_and_with_c_rate(chem, temp, dt, c):
    spec = SPECS[chem]
    base = cycle_stress(spec, np.array(temp), np.array(0.5), np.array(c))
    assert cycle_stress(spec, np.array(temp + dt), np.array(0.5), np.array(c)) >= base
    assert cycle_stress(spec, np.array(temp), np.array(0.5), np.array(c + 0.5)) >= base
