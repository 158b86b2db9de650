"""``analytics soh``: state of health per vehicle and day, with method and 90 % interval."""

from __future__ import annotations

import argparse

from analytics.execute.options import add_executor_option

NAME = "soh"
HELP = "estimate state of health (tables soh, soh_observations); run `analytics sessions` first"
ORDER = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--vehicle",
        action="append",
        default=[],
        metavar="ID",
        help="only these vehicles (repeatable; default: all with sessions)",
    )

    add_executor_option(parser)


def run(args: argparse.Namespace) -> int:
    from analytics.execute.options import executor_from_args
    from analytics.soh.stage import run_stage
    from analytics.warehouse import open_warehouse

    with open_warehouse(args.warehouse) as wh, executor_from_args(args) as ex:
        summary = run_stage(wh, vehicles=args.vehicle or None, executor=ex)
        latest = wh.sql(
            "SELECT vehicle_id, date, soh_pct, soh_low_pct, soh_high_pct, energy_soh_pct, "
            "resistance_growth_pct, reference, n_observations_total FROM soh "
            "QUALIFY row_number() OVER (PARTITION BY vehicle_id ORDER BY date DESC) = 1 "
            "ORDER BY vehicle_id"
        )
    print("soh: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    for r in latest.iter_rows(named=True):
        growth = r["resistance_growth_pct"]
        res = "" if growth is None or growth != growth else f"  R {growth:+.0f} %"
        print(
            f"  {r['vehicle_id']:<14} {r['date']}  SoH {r['soh_pct']:5.1f} % "
            f"[{r['soh_low_pct']:.1f}–{r['soh_high_pct']:.1f}]  energy {r['energy_soh_pct']:5.1f} %"
            f"{res}  ({r['reference']}, {r['n_observations_total']} obs)"
        )
    return 0
