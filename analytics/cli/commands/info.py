"""``analytics info``: what the warehouse holds."""

from __future__ import annotations

import argparse

NAME = "info"
HELP = "show what the warehouse holds (vehicles, sources, signals, time range, rows per table)"
ORDER = 90


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", action="store_true", help="list the signal catalog instead")
    parser.add_argument(
        "--migrate",
        action="store_true",
        help="open the warehouse for writing so that pending migrations are applied",
    )


def run(args: argparse.Namespace) -> int:
    if args.catalog:
        from analytics.catalog import load_catalog

        for sig in load_catalog():
            print(f"{sig.path:<70} {sig.unit:<9} {sig.dimo_alias}")
        return 0

    from analytics.warehouse import open_warehouse, summarize

    with open_warehouse(args.warehouse, read_only=not args.migrate) as wh:
        for line in summarize(wh).lines():
            print(line)
    return 0
