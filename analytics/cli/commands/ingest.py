"""``analytics ingest``: raw CAN logs, decoded exports and vehicle metadata into the warehouse."""

from __future__ import annotations

import argparse
import os

from analytics.execute.options import add_executor_option

NAME = "ingest"
HELP = "ingest telemetry files (CAN logs with DBCs, decoded exports, vehicle metadata)"
ORDER = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to ingest")
    parser.add_argument("--vehicle", metavar="ID", help="vehicle id for files that carry none")
    parser.add_argument("--format", dest="fmt", metavar="NAME", help="force the input format")
    parser.add_argument(
        "--dbc",
        action="append",
        default=[],
        metavar="[BUS=]FILE",
        help="DBC for raw CAN logs; repeat per bus/channel (e.g. --dbc 0=pt.dbc --dbc 1=bms.dbc)",
    )
    parser.add_argument(
        "--signal-map",
        action="append",
        default=[],
        metavar="FILE",
        help="map DBC Message.Signal to catalog signals (default: the map shipped for the DBC)",
    )
    parser.add_argument(
        "--column-map", metavar="FILE", help="map wide-export columns to catalog signals"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_executor_option(parser)
    parser.add_argument(
        "--lake",
        metavar="DIR",
        default=os.environ.get("ANALYTICS_LAKE") or None,
        help="store signals in the Parquet/Iceberg lake DIR, remembered by the warehouse "
        "(default: $ANALYTICS_LAKE; docs/lake.md)",
    )


def run(args: argparse.Namespace) -> int:
    from analytics.execute.options import executor_from_args
    from analytics.ingest import ingest_paths
    from analytics.warehouse import open_warehouse

    options = {"dbc": args.dbc, "signal_map": args.signal_map, "column_map": args.column_map}
    # without --executor / $ANALYTICS_EXECUTOR, raw logs are decoded on every core as before
    with open_warehouse(args.warehouse) as wh, executor_from_args(args, default=None) as ex:
        if args.lake:
            from analytics.lake import configure

            configure(wh, args.lake)
        results = ingest_paths(
            wh,
            args.paths,
            fmt=args.fmt,
            vehicle_id=args.vehicle,
            options=options,
            show_progress=not args.quiet,
            executor=ex,
        )
    failed = 0
    for r in results:
        print(r.summary())
        for i in r.issues:
            where = f" at {i.location}" if i.location else ""
            ex = f"; e.g. {i.example}" if i.example else ""
            detail = f" ({i.detail})" if i.detail else ""
            print(f"  {i.severity}: {i.count:,} × {i.reason}{detail}{where}{ex}")
        failed += r.status == "failed"
    if failed:
        print(f"error: {failed} of {len(results)} file(s) failed; see above", flush=True)
        return 2
    return 0
