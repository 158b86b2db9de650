"""Usage and charging archetypes: who drives when, how far, and how they charge.

Usage archetypes: ``commuter`` (weekday home-work-home, weekend errands), ``ride_hail``
(high mileage, many trips a day), ``weekend`` (little in the week, long weekend trips),
``low_use`` (short trips a few times a week). Charging archetypes: ``home_ac_limit`` (overnight
home AC to a limit of 80-90 %, often on an off-peak timer), ``dc_fast_heavy`` (no home charger,
DC fast charging when low), ``public_opportunistic`` (public / workplace AC whenever parked
long enough, DC when low), ``always_100`` (home AC to 100 % every night).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.simulate.drive import ROUTES

__all__ = [
    "CHARGING_ARCHETYPES",
    "USAGE_ARCHETYPES",
    "DayPlan",
    "Profile",
    "make_profile",
    "plan_day",
]

USAGE_ARCHETYPES = ("commuter", "ride_hail", "weekend", "low_use")
CHARGING_ARCHETYPES = ("home_ac_limit", "dc_fast_heavy", "public_opportunistic", "always_100")
HOME, WORK, PUBLIC = 0, 1, 2
LOCATIONS = ("home", "work", "public")


@dataclass(frozen=True)
class Profile:
    """Behavioural parameters of one vehicle's user."""

    usage: str
    charging: str
    commute_km: float
    depart_h: float
    return_h: float
    home_charger_kw: float
    charge_limit_pct: float
    plug_threshold_pct: float
    timer_start_h: float | None
    dc_threshold_pct: float
    dc_target_pct: float
    public_ac_kw: float
    aux_base_w: float


def make_profile(usage: str, charging: str, rng: np.random.Generator) -> Profile:
    """Draw one user's habits for the given archetypes."""
    limit = {"always_100": 100.0, "home_ac_limit": float(rng.choice([80.0, 85.0, 90.0]))}.get(
        charging, float(rng.choice([80.0, 90.0]))
    )
    return Profile(
        usage=usage,
        charging=charging,
        commute_km=float(np.clip(rng.lognormal(np.log(18.0), 0.5), 4.0, 70.0)),
        depart_h=float(rng.uniform(6.3, 8.8)),
        return_h=float(rng.uniform(16.0, 18.8)),
        home_charger_kw=float(rng.choice([3.7, 7.4, 11.0], p=[0.2, 0.45, 0.35])),
        charge_limit_pct=limit,
        plug_threshold_pct=float(rng.uniform(45.0, 85.0)) if charging != "always_100" else 100.0,
        timer_start_h=float(rng.uniform(22.0, 25.0)) if rng.random() < 0.4 else None,
        dc_threshold_pct=float(rng.uniform(15.0, 35.0)),
        dc_target_pct=float(rng.choice([70.0, 80.0, 90.0], p=[0.3, 0.55, 0.15])),
        public_ac_kw=float(rng.choice([11.0, 22.0])),
        aux_base_w=float(rng.uniform(250.0, 450.0)),
    )


@dataclass
class DayPlan:
    """Trips of one day: local departure hour, block sequence, destination after the trip."""

    depart_h: list[float]
    blocks: list[list[int]]
    destination: list[int]


def _route_blocks(distance_km: float, route: str, block_km: np.ndarray, rng) -> list[int]:
    idx, prob = ROUTES[route]
    cum = np.cumsum(prob).tolist()
    out: list[int] = []
    total = 0.0
    draws = rng.random(64).tolist()
    k = 0
    while total < distance_km * 0.92 or not out:
        u = draws[k % 64] * cum[-1]
        k += 1
        b = idx[next(j for j, c in enumerate(cum) if u <= c)]
        out.append(b)
        total += block_km[b]
    return out


def _route_for(distance_km: float) -> str:
    if distance_km < 12:
        return "urban"
    if distance_km < 35:
        return "suburban"
    return "highway"


def plan_day(
    prof: Profile, weekday: int, block_km: np.ndarray, rng: np.random.Generator
) -> DayPlan:
    """Trips for one day (``weekday`` 0 = Monday) of a user with profile ``prof``."""
    deps: list[float] = []
    dists: list[float] = []
    dests: list[int] = []
    weekend = weekday >= 5
    if prof.usage == "commuter":
        if not weekend and rng.random() < 0.93:
            deps += [prof.depart_h + rng.normal(0, 0.25), prof.return_h + rng.normal(0, 0.4)]
            d = prof.commute_km * rng.uniform(0.95, 1.1)
            dists += [d, d * rng.uniform(0.98, 1.2)]
            dests += [WORK, HOME]
        if rng.random() < (0.6 if weekend else 0.25):
            h = rng.uniform(10.0, 19.5) if weekend else prof.return_h + rng.uniform(1.2, 3.0)
            d = rng.lognormal(np.log(9.0), 0.6)
            deps += [h, h + rng.uniform(0.5, 2.5)]
            dists += [d, d]
            dests += [PUBLIC, HOME]
        if weekend and rng.random() < 0.12:
            h = rng.uniform(8.0, 11.0)
            d = rng.uniform(60.0, 180.0)
            deps += [h, h + d / 80.0 + rng.uniform(2.0, 6.0)]
            dists += [d, d]
            dests += [PUBLIC, HOME]
    elif prof.usage == "ride_hail":
        n = int(rng.integers(6, 12)) if rng.random() < (0.75 if weekend else 0.9) else 0
        h = rng.uniform(6.5, 9.0)
        for k in range(n):
            deps.append(h)
            d = rng.lognormal(np.log(14.0), 0.6)
            dists.append(d)
            dests.append(PUBLIC if k < n - 1 else HOME)
            h += d / 28.0 + rng.uniform(0.15, 1.0)
            if h > 23.0:
                dests[-1] = HOME
                break
    elif prof.usage == "weekend":
        if not weekend and rng.random() < 0.25:
            h = rng.uniform(8.0, 19.0)
            d = rng.lognormal(np.log(7.0), 0.5)
            deps += [h, h + rng.uniform(0.5, 2.0)]
            dists += [d, d]
            dests += [PUBLIC, HOME]
        if weekend and rng.random() < 0.8:
            h = rng.uniform(8.5, 12.0)
            d = rng.lognormal(np.log(45.0), 0.6)
            deps += [h, h + d / 70.0 + rng.uniform(2.0, 6.0)]
            dists += [d, d]
            dests += [PUBLIC, HOME]
    else:  # low_use
        if rng.random() < 0.35:
            h = rng.uniform(9.0, 18.0)
            d = rng.lognormal(np.log(6.0), 0.5)
            deps += [h, h + rng.uniform(0.5, 2.5)]
            dists += [d, d]
            dests += [PUBLIC, HOME]
    order = np.argsort(deps)
    plan = DayPlan([], [], [])
    last = -1.0
    for k in order:
        h = max(float(deps[k]), last + 0.1)
        if h >= 23.7:
            break
        blocks = _route_blocks(dists[k], _route_for(dists[k]), block_km, rng)
        plan.depart_h.append(h)
        plan.blocks.append(blocks)
        plan.destination.append(int(dests[k]))
        last = h + sum(block_km[b] for b in blocks) / 25.0
    if plan.destination and plan.destination[-1] != HOME:
        plan.destination[-1] = HOME
    return plan
