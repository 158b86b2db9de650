"""``analytics charging``: charge-behaviour tables; ``analytics charging simulate``: managed charging."""

from __future__ import annotations

import argparse

from analytics.execute.options import add_executor_option

__all__ = ["DESCRIPTION", "HELP", "NAME", "ORDER", "add_arguments", "run"]

NAME = "charging"
HELP = "charging sessions, habits, battery stress, flexibility, load forecast; simulate tariffs"
ORDER = 70
DESCRIPTION = (
    "Without an action (or with 'build'): build charging_sessions, charging_profiles, "
    "charging_profile_mix, charging_stress, charging_flexibility and charging_load_forecast "
    "from the sessions table. 'simulate --tariff FILE': plan every charging session against a "
    "time-of-use tariff (.json) or an hourly price/carbon series (.csv) and report what "
    "managed charging would change (see data/tariffs/ for the formats)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        choices=["build", "simulate"],
        default="build",
        help="build the tables (default) or simulate managed charging",
    )
    parser.add_argument(
        "--vehicle",
        action="append",
        default=[],
        metavar="ID",
        help="only these vehicles (repeatable; default: all with charge sessions)",
    )
    add_executor_option(parser)
    parser.add_argument(
        "--tariff", metavar="FILE", help="simulate: ToU tariff (.json) or hourly series (.csv)"
    )
    parser.add_argument(
        "--objective",
        choices=["auto", "price", "carbon"],
        default="auto",
        help="simulate: minimise cost (price) or emissions (carbon); auto = price if present",
    )
    parser.add_argument(
        "--no-spread",
        action="store_true",
        help="simulate: plan each session alone (do not break price ties by fleet load)",
    )
    parser.add_argument(
        "--max-fleet-kw",
        type=float,
        metavar="KW",
        help="simulate: plan the fleet jointly so its hourly load stays under this cap (LP)",
    )
    parser.add_argument(
        "--out", metavar="CSV", help="simulate: write the hourly fleet load before/after here"
    )


def _simulate(args: argparse.Namespace) -> int:
    from analytics.charging.simulate import simulate_managed_charging
    from analytics.charging.tariff import load_tariff
    from analytics.errors import ConfigError
    from analytics.warehouse import open_warehouse

    if not args.tariff:
        raise ConfigError("simulate needs --tariff FILE (e.g. data/tariffs/tou_ev_example.json)")
    tariff = load_tariff(args.tariff)
    with open_warehouse(args.warehouse, read_only=True) as wh:
        if "charging_sessions" not in wh.table_names():
            raise ConfigError("no charging tables yet; run `analytics charging` first")
        sql = "SELECT * FROM charging_sessions"
        params = None
        if args.vehicle:
            sql += " WHERE list_contains($ids, vehicle_id)"
            params = {"ids": args.vehicle}
        cs = wh.sql(sql, params)
    result = simulate_managed_charging(
        cs,
        tariff,
        objective=args.objective,
        spread=not args.no_spread,
        max_fleet_kw=args.max_fleet_kw,
    )
    for line in result.lines():
        print(line)
    if args.out:
        result.fleet_hourly.write_csv(args.out)
        print(f"hourly fleet load written to {args.out}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.action == "simulate":
        return _simulate(args)
    from analytics.charging.stage import run_stage
    from analytics.execute.options import executor_from_args
    from analytics.warehouse import open_warehouse

    with open_warehouse(args.warehouse) as wh, executor_from_args(args) as ex:
        summary = run_stage(wh, vehicles=args.vehicle or None, executor=ex)
    print("charging: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    return 0
