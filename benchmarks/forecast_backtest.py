"""Back-test of the degradation forecast against the simulator's ground truth.

Simulates a fleet (seeds not used in tests), loads the car-reported telemetry into a
warehouse, and for each cut-off (the first 6, 12 and 24 months of every vehicle) fits on the
data before the cut-off only and forecasts the rest. Prints, at 6-, 12- and 24-month horizons,
the mean absolute error against the true capacity SoH and the share of true values inside the
90 % interval, for our model and two baselines measured in the same run:

- ``linear``: ordinary least squares line through the vehicle's own weekly SoH, extrapolated
  (90 % OLS prediction interval);
- ``cohort``: the cohort's mean curve ``SoH = a - b sqrt(age)`` fitted to every cohort vehicle's
  data before the cut-off (interval: +-1.645 x the spread of vehicles around it).

SoH input: the pipeline's own ``soh`` table (sessions + soh stages re-run on the truncated
telemetry, so no estimate sees the future) when ``analytics.soh.stage`` exists, otherwise the
true SoH plus a realistic measurement error (AR(1) noise, 0.8 points, a month's correlation);
the output says which.

    .venv/bin/python benchmarks/forecast_backtest.py [--vehicles 24] [--days 1100] [--seed 9101]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from dataclasses import replace

import numpy as np
import polars as pl

from analytics.forecast.api import prepare
from analytics.forecast.backtest import (
    add_months,
    backtest_cutoff,
    change_error,
    noisy_truth,
    truncate,
)

CUTOFFS_MONTHS = (6, 12, 24)
HORIZONS_MONTHS = (6, 12, 24)


def simulate(vehicles: int, days: int, seed: int):
    from analytics.simulate import FleetConfig, simulate_fleet

    return simulate_fleet(FleetConfig(vehicles=vehicles, days=days, seed=seed))


def load_signals(wh, fleet, before=None) -> None:  # type: ignore[no-untyped-def]
    from analytics.simulate import load_fleet

    load_fleet(wh, fleet, before=before)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=24)
    ap.add_argument("--days", type=int, default=1100)
    ap.add_argument("--seed", type=int, default=9101)
    ap.add_argument("--soh-source", choices=["auto", "pipeline", "truth"], default="auto")
    args = ap.parse_args()
    from analytics.warehouse import open_warehouse

    t0 = time.perf_counter()
    fleet = simulate(args.vehicles, args.days, args.seed)
    t_sim = time.perf_counter() - t0
    truth = fleet.vehicle_days.with_columns(pl.col("date").cast(pl.Date))
    start = truth["date"].min()
    has_soh_stage = importlib.util.find_spec("analytics.soh.stage") is not None
    source = (
        args.soh_source if args.soh_source != "auto" else ("pipeline" if has_soh_stage else "truth")
    )
    print(
        f"fleet: {args.vehicles} vehicles x {args.days} days, seed {args.seed} "
        f"(simulated in {t_sim:.0f} s); SoH input: "
        + (
            "pipeline soh table (sessions + soh stages on truncated telemetry)"
            if source == "pipeline"
            else "true capacity SoH + AR(1) measurement error 0.8 points"
        )
    )
    results: dict[tuple[int, int, str], dict[str, float]] = {}
    changes: dict[int, float] = {}
    full = None
    if source == "truth":
        wh = open_warehouse(":memory:")
        load_signals(wh, fleet)
        full = prepare(wh, fleet.vehicles["vehicle_id"].to_list())
        soh_all = noisy_truth(truth, args.seed)
    for cut_m in CUTOFFS_MONTHS:
        cut = add_months(start, cut_m)
        t1 = time.perf_counter()
        if source == "pipeline":
            from analytics.sessions.stage import run_stage as run_sessions
            from analytics.soh.stage import run_stage as run_soh

            wh = open_warehouse(":memory:")
            load_signals(wh, fleet, before=cut)
            run_sessions(wh)
            run_soh(wh)
            data = prepare(wh, fleet.vehicles["vehicle_id"].to_list())
            data = replace(data, soh=data.soh.filter(pl.col("date") < cut))
            wh.close()
            j = data.soh.join(
                truth.select("vehicle_id", "date", "capacity_soh_pct"), on=["vehicle_id", "date"]
            )
            print(
                f"  cut-off {cut_m:>2} months: input SoH (pipeline) MAE vs truth "
                f"{(j['soh_pct'] - j['capacity_soh_pct']).abs().mean():.2f}, bias "
                f"{(j['soh_pct'] - j['capacity_soh_pct']).mean():+.2f} points over {j.height} vehicle-days"
            )
        else:
            data = truncate(full, cut, soh_all)
        t2 = time.perf_counter()
        scores, res = backtest_cutoff(data, cut, truth, HORIZONS_MONTHS)
        t_fit = time.perf_counter() - t2
        for r in scores.iter_rows(named=True):
            results[(cut_m, r["horizon_months"], r["method"])] = r
        changes[cut_m] = change_error(res.forecasts, truth, cut)
        print(
            f"  cut-off {cut_m:>2} months: inputs in {t2 - t1:.1f} s, fit + forecast + baselines in {t_fit:.1f} s; "
            f"exponents {res.fit.exponents}; process sd {res.fit.process_var**0.5:.2f} pt/sqrt(yr) "
            f"({res.fit.process_source})"
        )
    print("\nMAE (SoH points) and 90 % interval coverage vs true capacity SoH")
    print(
        f"{'fit on':>8} {'horizon':>8} {'n':>4} | {'model':>14} | {'linear':>14} | {'cohort':>14}"
    )
    for cut_m in CUTOFFS_MONTHS:
        for h in HORIZONS_MONTHS:
            cells = [results.get((cut_m, h, n)) for n in ("model", "linear", "cohort")]
            if cells[0] is None:
                continue
            txt = " | ".join(
                f"{c['mae']:5.2f} {100 * c['coverage']:5.1f} %" if c else f"{'-':>14}"
                for c in cells
            )
            print(f"{cut_m:>6} mo {h:>5} mo {cells[0]['n']:>4} | {txt}")
    print(
        "\nMAE of the forecast 12-month change (fade itself, input level error removed): "
        + ", ".join(f"fit on {c} mo {v:.2f}" for c, v in changes.items())
    )
    twelve = [results[k] for k in results if k[1] == 12 and k[2] == "model"]
    if twelve:
        mae = np.mean([r["mae"] for r in twelve])
        best_base = min(
            np.mean([results[k]["mae"] for k in results if k[1] == 12 and k[2] == b])
            for b in ("linear", "cohort")
        )
        cov = np.mean([r["coverage"] for r in twelve])
        print(
            f"\n12-month horizon, all cut-offs: model MAE {mae:.2f} (target <= 1.5), "
            f"better baseline {best_base:.2f} -> {100 * (1 - mae / best_base):.0f} % lower "
            f"(target >= 30 %); coverage {100 * cov:.1f} % (target 85-95 %)"
        )


if __name__ == "__main__":
    main()
