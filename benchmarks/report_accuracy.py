"""Report figures against the simulator's ground truth.

Simulates a small fleet (seeds not used in tests), runs every pipeline stage, issues finance
reports at several as-of dates and compares what the reports state with the truth:

* capacity SoH and energy SoH in the report (taken from the fused series) — error and share
  of true values inside the stated 90 % interval;
* the report's own degradation rate (WLS over observations) — error against the slope of the
  true capacity SoH over the same window, and interval coverage;
* the data-sufficiency grade next to the error, to check that low grades go with larger
  errors.

    .venv/bin/python benchmarks/report_accuracy.py [--vehicles 8] [--days 365] [--seed 7301]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=8)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=7301)
    args = ap.parse_args()

    from analytics.pipeline import run_stages
    from analytics.reports.build import build_report
    from analytics.simulate import FleetConfig, load_fleet, simulate_fleet
    from analytics.warehouse import open_warehouse

    t0 = time.perf_counter()
    fleet = simulate_fleet(FleetConfig(vehicles=args.vehicles, days=args.days, seed=args.seed))
    truth = fleet.vehicle_days.select("vehicle_id", "date", "capacity_soh_pct", "energy_soh_pct")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.duckdb"
        with open_warehouse(path) as wh:
            load_fleet(wh, fleet)
            run_stages(wh, echo=lambda _: None)
        print(
            f"fleet of {args.vehicles} x {args.days} days simulated and processed in {time.perf_counter() - t0:.0f}s"
        )
        start = truth["date"].min()
        checkpoints = [
            start + timedelta(days=d) for d in (30, 90, 180, args.days - 1) if d < args.days
        ]
        with open_warehouse(path, read_only=True) as wh:
            for vid in fleet.vehicles["vehicle_id"].to_list():
                t = truth.filter(pl.col("vehicle_id") == vid).sort("date")
                for as_of in checkpoints:
                    r = build_report(wh, vid, "finance", as_of=as_of, key=b"accuracy-benchmark-key")
                    soh = r["sections"]["state_of_health"]
                    if soh["status"] == "missing":
                        continue
                    day = date_of(soh["capacity_soh"]["date"])
                    tt = t.filter(pl.col("date") == day)
                    if tt.height == 0:
                        continue
                    cap, en = soh["capacity_soh"], soh["energy_soh"]
                    row = {
                        "vehicle_id": vid,
                        "days": (as_of - start).days + 1,
                        "grade": r["data_sufficiency"]["grade"],
                        "cap_err": cap["value"] - tt["capacity_soh_pct"][0],
                        "cap_in": cap["low"] is not None
                        and cap["low"] <= tt["capacity_soh_pct"][0] <= cap["high"],
                        "en_err": None
                        if en["value"] is None
                        else en["value"] - tt["energy_soh_pct"][0],
                        "en_in": en["low"] is not None
                        and en["low"] <= tt["energy_soh_pct"][0] <= en["high"],
                    }
                    rate = r["sections"]["degradation_rate"]
                    if rate["status"] == "ok":
                        lo = as_of - timedelta(days=730)
                        w = t.filter((pl.col("date") > lo) & (pl.col("date") <= as_of))
                        x = np.array([(d - as_of).days / 365.25 for d in w["date"].to_list()])
                        true_rate = -np.polyfit(x, w["capacity_soh_pct"].to_numpy(), 1)[0]
                        e = rate["rate"]
                        row |= {
                            "rate_err": e["value"] - true_rate,
                            "rate_in": e["low"] <= true_rate <= e["high"],
                        }
                    rows.append(row)
    df = pl.DataFrame(rows)
    print("\ncapacity and energy SoH as stated in finance reports, by days of data")
    print(
        df.group_by("days")
        .agg(
            pl.len().alias("reports"),
            pl.col("cap_err").abs().mean().round(2).alias("capacity MAE pts"),
            pl.col("cap_in").mean().mul(100).round(0).alias("capacity in 90 % (%)"),
            pl.col("en_err").abs().mean().round(2).alias("energy MAE pts"),
            pl.col("en_in").mean().mul(100).round(0).alias("energy in 90 % (%)"),
        )
        .sort("days")
    )
    if "rate_err" in df.columns:
        r = df.filter(pl.col("rate_err").is_not_null())
        print("\ndegradation rate (SoH points/year) against the true slope over the same window")
        print(
            r.group_by("days")
            .agg(
                pl.len().alias("reports"),
                pl.col("rate_err").abs().mean().round(2).alias("MAE pts/yr"),
                pl.col("rate_err").mean().round(2).alias("bias pts/yr"),
                pl.col("rate_in").mean().mul(100).round(0).alias("in 90 % (%)"),
            )
            .sort("days")
        )
    print("\nerror by data-sufficiency grade")
    print(
        df.group_by("grade")
        .agg(
            pl.len().alias("reports"),
            pl.col("cap_err").abs().mean().round(2).alias("capacity MAE pts"),
        )
        .sort("grade")
    )


def date_of(text: str):  # type: ignore[no-untyped-def]
    from datetime import date

    return date.fromisoformat(text)


if __name__ == "__main__":
    main()
