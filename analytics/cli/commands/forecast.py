"""``analytics forecast``: degradation features, fitted ageing models, forecasts and milestones."""

from __future__ import annotations

import argparse

NAME = "forecast"
HELP = "forecast battery SoH per vehicle with intervals, milestones (80 %% / 70 %%) and what-ifs"
DESCRIPTION = (
    "Fit a semi-empirical calendar + cycle ageing model to every vehicle's SoH with partial "
    "pooling across its cohort, then forecast SoH with a 90 % interval (default: until the "
    "vehicle is 10 years old, at least 24 months) and the dates and odometer at 80 % and 70 %, "
    "with the probability of breaching UN GTR 22, Euro 7, CARB and warranty thresholds. "
    "What-if flags forecast a changed usage as an extra scenario next to the baseline."
)
ORDER = 45


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--horizon-months",
        type=int,
        metavar="N",
        help="months ahead (default: until age 10 years, at least 24)",
    )
    parser.add_argument(
        "--vehicle",
        action="append",
        default=[],
        metavar="ID",
        help="only this vehicle (repeatable; the fleet is still used for pooling)",
    )
    g = parser.add_argument_group("what-if (adds a scenario next to 'baseline')")
    g.add_argument("--no-dc", action="store_true", help="no DC fast charging from now on")
    g.add_argument(
        "--climate",
        choices=["temperate", "hot", "cold"],
        help="move the vehicle to this climate (monthly normals, see docs/forecast.md)",
    )
    g.add_argument(
        "--temp-offset-c",
        type=float,
        default=0.0,
        metavar="DEG",
        help="shift every future temperature by DEG °C",
    )
    g.add_argument("--km-per-year", type=float, metavar="KM", help="drive KM per year from now on")
    g.add_argument("--max-soc-pct", type=float, metavar="PCT", help="charge limit from now on")
    g.add_argument("--scenario-name", metavar="NAME", help="name of the what-if scenario")
    parser.add_argument(
        "--show",
        type=int,
        default=10,
        metavar="N",
        help="print milestones of the first N vehicles (0: none)",
    )


def _scenario(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from analytics.forecast.scenarios import Scenario

    changed = (
        args.no_dc
        or args.climate
        or args.temp_offset_c
        or args.km_per_year
        or (args.max_soc_pct is not None)
    )
    if not changed:
        return None
    sc = Scenario(
        no_dc=args.no_dc,
        climate=args.climate,
        temp_offset_c=args.temp_offset_c,
        km_per_year=args.km_per_year,
        max_soc_pct=args.max_soc_pct,
    )
    parts = [
        "no_dc" if sc.no_dc else "",
        f"climate_{sc.climate}" if sc.climate else "",
        f"temp_{sc.temp_offset_c:+g}c" if sc.temp_offset_c else "",
        f"km_per_year_{sc.km_per_year:g}" if sc.km_per_year else "",
        f"max_soc_{sc.max_soc_pct:g}" if sc.max_soc_pct is not None else "",
    ]
    name = args.scenario_name or "+".join(p for p in parts if p)
    return Scenario(name, sc.no_dc, sc.climate, sc.temp_offset_c, sc.km_per_year, sc.max_soc_pct)


def run(args: argparse.Namespace) -> int:
    from analytics.errors import ConfigError
    from analytics.forecast.scenarios import SCENARIOS
    from analytics.forecast.stage import run_forecast
    from analytics.warehouse import open_warehouse

    if args.horizon_months is not None and args.horizon_months < 1:
        raise ConfigError("--horizon-months must be at least 1")
    scenarios = [SCENARIOS["baseline"]]
    extra = _scenario(args)
    if extra is not None:
        scenarios.append(extra)
    with open_warehouse(args.warehouse) as wh:
        summary, res = run_forecast(
            wh, args.vehicle or None, horizon_months=args.horizon_months, scenarios=scenarios
        )
    print("forecast: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    if res is None or not args.show:
        return 0
    import polars as pl

    ms = res.milestones.filter(pl.col("kind") == "soh_level")
    vids = sorted(ms["vehicle_id"].unique().to_list())[: args.show]
    for vid in vids:
        vf = res.fit.vehicles[vid]
        print(f"\n{vid}  [{vf.cohort}]  {vf.message}")
        for r in ms.filter(pl.col("vehicle_id") == vid).iter_rows(named=True):
            when = r["expected_date"] or "after age 15"
            lo, hi = r["date_low"] or "-", r["date_high"] or "later"
            odo = f"{r['expected_odometer_km']:,.0f} km" if r["expected_odometer_km"] else "-"
            print(f"  {r['scenario']:<22} {r['threshold_id']}: {when} (90 %: {lo} .. {hi}), {odo}")
    for note in res.warnings[:5]:
        print(f"warning: {note}")
    return 0
