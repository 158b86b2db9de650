"""``analytics publish``: publish a serving snapshot of the warehouse now."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

NAME = "publish"
HELP = "publish a serving snapshot for the app and notebooks (writing commands do it themselves)"
DESCRIPTION = (
    "Copy the warehouse into a new read-only serving snapshot and make it current. Writing "
    "commands publish on success; use this after writing the warehouse from a notebook or "
    "with --no-publish. Readers (the app, notebooks) open the newest snapshot and never wait "
    "on a writer."
)
ORDER = 85


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--list", action="store_true", help="show the current snapshot instead of publishing"
    )


def run(args: argparse.Namespace) -> int:
    from analytics.config import resolve_warehouse
    from analytics.serving import current_snapshot

    path = resolve_warehouse(args.warehouse)
    if args.list:
        info = current_snapshot(path)
        if info is None:
            print(f"no serving snapshot of {path} yet; run `analytics publish`")
            return 0
        print(f"v{info.version} published {info.created:%Y-%m-%d %H:%M:%S} UTC: {info.path}")
        for name, rows in sorted(info.tables.items()):
            print(f"  {name:32s} {rows:>12,}")
        return 0
    publish(path)
    return 0


def publish(warehouse: str | os.PathLike[str] | None, out: TextIO | None = None) -> None:
    """Publish a serving snapshot of ``warehouse`` now and say so on ``out`` (stdout)."""
    from analytics.serving import publish_snapshot
    from analytics.warehouse import open_warehouse

    with open_warehouse(warehouse) as wh:
        info = publish_snapshot(wh)
    print(
        f"published serving snapshot v{info.version} ({len(info.tables)} tables) "
        f"in {info.seconds:.1f} s: {info.path}",
        file=out or sys.stdout,
    )
