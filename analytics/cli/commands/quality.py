"""``analytics quality``: compute and print the per-vehicle data-quality report."""

from __future__ import annotations

import argparse

from analytics.execute.options import add_executor_option

NAME = "quality"
HELP = "data-quality report per vehicle: coverage, gaps, sampling, stuck sensors, clock jumps"
ORDER = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--vehicle",
        action="append",
        metavar="ID",
        help="only this vehicle (repeatable); default: every vehicle",
    )
    parser.add_argument(
        "--show-only", action="store_true", help="print the stored report without recomputing it"
    )
    parser.add_argument(
        "--events",
        type=int,
        default=8,
        metavar="N",
        help="findings to list per vehicle (default 8)",
    )
    add_executor_option(parser)


def run(args: argparse.Namespace) -> int:
    from analytics.execute.options import executor_from_args
    from analytics.quality import format_report, run_stage
    from analytics.warehouse import open_warehouse

    with open_warehouse(args.warehouse, read_only=args.show_only) as wh:
        if not args.show_only:
            with executor_from_args(args) as ex:
                run_stage(wh, vehicles=args.vehicle, executor=ex)
        where, params = (
            ("WHERE list_contains($ids, vehicle_id)", {"ids": args.vehicle})
            if args.vehicle
            else ("", None)
        )
        tables = [
            wh.sql(f"SELECT * FROM {t} {where}", params)
            for t in ("quality_vehicles", "quality_signals", "quality_events")
        ]
    print(format_report(*tables, max_events=args.events))
    return 0
