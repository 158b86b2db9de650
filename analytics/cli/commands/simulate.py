"""``analytics simulate``: generate a fleet with ground truth in every input format."""

from __future__ import annotations

import argparse

NAME = "simulate"
HELP = "simulate an EV fleet with ground truth (decoded exports, raw CAN, truth Parquet)"
ORDER = 5
DESCRIPTION = (
    "Simulate N vehicles over D days (deterministic for the seed) and write decoded exports, "
    "raw CAN logs for K days per vehicle, vehicle metadata and the ground truth to DIR."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vehicles", type=int, default=20, help="number of vehicles (20)")
    parser.add_argument("--days", type=int, default=730, help="days to simulate (730)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (7)")
    parser.add_argument("--start", default="2023-01-01", help="first day, YYYY-MM-DD (2023-01-01)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--formats",
        nargs="+",
        default=None,
        help="long long_csv wide dimo can (or candump asc blf mf4); default: all decoded "
        "formats, plus raw CAN when --raw-can-days > 0",
    )
    parser.add_argument(
        "--raw-can-days", type=int, default=0, help="days of raw CAN per vehicle (0)"
    )
    parser.add_argument("--workers", type=int, default=None, help="processes (default 2)")


def run(args: argparse.Namespace) -> int:
    from datetime import date

    from analytics.errors import ConfigError
    from analytics.simulate import FleetConfig, simulate_fleet, write_outputs
    from analytics.simulate.outputs import DECODED_FORMATS

    try:
        start = date.fromisoformat(args.start)
    except ValueError as exc:
        raise ConfigError(f"--start {args.start!r} is not a date YYYY-MM-DD") from exc
    if args.raw_can_days < 0:
        raise ConfigError("--raw-can-days must be 0 or more")
    formats = args.formats or (
        [*DECODED_FORMATS, "can"] if args.raw_can_days > 0 else list(DECODED_FORMATS)
    )
    config = FleetConfig(
        vehicles=args.vehicles, days=args.days, seed=args.seed, start=start, workers=args.workers
    )
    fleet = simulate_fleet(config)
    manifest = write_outputs(
        fleet, args.out, formats=formats, raw_can_days=args.raw_can_days, workers=args.workers
    )
    print(
        f"simulated {config.vehicles} vehicles x {config.days} days (seed {config.seed}) -> "
        f"{args.out}: {manifest['telemetry_rows']:,} telemetry rows, "
        f"{len(manifest['files'])} export files, {manifest['can_files']} raw CAN logs"
    )
    for line in manifest["skipped"][:10]:
        print(f"skipped: {line}")
    return 0
