"""``analytics sessions``: cut each vehicle's signals into drive, charge and park sessions."""

from __future__ import annotations

import argparse

from analytics.execute.options import add_executor_option

NAME = "sessions"
HELP = "cut each vehicle's signals into drive / charge / park sessions (table sessions)"
ORDER = 40


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--vehicle",
        action="append",
        default=[],
        metavar="ID",
        help="only these vehicles (repeatable; default: all with signals)",
    )

    add_executor_option(parser)


def run(args: argparse.Namespace) -> int:
    from analytics.execute.options import executor_from_args
    from analytics.sessions.stage import run_stage
    from analytics.warehouse import open_warehouse

    with open_warehouse(args.warehouse) as wh, executor_from_args(args) as ex:
        summary = run_stage(wh, vehicles=args.vehicle or None, executor=ex)
    print("sessions: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    return 0
