"""``analytics decode``: raw CAN logs to Parquet, every signal of every message, no warehouse."""

from __future__ import annotations

import argparse

NAME = "decode"
HELP = "decode raw CAN logs to Parquet (one file per message, every DBC signal)"
ORDER = 25


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logs", nargs="+", metavar="LOG", help="candump, ASC, BLF, MF4 or CSV logs")
    parser.add_argument(
        "--dbc",
        action="append",
        required=True,
        metavar="[BUS=]FILE",
        help="DBC; repeat per bus (e.g. --dbc can0=pt.dbc --dbc can1=bms.dbc)",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder for Parquet")
    parser.add_argument("--format", dest="fmt", metavar="NAME", help="force the log format")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from analytics.can.export import decode_logs

    with tqdm(unit="frame", unit_scale=True, disable=args.quiet, leave=False) as bar:
        s = decode_logs(args.logs, args.dbc, args.out, fmt=args.fmt, progress=bar)
    rate = s.frames / s.duration_s if s.duration_s else 0.0
    print(
        f"{s.frames:,} frames read, {s.decoded:,} decoded, {s.skipped:,} skipped in "
        f"{s.duration_s:.1f}s ({rate:,.0f} frames/s); {len(s.files)} Parquet file(s) in {args.out}"
    )
    for path, rows in sorted(s.files.items()):
        print(f"  {rows:>10,}  {path}")
    for i in s.issues.items():
        ex = f"; e.g. {i.example}" if i.example else ""
        print(f"  {i.severity}: {i.count:,} × {i.reason}{f' ({i.detail})' if i.detail else ''}{ex}")
    return 0
