"""``analytics dbc inspect``: what a DBC holds, what was repaired to load it, what maps."""

from __future__ import annotations

import argparse

NAME = "dbc"
HELP = "inspect DBC files: messages, signals, repairs applied, signals mapped to the catalog"
ORDER = 26


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    p = sub.add_parser("inspect", help="list messages, signals, repairs and catalog mapping")
    p.add_argument("file", metavar="FILE", help="DBC file")
    p.add_argument("--signal-map", metavar="FILE", help="map to check (default: the shipped one)")
    p.add_argument("--signals", action="store_true", help="list every signal of every message")


def run(args: argparse.Namespace) -> int:
    from analytics.can.inspect import inspect_dbc

    for line in inspect_dbc(args.file, args.signal_map, all_signals=args.signals):
        print(line)
    return 0
