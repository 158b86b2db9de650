"""Fleet simulator: generation speed and a sanity check of its ageing against fleet figures.

Prints, in one run:
* the demo fleet (20 vehicles x 730 days): simulation and canonical-Parquet export time
  (target: under 60 s on 2 cores);
* a large fleet of decoded exports (default 1,000 vehicles x 365 days; target: under 15 min);
* the simulated fleet's capacity fade per year — median overall, by climate and by charging
  archetype — next to the 1.5-2.5 %/year reported for real EV fleets (faster in hot climates
  and with heavy DC fast charging).

Usage: python benchmarks/simulate_speed.py [--vehicles 1000] [--days 365] [--seed 31]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import polars as pl

from analytics.simulate import DEMO_CONFIG, FleetConfig, simulate_fleet, write_outputs


def _timed_fleet(config: FleetConfig, out: Path) -> tuple[float, float, object]:
    t0 = time.perf_counter()
    fleet = simulate_fleet(config)
    t1 = time.perf_counter()
    write_outputs(fleet, out, formats=("long",))
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, fleet


def fade_per_year(fleet: object) -> pl.DataFrame:
    """Capacity SoH lost per year of age, per vehicle, from the truth frames."""
    days = fleet.vehicle_days  # type: ignore[attr-defined]
    per = days.group_by("vehicle_id").agg(
        first=pl.col("capacity_soh_pct").sort_by("date").first(),
        last=pl.col("capacity_soh_pct").sort_by("date").last(),
        span_days=(pl.col("date").max() - pl.col("date").min()).dt.total_days(),
    )
    per = per.with_columns(
        fade_pct_per_year=(pl.col("first") - pl.col("last")) / (pl.col("span_days") / 365.25)
    )
    return per.join(fleet.vehicles, on="vehicle_id")  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=31)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="simbench-"))
    try:
        sim_s, write_s, demo = _timed_fleet(DEMO_CONFIG, work / "demo")
        print(
            f"demo fleet {DEMO_CONFIG.vehicles} x {DEMO_CONFIG.days} d: simulate {sim_s:.1f} s, "
            f"canonical Parquet {write_s:.1f} s, total {sim_s + write_s:.1f} s (target < 60 s)"
        )
        big = FleetConfig(vehicles=args.vehicles, days=args.days, seed=args.seed)
        sim_b, write_b, fleet = _timed_fleet(big, work / "big")
        rows = sum(
            pl.scan_parquet(p).select(pl.len()).collect().item()
            for p in (work / "big" / "exports" / "long").glob("*.parquet")
        )
        total = sim_b + write_b
        print(
            f"fleet {args.vehicles} x {args.days} d: simulate {sim_b:.0f} s, exports {write_b:.0f} s, "
            f"total {total / 60:.1f} min (target < 15 min), {rows:,} rows, {rows / total:,.0f} rows/s"
        )

        fade = pl.concat([fade_per_year(demo), fade_per_year(fleet)], how="vertical_relaxed")
        print("\ncapacity fade, % of nominal per year (real fleets: median about 1.5-2.5 %/year)")
        print(
            f"  all vehicles: median {fade['fade_pct_per_year'].median():.2f}, "
            f"P10 {fade['fade_pct_per_year'].quantile(0.1):.2f}, "
            f"P90 {fade['fade_pct_per_year'].quantile(0.9):.2f}  (n={fade.height})"
        )
        for col in ("climate", "charging_archetype", "chemistry"):
            tab = (
                fade.group_by(col)
                .agg(median=pl.col("fade_pct_per_year").median(), n=pl.len())
                .sort("median")
            )
            cells = ", ".join(
                f"{r[col]} {r['median']:.2f} (n={r['n']})" for r in tab.iter_rows(named=True)
            )
            print(f"  by {col}: {cells}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
