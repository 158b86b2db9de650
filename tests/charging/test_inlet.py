"""What a car's charger-power signal measures: metered at the inlet (it contains a fixed
on-board load) or pack power scaled by a constant (it does not), and what the charging
stage does with each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.charging.build import VehicleInputs, build_charging_sessions
from analytics.charging.inlet import (
    FIXED_LOAD_KW,
    FIXED_LOAD_RANGE_KW,
    InletFit,
    _fit,
    classify_inlet,
    pick_inlet,
    scaled_probability,
)
from analytics.charging.timeutil import UTC_US

T = datetime(2024, 1, 1, tzinfo=UTC)


@settings(max_examples=80, deadline=None)
@given(
    st.floats(0.85, 0.97),  # converter efficiency
    st.floats(0.2, 0.6),  # fixed load of a metered signal, kW
    st.floats(1.4, 22.0),  # charger power, kW
    st.integers(0, 2**31),
)
def test_metered_and_scaled_signals_are_told_apart(eff, fixed, kw, seed):
    """Never the wrong answer; decisive once the charge tapers over a range of powers."""
    rng = np.random.default_rng(seed)
    # a CC phase at the charger's power, then a CV taper down to a few hundred watts
    pack = np.concatenate([np.full(600, kw * eff), np.linspace(kw * eff, 0.4, 400)])
    noise = rng.normal(0, 0.02, pack.size)
    scaled = _fit(pack, np.round(pack / eff + noise, 1))  # reported to 0.1 kW
    metered = _fit(pack, np.round((pack + fixed) / eff + noise, 1))
    assert scaled.kind in ("scaled", "undetermined")
    assert metered.kind in ("metered", "undetermined")
    if kw >= 7.0:
        assert scaled.kind == "scaled"
        assert metered.kind == "metered"
        assert abs(metered.intercept_kw - fixed / eff) < 0.15


def test_one_power_level_is_undetermined_and_the_model_decides():
    pack = np.full(500, 6.5) + np.random.default_rng(1).normal(0, 0.05, 500)
    own = _fit(pack, pack / 0.9)
    assert own.kind == "undetermined"  # no spread: intercept and slope cannot be separated
    pooled = {("Make", "M", "AC"): InletFit("scaled", 0.0, 1.11, 900)}
    picked = pick_inlet({"AC": own, "DC": InletFit("undetermined")}, pooled, "Make", "M")
    assert picked["AC"].scaled and picked["DC"].kind == "undetermined"
    conclusive = InletFit("metered", 0.3, 1.1, 400)
    # the model's conclusive fit wins; a vehicle's own stands in where the model has none
    assert pick_inlet({"AC": conclusive}, pooled, "Make", "M")["AC"].scaled
    assert pick_inlet({"AC": conclusive}, pooled, "Other", "X")["AC"] is conclusive


def _samples(charger_of_pack) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A 2-hour AC charge at 7 kW pack power, then a 2-hour taper, sampled every minute."""
    minutes = np.arange(0, 240)
    pack_kw = np.where(minutes < 120, 7.0, 7.0 - 6.5 * (minutes - 120) / 119)
    ts = [T + timedelta(minutes=int(m)) for m in minutes]
    rows = []
    for sig, val in (
        ("pack_power_w", -pack_kw * 1000.0),
        ("charger_power_kw", charger_of_pack(pack_kw)),
        ("is_charging", np.ones_like(pack_kw)),
    ):
        rows.append(pl.DataFrame({"session_id": "s0", "ts": ts, "signal": sig, "value": val}))
    samples = pl.concat(rows).with_columns(pl.col("ts").cast(UTC_US))
    charges = pl.DataFrame(
        {
            "vehicle_id": ["v"],
            "session_id": ["s0"],
            "kind": ["charge"],
            "start_ts": [T],
            "end_ts": [T + timedelta(minutes=239)],
            "energy_in_kwh": [float(np.trapezoid(pack_kw, dx=1 / 60))],
            "soc_start_pct": [30.0],
            "soc_end_pct": [70.0],
            "charge_type": ["AC"],
        }
    )
    return samples, charges


def _build(samples, charges):
    cable = pl.DataFrame(schema={"ts": UTC_US, "value": pl.Float64})
    drives = pl.DataFrame(schema={"start_ts": UTC_US, "end_ts": UTC_US})
    return build_charging_sessions(VehicleInputs("v", charges, cable, drives, samples)).row(
        0, named=True
    )


def test_scaled_signal_gets_the_fixed_load_with_its_uncertainty():
    samples, charges = _samples(lambda p: p / 0.9)
    fits = classify_inlet(samples, charges.select("session_id", "charge_type"))
    assert fits["AC"].scaled
    row = _build(samples, charges)
    hours = row["charging_duration_s"] / 3600
    signal = float(
        np.trapezoid(samples.filter(pl.col("signal") == "charger_power_kw")["value"], dx=1 / 60)
    )
    assert row["grid_energy_method"] == "charger_power+fixed_load"
    assert abs(row["grid_energy_kwh"] - (signal + FIXED_LOAD_KW * hours)) < 0.05
    lo, hi = FIXED_LOAD_RANGE_KW
    expected = np.hypot(0.02 * signal, (hi - lo) / 2 * hours)
    assert abs(row["grid_energy_unc_kwh"] - expected) < 0.01


def test_metered_signal_is_used_as_it_is():
    samples, charges = _samples(lambda p: (p + 0.3) / 0.92)
    assert (
        classify_inlet(samples, charges.select("session_id", "charge_type"))["AC"].kind == "metered"
    )
    row = _build(samples, charges)
    signal = float(
        np.trapezoid(samples.filter(pl.col("signal") == "charger_power_kw")["value"], dx=1 / 60)
    )
    assert row["grid_energy_method"] == "charger_power"
    assert abs(row["grid_energy_kwh"] - signal) < 0.05
    assert abs(row["grid_energy_unc_kwh"] - 0.02 * signal) < 0.01


def test_undetermined_signal_is_used_as_it_is_with_the_fixed_load_as_uncertainty():
    samples, charges = _samples(lambda p: p / 0.9)
    flat = samples.filter(pl.col("ts") < T + timedelta(minutes=120))  # no taper: one power
    charges = charges.with_columns(end_ts=pl.lit(T + timedelta(minutes=119)).cast(UTC_US))
    assert classify_inlet(flat, charges.select("session_id", "charge_type"))["AC"].kind == (
        "undetermined"
    )
    row = _build(flat, charges)
    hours = row["charging_duration_s"] / 3600
    assert row["grid_energy_method"] == "charger_power"
    assert row["grid_energy_unc_kwh"] >= FIXED_LOAD_KW * hours


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(-0.2, 0.7),
    step=st.floats(0.01, 0.3),
    se=st.floats(0.02, 0.5),
    slope=st.floats(1.0, 1.3),
)
def test_scaled_probability_falls_as_the_intercept_grows(a, step, se, slope):
    def p(x):
        return scaled_probability(InletFit("undetermined", x, slope, 500, se))

    assert 0.0 <= p(a + step) <= p(a) <= 1.0


def test_scaled_probability_follows_the_evidence():
    sharp = 0.05
    assert scaled_probability(InletFit("undetermined", 0.0, 1.1, 500, sharp)) > 0.95
    assert scaled_probability(InletFit("undetermined", 0.33, 1.1, 500, sharp)) < 0.05
    vague = scaled_probability(InletFit("undetermined", 0.09, 1.1, 500, 0.15))
    assert 0.4 < vague < 0.9  # the estimate lies between the two explanations
    assert scaled_probability(InletFit("scaled", 0.01, 1.1, 500, 0.02)) == 1.0
    assert scaled_probability(InletFit("metered", 0.3, 1.1, 500, 0.02)) == 0.0
    assert scaled_probability(InletFit("undetermined")) == 0.0  # nothing to weigh


def test_undecided_model_and_vehicle_fits_the_sharper_one_weighs():
    own = {"AC": InletFit("undetermined", 0.1, 1.1, 80, 0.3), "DC": InletFit("undetermined")}
    pooled = {("Make", "M", "AC"): InletFit("undetermined", 0.05, 1.1, 900, 0.1)}
    assert pick_inlet(own, pooled, "Make", "M")["AC"].intercept_se_kw == 0.1
    pooled = {("Make", "M", "AC"): InletFit("undetermined")}
    assert pick_inlet(own, pooled, "Make", "M")["AC"].intercept_se_kw == 0.3


def test_sharp_estimate_between_the_explanations_is_a_number():
    for a in (-0.2, 0.12, 0.8):
        p = scaled_probability(InletFit("undetermined", a, 1.1, 5000, 0.005))
        assert 0.0 <= p <= 1.0
    assert scaled_probability(InletFit("undetermined", -0.2, 1.1, 5000, 0.005)) > 0.99
    assert scaled_probability(InletFit("undetermined", 0.8, 1.1, 5000, 0.005)) < 0.01


def test_undetermined_signal_with_an_estimate_gets_the_expected_fixed_load():
    rng = np.random.default_rng(3)  # noisy readings: the intercept has a real standard error
    samples, charges = _samples(lambda p: (p + 0.1) / 0.9 + rng.normal(0, 0.3, p.size))
    fit = classify_inlet(samples, charges.select("session_id", "charge_type"))["AC"]
    assert fit.kind == "undetermined" and fit.estimated
    p = scaled_probability(fit)
    assert 0.0 < p < 1.0
    row = _build(samples, charges)
    hours = row["charging_duration_s"] / 3600
    signal = float(
        np.trapezoid(samples.filter(pl.col("signal") == "charger_power_kw")["value"], dx=1 / 60)
    )
    assert row["grid_energy_method"] == "charger_power+expected_fixed_load"
    assert abs(row["grid_energy_kwh"] - (signal + p * FIXED_LOAD_KW * hours)) < 0.05
    lo, hi = FIXED_LOAD_RANGE_KW
    load_sd = np.sqrt(p * ((hi - lo) / 2) ** 2 + p * (1 - p) * FIXED_LOAD_KW**2)
    assert abs(row["grid_energy_unc_kwh"] - np.hypot(0.02 * signal, load_sd * hours)) < 0.01
