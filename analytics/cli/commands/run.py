"""``analytics run``: the whole pipeline (optionally on a freshly generated demo fleet).

By default only vehicles whose inputs changed since the last run are re-modelled (``--all``
forces every vehicle); ``--executor`` says where the per-vehicle work runs (docs/scale.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analytics.execute.options import add_executor_option

NAME = "run"
HELP = "run every pipeline stage; with --demo, generate and ingest the demo fleet first"
ORDER = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--demo", action="store_true", help="simulate the demo fleet and ingest it first"
    )
    parser.add_argument(
        "--demo-dir", default="data/demo", metavar="DIR", help="where the demo fleet is written"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="STAGE",
        help="run only this stage (repeatable): quality, sessions, soh, forecast, charging",
    )
    parser.add_argument(
        "--vehicle",
        action="append",
        default=[],
        metavar="ID",
        help="limit the stages to these vehicles (repeatable)",
    )
    parser.add_argument(
        "--all",
        dest="all_vehicles",
        action="store_true",
        help="re-model every vehicle, not only those whose inputs changed since the last run",
    )
    add_executor_option(parser)


def run(args: argparse.Namespace) -> int:
    import time

    from analytics.config import resolve_warehouse
    from analytics.execute.options import executor_from_args
    from analytics.pipeline import run_stages
    from analytics.warehouse import open_warehouse, summarize

    t0 = time.perf_counter()
    path = resolve_warehouse(args.warehouse)
    with open_warehouse(path) as wh, executor_from_args(args) as ex:
        if args.demo:
            from analytics.demo import generate_demo, ingest_demo

            out = generate_demo(Path(args.demo_dir))
            ingest_demo(wh, out)
            _demo_report_key(path)
        print(f"[run] executor: {ex}")
        run_stages(
            wh,
            only=args.only or None,
            vehicles=args.vehicle or None,
            executor=ex,
            incremental=not args.all_vehicles,
        )
        print()
        for line in summarize(wh).lines():
            print(line)
    print(f"\ndone in {time.perf_counter() - t0:.0f}s")
    print(
        "open the app with:  .venv/bin/analytics app"
        + ("" if args.warehouse is None else f" --warehouse {path}")
    )
    return 0


def _demo_report_key(warehouse) -> None:  # type: ignore[no-untyped-def]
    """The demo's reports are signed with a local key (``report.key`` beside the warehouse),
    created here by the writing job because the app never writes."""
    from analytics.reports.privacy import load_key

    _, where = load_key(Path(warehouse).resolve(), create=True)
    print(f"[run] report key: {where}")
