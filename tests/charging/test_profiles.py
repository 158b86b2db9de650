"""Session types, quarter mixes and their stability on crafted sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from analytics.charging.profiles import (
    classify_sessions,
    mix_stability,
    name_archetype,
    quarter_mix,
)

T = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday


def _sessions(vid: str, days: range, kind: str) -> list[dict]:
    rows = []
    for d in days:
        day = T + timedelta(days=d)
        if kind == "home":
            pin, hours, ctype, loc = day + timedelta(hours=19), 11.0, "AC", "home"
        else:
            pin, hours, ctype, loc = day + timedelta(hours=12), 0.6, "DC", "public"
        rows.append(
            {
                "vehicle_id": vid,
                "session_id": f"{vid}/{d}",
                "plug_in_ts": pin,
                "plug_out_ts": pin + timedelta(hours=hours),
                "plugged_duration_s": hours * 3600,
                "charge_type": ctype,
                "location": loc,
                "soc_in_pct": 40.0,
                "soc_out_pct": 80.0,
                "grid_energy_kwh": 25.0,
                "utc_offset_h": 0.0,
            }
        )
    return rows


def test_a_habit_change_shows_as_divergence_and_a_steady_one_does_not():
    steady = _sessions("steady", range(0, 182, 2), "home")
    switch = _sessions("switch", range(0, 91, 2), "home") + _sessions(
        "switch", range(91, 182, 2), "dc"
    )
    cs = classify_sessions(pl.DataFrame(steady + switch))
    assert set(cs.filter(pl.col("vehicle_id") == "steady")["session_type"]) == {"overnight_home"}
    mix = quarter_mix(cs)
    q = mix.filter(pl.col("vehicle_id") == "switch").sort("period_start")
    assert q["session_type"].to_list() == ["overnight_home", "dc_fast"]
    stab = {r["vehicle_id"]: r for r in mix_stability(mix).iter_rows(named=True)}
    assert stab["steady"]["mean_quarter_divergence"] == pytest.approx(0.0, abs=1e-9)
    assert stab["steady"]["stability"] == pytest.approx(1.0)
    # disjoint mixes in consecutive quarters: Jensen-Shannon divergence (base 2) of 1
    assert stab["switch"]["max_quarter_divergence"] == pytest.approx(1.0, abs=1e-6)
    assert stab["switch"]["stability"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    ("shares", "full", "expected"),
    [
        ({"dc_fast": 0.6, "overnight_home": 0.4}, 0.0, "dc_fast_road_trip"),
        ({"overnight_home": 1.0}, 0.9, "always_full"),
        ({"public_ac": 0.5, "top_up": 0.2, "overnight_home": 0.3}, 0.0, "opportunistic_public"),
        ({"workplace": 0.7, "overnight_home": 0.3}, 0.0, "workplace"),
        ({"overnight_home": 0.8, "home_daytime": 0.2}, 0.1, "overnight_home"),
        ({"overnight_home": 0.3, "workplace": 0.3, "public_ac": 0.2, "dc_fast": 0.2}, 0.0, "mixed"),
    ],
)
def test_archetype_names_follow_the_documented_rules(shares, full, expected):
    row = {f"share_{t}": 0.0 for t in (
        "dc_fast", "top_up", "overnight_home", "home_daytime", "workplace", "public_ac")}  # fmt: skip
    row.update({f"share_{k}": v for k, v in shares.items()})
    row["full_charge_share"] = full
    assert name_archetype(row) == expected
