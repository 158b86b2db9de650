"""``analytics report``: valuation reports (finance, insurance, utility) and their verification.

analytics report V123 --kind finance [--as-of DATE] [--format html|pdf|json] [--out PATH]
analytics report verify report.json
"""

from __future__ import annotations

import argparse

NAME = "report"
HELP = "issue a finance, insurance or utility report for a vehicle, or verify a saved one"
ORDER = 80
DESCRIPTION = (
    "Issue a report built from the warehouse alone: `analytics report VEHICLE --kind KIND`. "
    "Check a saved JSON report: `analytics report verify FILE.json` (re-derives the fingerprint "
    "and, when the warehouse is at hand, recomputes every figure)."
)

_FLAG_PARAMS = {
    "book_value": "book_value_eur",
    "price_new": "price_new_eur",
    "battery_share": "battery_share_pct",
    "value_per_soh_point": "value_per_soh_point_pct",
    "loan_months": "loan_months",
    "loan_end": "loan_end",
    "tariff": "tariff",
    "term_months": "policy_term_months",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "vehicle", metavar="VEHICLE|verify", help="vehicle id, VIN or pseudonym; or `verify`"
    )
    parser.add_argument(
        "file", nargs="?", metavar="FILE.json", help="with `verify`: the report to check"
    )
    parser.add_argument(
        "--kind",
        choices=("finance", "insurance", "utility"),
        help="report kind (required to issue)",
    )
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        help="report as of this day (default: the vehicle's last day of data)",
    )
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=("json", "html", "pdf"),
        default="json",
        help="output format (default json)",
    )
    parser.add_argument(
        "--out",
        metavar="PATH",
        help="output file (default reports/<vehicle>_<kind>_<as-of>.<format>)",
    )
    parser.add_argument(
        "--params",
        metavar="FILE",
        help="JSON or TOML file of report parameters (see docs/reports.md)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override one report parameter (repeatable)",
    )
    g = parser.add_argument_group("valuation and tariff shortcuts (same as --set)")
    g.add_argument(
        "--book-value", type=float, metavar="EUR", help="current book value of the vehicle"
    )
    g.add_argument(
        "--price-new", type=float, metavar="EUR", help="price new (for the book-value estimate)"
    )
    g.add_argument(
        "--battery-share",
        type=float,
        metavar="PCT",
        help="battery share of the vehicle's value (default 35)",
    )
    g.add_argument(
        "--value-per-soh-point",
        type=float,
        metavar="PCT",
        help="%% of value per SoH point vs cohort (default 0.5)",
    )
    g.add_argument(
        "--loan-months", type=float, metavar="N", help="loan term from the as-of date (default 36)"
    )
    g.add_argument("--loan-end", metavar="DATE", help="loan end date (overrides --loan-months)")
    g.add_argument("--term-months", type=float, metavar="N", help="insurance term (default 12)")
    g.add_argument(
        "--tariff",
        metavar="FILE",
        help="tariff for managed-charging savings (default data/tariffs/tou_ev_example.json if present)",
    )
    parser.add_argument(
        "--include-location", action="store_true", help="include charge locations and exact times"
    )
    parser.add_argument(
        "--reveal-vin",
        action="store_true",
        help="name the vehicle by its id and VIN instead of a pseudonym",
    )
    parser.add_argument(
        "--offline", action="store_true", help="with `verify`: check the fingerprint only"
    )
    parser.add_argument(
        "--no-log",
        action="store_true",
        help="do not record the report in the warehouse's issued_reports log",
    )


def run(args: argparse.Namespace) -> int:
    from datetime import date
    from pathlib import Path

    from analytics.errors import ConfigError, VerificationError

    if args.vehicle == "verify" and args.file:
        from analytics.reports.issue import verify_file

        res = verify_file(args.file, args.warehouse, offline=args.offline)
        for line in res.lines():
            print(line)
        if not res.ok:
            raise VerificationError(f"{args.file} failed verification (see above)")
        return 0
    if args.file:
        raise ConfigError(
            f"unexpected argument {args.file!r}; to check a report use `analytics report verify FILE.json`"
        )
    if args.vehicle == "verify":
        raise ConfigError(
            "`analytics report verify` needs the report file: analytics report verify FILE.json"
        )
    if not args.kind:
        raise ConfigError("choose the report kind with --kind finance|insurance|utility")
    from analytics.reports.issue import issue_report
    from analytics.reports.params import load_params

    overrides: dict[str, object] = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set expects NAME=VALUE, got {item!r}")
        overrides[name.strip()] = value.strip()
    for flag, name in _FLAG_PARAMS.items():
        value = getattr(args, flag)
        if value is not None:
            overrides[name] = value
    default_tariff = Path("data/tariffs/tou_ev_example.json")
    if args.kind == "utility" and "tariff" not in overrides and default_tariff.is_file():
        overrides["tariff"] = str(default_tariff)
    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError as exc:
        raise ConfigError(f"--as-of {args.as_of!r} is not a date (YYYY-MM-DD)") from exc
    params = load_params(args.params, overrides)
    notes: list[str] = []
    report, path = issue_report(
        args.warehouse,
        args.vehicle,
        args.kind,
        fmt=args.fmt,
        out=args.out,
        as_of=as_of,
        params=params,
        include_location=args.include_location,
        reveal_vin=args.reveal_vin,
        log=not args.no_log,
        report_notes=notes,
    )
    suff = report["data_sufficiency"]
    cap = report["sections"]["state_of_health"].get("capacity_soh") or {}
    soh = (
        "no SoH"
        if cap.get("value") is None
        else (
            f"SoH {cap['value']:.1f} %"
            + (
                f" (90 % interval {cap['low']:.1f} – {cap['high']:.1f})"
                if cap.get("low") is not None
                else ""
            )
        )
    )
    print(
        f"{report['kind']} report for {report['vehicle']['id']} as of {report['as_of']}: {soh}, data grade {suff['grade']}"
    )
    for key, sec in report["sections"].items():
        if sec.get("status") == "missing":
            print(f"  {key}: missing — {'; '.join(sec.get('notes', []))}")
    print(f"fingerprint {report['fingerprint']['value']}")
    print(f"written to {path}")
    for note in notes:
        print(f"note: {note}")
    return 0
