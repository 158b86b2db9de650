"""Entry point of the ``analytics`` console script.

Subcommands are the modules of :mod:`analytics.cli.commands`; each defines ``NAME``,
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int`` and imports heavy libraries
inside ``run`` so that ``analytics --help`` stays fast. Every :class:`AnalyticsError` becomes
one line ``error: …`` and exit status 2; ``--debug`` shows the traceback instead.

A command that writes the warehouse publishes a serving snapshot when it succeeds
(:mod:`analytics.serving`), so the app and notebooks see its result as one complete version;
``--no-publish`` skips that (e.g. between steps of a longer job).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from analytics.errors import AnalyticsError

__all__ = ["build_parser", "main"]

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
# Commands that write the warehouse; each publishes a serving snapshot when it succeeds.
PUBLISHING = frozenset({"ingest", "quality", "sessions", "soh", "forecast", "charging", "run"})


def _common_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--warehouse",
        metavar="PATH",
        default=default,
        help="DuckDB warehouse file (default: $ANALYTICS_WAREHOUSE or data/warehouse.duckdb)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="show full tracebacks and debug logging",
    )
    parser.add_argument(
        "--no-publish",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="do not publish a serving snapshot after a writing command",
    )


def _command_modules() -> list[ModuleType]:
    from analytics.cli import commands

    mods = []
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mods.append(importlib.import_module(f"analytics.cli.commands.{info.name}"))
    mods.sort(key=lambda m: getattr(m, "ORDER", 50))
    return mods


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    from analytics import __version__

    parser = argparse.ArgumentParser(
        prog="analytics",
        description="Battery intelligence workbench: EV telemetry to sessions, state of health, "
        "forecasts, charging models and reports, in one DuckDB file.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _common_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for mod in _command_modules():
        p = sub.add_parser(
            mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP)
        )
        _common_options(p, top=False)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s" if args.debug else "%(message)s",
        stream=sys.stderr,
    )
    if not args.debug:  # third-party chatter (e.g. numexpr's thread count) is not for users
        for noisy in ("numexpr", "matplotlib", "fontTools", "asammdf", "can"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        status = int(args._run(args) or 0)
        if status == 0 and _publishes(args):
            try:
                _publish(args.warehouse)
            except AnalyticsError as exc:
                raise AnalyticsError(
                    f"the results are committed to the warehouse, but publishing the serving "
                    f"snapshot failed ({exc}); run `analytics publish` when that is fixed"
                ) from exc
        return status
    except AnalyticsError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(
            "error: interrupted; the warehouse keeps only what was fully committed", file=sys.stderr
        )
        return EXIT_INTERRUPTED


def _publishes(args: argparse.Namespace) -> bool:
    if args.no_publish or args.command not in PUBLISHING:
        return False
    if getattr(args, "show_only", False):  # `quality --show-only` only reads
        return False
    return getattr(args, "action", None) in (None, "build")  # `charging simulate` writes nothing


def _publish(warehouse: str | None) -> None:
    from analytics.cli.commands.publish import publish

    publish(warehouse, sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
