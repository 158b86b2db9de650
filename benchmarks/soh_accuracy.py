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

import polars as pl

__all__ = ["main"]


def build_warehouse(vehicles: int, days: int, seed: int):  # type: ignore[no-untyped-def]
    """Simulate a fleet and load telemetry + metadata into an in-memory warehouse."""
    from analytics.simulate import FleetConfig, load_fleet, simulate_fleet
    from analytics.warehouse import open_warehouse

    fleet = simulate_fleet(FleetConfig(vehicles=vehicles, days=days, seed=seed))
    wh = open_warehouse(":memory:")
    load_fleet(wh, fleet)
    return fleet, wh


def _stats(summary: pl.DataFrame) -> dict[str, float]:
    """The one row of an :func:`analytics.soh.compare.error_summary` as the printed figures."""
    if summary.height == 0 or not summary["n"][0]:
        return {"n": 0}
    r = summary.row(0, named=True)
    out = {"n": int(r["n"]), "mae": r["mae"], "p95": r["p95"], "max": r["max"]}
    if "coverage90" in r:
        out["coverage"] = r["coverage90"]
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
    from analytics.soh.compare import error_summary, fused_errors, observation_errors

    chem = fleet.vehicles.select("vehicle_id", "chemistry")
    obs = observation_errors(wh.sql("SELECT * FROM soh_observations"), fleet.vehicle_days, chem)
    all_obs = wh.sql("SELECT * FROM soh_observations").join(chem, on="vehicle_id")
    soh = fused_errors(wh.sql("SELECT * FROM soh"), fleet.vehicle_days, chem)
    results: dict[str, object] = {}
    for c in [*sorted(set(chem["chemistry"])), "ALL"]:
        o = obs if c == "ALL" else obs.filter(pl.col("chemistry") == c)
        s = soh if c == "ALL" else soh.filter(pl.col("chemistry") == c)
        print(f"\n{c}: {s['vehicle_id'].n_unique()} vehicles, {s.height} vehicle-days")
        cap = o.filter(pl.col("kept"))
        for m in sorted(set(cap["method"])):
            st = _stats(error_summary(cap.filter(pl.col("method") == m)))
            results[f"{c}/{m}"] = st
            print(_fmt(m, st))
        a = all_obs if c == "ALL" else all_obs.filter(pl.col("chemistry") == c)
        print(f"  rejected observations: {a.filter(~pl.col('kept')).height} of {a.height}")
        st = _stats(error_summary(s))
        results[f"{c}/fused"] = st
        print(_fmt("FUSED capacity SoH", st))
        e30 = s.filter(pl.col("days_in") >= 30)["error_pts"].abs().drop_nans().drop_nulls()
        if e30.len():
            print(
                f"  {'fused, after 30 days':<28} max {e30.max():5.2f}  days > 3 points: {int((e30 > 3).sum())}"
            )
            results[f"{c}/fused_after30_max"] = float(e30.max())
        energy = s.with_columns(
            pl.col("true_energy")
            .is_between(pl.col("energy_soh_low_pct"), pl.col("energy_soh_high_pct"))
            .alias("inside90")
        )
        print(_fmt("fused energy SoH", _stats(error_summary(energy, error="energy_error_pts"))))
        growth = s.with_columns(
            pl.col("true_growth")
            .is_between(pl.col("resistance_growth_low_pct"), pl.col("resistance_growth_high_pct"))
            .alias("inside90")
        )
        print(
            _fmt("resistance growth (pct)", _stats(error_summary(growth, error="growth_error_pts")))
        )
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
