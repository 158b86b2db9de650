"""Managed charging never leaves a driver short and never plans outside the plug window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.charging.schedule import plan_sessions, time_above_h
from analytics.charging.simulate import simulate_managed_charging
from analytics.charging.slots import session_slots
from analytics.charging.tariff import Tariff

T0 = datetime(2024, 3, 4, tzinfo=UTC)


@st.composite
def sessions(draw):
    n = draw(st.integers(1, 12))
    rows = []
    for i in range(n):
        start_min = draw(st.integers(0, 72 * 60))
        dwell_min = draw(st.integers(5, 20 * 60))
        power_kw = draw(st.sampled_from([2.3, 3.7, 7.4, 11.0, 22.0, 50.0, 150.0]))
        fill = draw(st.floats(0.05, 1.0))
        pin = T0 + timedelta(minutes=start_min, seconds=draw(st.integers(0, 59)))
        pout = pin + timedelta(minutes=dwell_min)
        energy = power_kw * dwell_min / 60 * fill
        active_h = energy / power_kw
        delay = draw(st.floats(0.0, 1.0)) * (dwell_min / 60 - active_h)
        cs = pin + timedelta(hours=delay)
        soc_in = draw(st.floats(5, 60))
        rows.append(
            {
                "vehicle_id": f"V{i % 3}",
                "session_id": f"S{i}",
                "plug_in_ts": pin,
                "plug_out_ts": pout,
                "charge_start_ts": cs,
                "charge_end_ts": cs + timedelta(hours=active_h),
                "grid_energy_kwh": energy,
                "max_power_kw": power_kw,
                "soc_in_pct": soc_in,
                "soc_out_pct": min(100.0, soc_in + draw(st.floats(1, 60))),
            }
        )
    return pl.DataFrame(rows)


def _random_series(seed: int) -> Tariff:
    rng = np.random.default_rng(seed)
    hours = pl.datetime_range(
        T0 - timedelta(days=1), T0 + timedelta(days=6), "1h", eager=True, time_zone="UTC"
    )
    series = pl.DataFrame(
        {
            "hour_ts": hours,
            "price_per_kwh": rng.choice([0.1, 0.2, 0.3, 0.45], len(hours)),
            "carbon_g_per_kwh": rng.uniform(100, 600, len(hours)),
        }
    )
    return Tariff("random", "hourly", "EUR", None, None, series)


@settings(max_examples=40, deadline=None)
@given(cs=sessions(), seed=st.integers(0, 10_000))
def test_plan_meets_target_by_plug_out(cs, seed):
    tariff = _random_series(seed)
    slots = session_slots(cs)
    priced = slots.join(tariff.hourly(slots["hour_ts"].unique()), on="hour_ts", how="left")
    plan = plan_sessions(priced, "price_per_kwh")
    assert plan["managed"].all()
    # never more than the charger can deliver in a slot, never outside the plug window
    assert (plan["managed_kwh"] <= plan["cap_kwh"] + 1e-9).all()
    assert (plan["managed_kwh"] >= 0).all()
    assert (plan["slot_end"] <= plan["plug_out_ts"]).all()
    assert (plan["slot_start"] >= plan["plug_in_ts"]).all()
    per = (
        plan.group_by("session_id")
        .agg(pl.col("managed_kwh").sum())
        .join(cs.select("session_id", "grid_energy_kwh"), on="session_id")
    )
    assert per.height == cs.height
    # the target (the energy the driver really left with) is always reached
    assert (per["managed_kwh"] >= per["grid_energy_kwh"] * (1 - 1e-9) - 1e-9).all()
    # and the plan is no more expensive than charging as the car did
    cost = plan.select(
        (pl.col("managed_kwh") * pl.col("price_per_kwh")).sum().alias("m"),
        (pl.col("baseline_kwh") * pl.col("price_per_kwh")).sum().alias("b"),
    )
    assert cost["m"][0] <= cost["b"][0] + 1e-6
    result = simulate_managed_charging(cs, tariff)
    assert result.summary["sessions_ended_short"] == 0
    assert result.summary["sessions_managed"] == cs.height


def test_cheapest_hours_first_and_ties_go_late():
    cs = pl.DataFrame(
        {
            "vehicle_id": ["V"],
            "session_id": ["S"],
            "plug_in_ts": [T0],
            "plug_out_ts": [T0 + timedelta(hours=6)],
            "charge_start_ts": [T0],
            "charge_end_ts": [T0 + timedelta(hours=2)],
            "grid_energy_kwh": [20.0],
            "max_power_kw": [10.0],
        }
    )
    slots = session_slots(cs).with_columns(price_per_kwh=pl.Series([0.3, 0.1, 0.2, 0.2, 0.2, 0.3]))
    plan = plan_sessions(slots, "price_per_kwh")
    assert plan["managed_kwh"].to_list() == [0.0, 10.0, 0.0, 0.0, 10.0, 0.0]
    assert plan["baseline_kwh"].to_list() == [10.0, 10.0, 0.0, 0.0, 0.0, 0.0]


def test_session_without_prices_keeps_its_real_profile():
    cs = pl.DataFrame(
        {
            "vehicle_id": ["V"],
            "session_id": ["S"],
            "plug_in_ts": [T0],
            "plug_out_ts": [T0 + timedelta(hours=3)],
            "charge_start_ts": [T0],
            "charge_end_ts": [T0 + timedelta(hours=1)],
            "grid_energy_kwh": [7.0],
            "max_power_kw": [7.0],
        }
    )
    slots = session_slots(cs).with_columns(price_per_kwh=pl.Series([0.3, None, 0.1]))
    plan = plan_sessions(slots, "price_per_kwh")
    assert not plan["managed"].any()
    assert plan["managed_kwh"].to_list() == plan["baseline_kwh"].to_list()


def test_time_above_threshold_is_linear_within_a_slot():
    slots = pl.DataFrame(
        {
            "session_id": ["S", "S"],
            "hour_ts": [T0, T0 + timedelta(hours=1)],
            "plugged_h": [1.0, 1.0],
            "kwh": [10.0, 10.0],
            "grid_energy_kwh": [20.0, 20.0],
            "soc_in_pct": [60.0, 60.0],
            "soc_out_pct": [100.0, 100.0],
        }
    )
    # SoC 60 -> 80 in the first hour, 80 -> 100 in the second: above 90 for half of it
    assert time_above_h(slots, "kwh")["hours"][0] == 0.5


def test_fleet_plan_spreads_equal_price_hours_at_the_same_cost():
    from analytics.charging.schedule import plan_fleet

    n = 6
    cs = pl.DataFrame(
        {
            "vehicle_id": [f"V{i}" for i in range(n)],
            "session_id": [f"S{i}" for i in range(n)],
            "plug_in_ts": [T0] * n,
            "plug_out_ts": [T0 + timedelta(hours=6)] * n,
            "charge_start_ts": [T0] * n,
            "charge_end_ts": [T0 + timedelta(hours=1)] * n,
            "grid_energy_kwh": [7.0] * n,
            "max_power_kw": [7.0] * n,
        }
    )
    slots = session_slots(cs).with_columns(
        price_per_kwh=pl.when(pl.col("hour_ts") < T0 + timedelta(hours=2)).then(0.4).otherwise(0.1)
    )
    alone = plan_sessions(slots, "price_per_kwh")
    fleet = plan_fleet(slots, "price_per_kwh", rounds=3)
    cost = lambda p: (p["managed_kwh"] * p["price_per_kwh"]).sum()  # noqa: E731
    assert abs(cost(alone) - cost(fleet)) < 1e-9
    peak = lambda p: p.group_by("hour_ts").agg(pl.col("managed_kwh").sum())["managed_kwh"].max()  # noqa: E731
    assert peak(alone) == 42.0  # everyone in the last cheap hour
    assert peak(fleet) < peak(alone)
    per = fleet.group_by("session_id").agg(pl.col("managed_kwh").sum())
    assert (per["managed_kwh"] - 7.0).abs().max() < 1e-9


def test_fleet_cap_is_kept_when_possible_and_every_session_still_completes():
    from analytics.charging.schedule import plan_capped

    n = 5
    cs = pl.DataFrame(
        {
            "vehicle_id": [f"V{i}" for i in range(n)],
            "session_id": [f"S{i}" for i in range(n)],
            "plug_in_ts": [T0] * n,
            "plug_out_ts": [T0 + timedelta(hours=8)] * n,
            "charge_start_ts": [T0] * n,
            "charge_end_ts": [T0 + timedelta(hours=2)] * n,
            "grid_energy_kwh": [14.0] * n,
            "max_power_kw": [7.0] * n,
        }
    )
    slots = session_slots(cs).with_columns(
        price_per_kwh=pl.when(pl.col("hour_ts") < T0 + timedelta(hours=4)).then(0.4).otherwise(0.1)
    )
    free = plan_sessions(slots, "price_per_kwh")
    capped = plan_capped(slots, "price_per_kwh", max_fleet_kw=10.0)
    load = capped.group_by("hour_ts").agg(pl.col("managed_kwh").sum())["managed_kwh"]
    assert load.max() <= 10.0 + 1e-6  # 70 kWh over 8 h fits under 10 kW
    per = capped.group_by("session_id").agg(pl.col("managed_kwh").sum())
    assert (per["managed_kwh"] - 14.0).abs().max() < 1e-6
    assert (capped["managed_kwh"] <= capped["cap_kwh"] + 1e-9).all()
    cost = lambda p: float((p["managed_kwh"] * p["price_per_kwh"]).sum())  # noqa: E731
    assert cost(capped) >= cost(free) - 1e-9  # the cap can only cost money
    # 40 kWh fit in the four cheap hours under the cap, the other 30 kWh must go earlier
    assert cost(capped) == pytest.approx(40 * 0.1 + 30 * 0.4)

    tight = plan_capped(slots, "price_per_kwh", max_fleet_kw=5.0)  # 70 kWh > 8 h x 5 kW
    per = tight.group_by("session_id").agg(pl.col("managed_kwh").sum())
    assert (per["managed_kwh"] - 14.0).abs().max() < 1e-6  # nobody is left short
