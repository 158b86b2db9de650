"""SoH accuracy against the simulator's ground truth, per method and fused, per chemistry.

Generates a fleet with seeds not used by any test, puts its car-reported telemetry and
vehicle metadata into a fresh warehouse (truth never enters it), runs ``sessions`` and
``soh``, and compares with ``Fleet.vehicle_days``:

* per method: every kept single-session observation against the true capacity SoH of its
  day — MAE, P95 and max error (points), share of truths inside the observation's own 90 %
  interval;
* fused: every vehicle-day against truth — MAE, P95, max, interval coverage, and the largest
  error once a vehicle has 30 days of data; also energy SoH and resistance growth.

Targets (fused): MAE ≤ 1.0 point, no vehicle-day off by more than 3 points after 30 days,
coverage 85–95 %. Usage::

    .venv/bin/python benchmarks/soh_accuracy.py [--vehicles 12] [--days 540] [--seed 9137]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import polars as pl

__all__ = ["main"]

Z90 = 1.6449


def build_warehouse(vehicles: int, days: int, seed: int):  # type: ignore[no-untyped-def]
    """Simulate a fleet and load telemetry + metadata into an in-memory warehouse."""
    from analytics.simulate import FleetConfig, load_fleet, simulate_fleet
    from analytics.warehouse import open_warehouse

    fleet = simulate_fleet(FleetConfig(vehicles=vehicles, days=days, seed=seed))
    wh = open_warehouse(":memory:")
    load_fleet(wh, fleet)
    return fleet, wh


def _stats(err: np.ndarray, inside: np.ndarray | None) -> dict[str, float]:
    a = np.abs(err[np.isfinite(err)])
    if a.size == 0:
        return {"n": 0}
    out = {
        "n": int(a.size),
        "mae": float(a.mean()),
        "p95": float(np.percentile(a, 95)),
        "max": float(a.max()),
    }
    if inside is not None:
        out["coverage"] = float(np.mean(inside))
    return out


def _fmt(name: str, s: dict[str, float]) -> str:
    if not s.get("n"):
        return f"  {name:<28} n=0"
    cov = f"  cover90 {100 * s['coverage']:5.1f} %" if "coverage" in s else ""
    return (
        f"  {name:<28} n={s['n']:<7} MAE {s['mae']:5.2f}  P95 {s['p95']:5.2f}  "
        f"max {s['max']:5.2f}{cov}"
    )


def evaluate(fleet, wh) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Print and return accuracy figures per chemistry."""
    truth = fleet.vehicle_days.select(
        "vehicle_id", pl.col("date").cast(pl.Date), "capacity_soh_pct", "energy_soh_pct",
        "resistance_growth_pct",
    ).rename({"capacity_soh_pct": "true_soh", "energy_soh_pct": "true_energy", "resistance_growth_pct": "true_growth"})  # fmt: skip
    chem = fleet.vehicles.select("vehicle_id", "chemistry")
    obs = (
        wh.sql("SELECT * FROM soh_observations")
        .join(truth, on=["vehicle_id", "date"])
        .join(chem, on="vehicle_id")
    )
    soh = (
        wh.sql("SELECT * FROM soh")
        .join(truth, on=["vehicle_id", "date"])
        .join(chem, on="vehicle_id")
    )
    first = soh.group_by("vehicle_id").agg(pl.col("date").min().alias("_d0"))
    soh = soh.join(first, on="vehicle_id").with_columns(
        ((pl.col("date") - pl.col("_d0")).dt.total_days() >= 30).alias("after30")
    )
    results: dict[str, object] = {}
    for c in [*sorted(set(chem["chemistry"])), "ALL"]:
        o = obs if c == "ALL" else obs.filter(pl.col("chemistry") == c)
        s = soh if c == "ALL" else soh.filter(pl.col("chemistry") == c)
        print(f"\n{c}: {s['vehicle_id'].n_unique()} vehicles, {s.height} vehicle-days")
        cap = o.filter(pl.col("kept") & (pl.col("quantity") != "resistance_mohm"))
        for m in sorted(set(cap["method"])):
            mo = cap.filter(pl.col("method") == m)
            err = (mo["soh_pct"] - mo["true_soh"]).to_numpy()
            inside = np.abs(err) <= Z90 * mo["soh_sigma_pct"].to_numpy()
            st = _stats(err, inside)
            results[f"{c}/{m}"] = st
            print(_fmt(m, st))
        rej = o.filter(~pl.col("kept"))
        print(f"  rejected observations: {rej.height} of {o.height}")
        err = (s["soh_pct"] - s["true_soh"]).to_numpy()
        inside = (
            (s["soh_low_pct"] <= s["true_soh"]) & (s["true_soh"] <= s["soh_high_pct"])
        ).to_numpy()
        st = _stats(err, inside)
        results[f"{c}/fused"] = st
        print(_fmt("FUSED capacity SoH", st))
        a30 = s.filter(pl.col("after30"))
        e30 = np.abs((a30["soh_pct"] - a30["true_soh"]).to_numpy())
        e30 = e30[np.isfinite(e30)]
        if e30.size:
            print(
                f"  {'fused, after 30 days':<28} max {e30.max():5.2f}  days > 3 points: {int((e30 > 3).sum())}"
            )
            results[f"{c}/fused_after30_max"] = float(e30.max())
        ee = (s["energy_soh_pct"] - s["true_energy"]).to_numpy()
        ein = (
            (s["energy_soh_low_pct"] <= s["true_energy"])
            & (s["true_energy"] <= s["energy_soh_high_pct"])
        ).to_numpy()
        print(_fmt("fused energy SoH", _stats(ee, ein)))
        ge = (s["resistance_growth_pct"] - s["true_growth"]).to_numpy()
        gin = (
            (s["resistance_growth_low_pct"] <= s["true_growth"])
            & (s["true_growth"] <= s["resistance_growth_high_pct"])
        ).to_numpy()
        print(_fmt("resistance growth (pct)", _stats(ge, gin)))
    return results


def session_recall(fleet, wh) -> None:  # type: ignore[no-untyped-def]
    """Share of true drives and charges found with start and end within 5 minutes."""
    est = wh.sql("SELECT vehicle_id, kind, start_ts, end_ts FROM sessions").with_columns(
        pl.col("start_ts", "end_ts").dt.convert_time_zone("UTC")
    )
    tru = fleet.sessions.select(
        "vehicle_id", "kind",
        pl.col("start_ts").cast(pl.Datetime("us", "UTC")),
        pl.col("end_ts").cast(pl.Datetime("us", "UTC")),
    )  # fmt: skip
    print("\nsessions against truth (start and end within 5 min):")
    for kind in ("drive", "charge"):
        a = est.filter(pl.col("kind") == kind).sort("vehicle_id", "start_ts")
        b = tru.filter(pl.col("kind") == kind).sort("vehicle_id", "start_ts")
        m = b.join_asof(
            a.select("vehicle_id", pl.col("start_ts").alias("s_est"), pl.col("end_ts").alias("e_est"),
                     pl.col("start_ts")),
            on="start_ts", by="vehicle_id", strategy="nearest", check_sortedness=False,
        )  # fmt: skip
        ok = ((m["s_est"] - m["start_ts"]).dt.total_seconds().abs() <= 300) & (
            (m["e_est"] - m["end_ts"]).dt.total_seconds().abs() <= 300
        )
        print(
            f"  {kind:<7} truth {b.height:>6}  found {a.height:>6}  recall {100 * ok.mean():5.1f} %"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=12)
    parser.add_argument("--days", type=int, default=540)
    parser.add_argument("--seed", type=int, default=9137)
    args = parser.parse_args(argv)
    from analytics.sessions import run_stage as run_sessions
    from analytics.soh import run_stage as run_soh

    t0 = time.perf_counter()
    fleet, wh = build_warehouse(args.vehicles, args.days, args.seed)
    t1 = time.perf_counter()
    print(f"fleet seed {args.seed}: {args.vehicles} vehicles x {args.days} days, "
          f"simulated and loaded in {t1 - t0:.0f} s")  # fmt: skip
    print("sessions:", run_sessions(wh))
    t2 = time.perf_counter()
    print("soh:", run_soh(wh))
    t3 = time.perf_counter()
    print(f"sessions {t2 - t1:.0f} s, soh {t3 - t2:.0f} s")
    session_recall(fleet, wh)
    evaluate(fleet, wh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
