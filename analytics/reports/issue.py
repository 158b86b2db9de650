"""Issue a report to a file, or verify one: what ``analytics report`` calls."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from analytics.errors import ConfigError, ReportError
from analytics.reports.params import ReportParams

__all__ = ["FORMATS", "default_out", "issue_report", "render", "verify_file"]

FORMATS = ("json", "html", "pdf")


def render(report: dict[str, Any], fmt: str) -> bytes:
    """The report in ``fmt`` (json, html or pdf) as bytes."""
    if fmt == "json":
        return (json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode(
            "utf-8"
        )
    if fmt == "html":
        from analytics.reports.html import render_html

        return render_html(report).encode("utf-8")
    if fmt == "pdf":
        from analytics.reports.pdf import render_pdf

        return render_pdf(report)
    raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def default_out(report: dict[str, Any], fmt: str) -> Path:
    return Path("reports") / f"{report['vehicle']['id']}_{report['kind']}_{report['as_of']}.{fmt}"


def issue_report(
    warehouse: str | Path | None,
    vehicle: str,
    kind: str,
    *,
    fmt: str = "json",
    out: str | Path | None = None,
    as_of: date | None = None,
    params: ReportParams | None = None,
    include_location: bool = False,
    reveal_vin: bool = False,
    log: bool = True,
    report_notes: list[str] | None = None,
) -> tuple[dict[str, Any], Path]:
    """Build a report from the warehouse, validate it, write it, and log it as issued.

    The warehouse is opened for writing only to append to the log; when other processes
    hold read-only connections (the app), the report is built read-only and not logged, and a
    note saying so is appended to ``report_notes``.
    """
    from analytics.config import resolve_warehouse
    from analytics.reports.build import build_report, resolve_vehicle
    from analytics.reports.data import TableReader
    from analytics.reports.log import log_issued
    from analytics.reports.privacy import load_key
    from analytics.reports.schema import validate_report

    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    report_notes = report_notes if report_notes is not None else []
    path = resolve_warehouse(warehouse)
    key, source = load_key(path.resolve())
    wh, note = _open_for_issue(path, log)
    with wh:
        vid = resolve_vehicle(TableReader(wh), vehicle, key)
        report = build_report(
            wh,
            vid,
            kind,
            as_of=as_of,
            params=params,
            key=key,
            key_source=Path(source).name,
            include_location=include_location,
            reveal_vin=reveal_vin,
        )
        validate_report(report)
        target = Path(out) if out else default_out(report, fmt)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(render(report, fmt))
        except OSError as exc:
            raise ReportError(f"cannot write {target}: {exc}") from exc
        if log and note is None and not log_issued(wh, report, vid, fmt, str(target)):
            note = "this warehouse has no issued_reports table; the report was not logged"
    if note:
        report_notes.append(note)
    return report, target


def _open_for_issue(path: Path, log: bool):  # type: ignore[no-untyped-def]
    """A writable connection when logging is wanted and possible, else a read-only one."""
    from analytics.errors import WarehouseLockedError
    from analytics.warehouse import open_warehouse

    if not log:
        return open_warehouse(path, read_only=True), None
    if not path.exists():
        return open_warehouse(path, read_only=True), None  # raises the usual clear error
    try:
        return open_warehouse(path), None
    except WarehouseLockedError:
        return open_warehouse(path, read_only=True), (
            "the warehouse is open in another process (e.g. the app); "
            "the report was built read-only and not logged"
        )


def verify_file(path: str | Path, warehouse: str | Path | None, *, offline: bool = False):  # type: ignore[no-untyped-def]
    """Verify a saved JSON report; recompute its figures when the warehouse exists."""
    from analytics.config import resolve_warehouse
    from analytics.reports.privacy import load_key
    from analytics.reports.verify import load_report, verify_report
    from analytics.warehouse import open_warehouse

    report = load_report(path)
    wpath = resolve_warehouse(warehouse)
    if offline or not wpath.exists():
        res = verify_report(report)
        if not offline:
            res.messages.append(f"no warehouse at {wpath}: figures not recomputed")
        return res
    try:
        key, _ = load_key(wpath.resolve(), create=False)
    except ConfigError:
        key = None
    from analytics.reports.log import find_issued

    with open_warehouse(wpath, read_only=True) as wh:
        res = verify_report(report, wh, key)
        issued = find_issued(wh, res.derived)
    if issued:
        first = issued[0]
        res.messages.append(
            f"issued by this warehouse: {first['kind']} report for {first['vehicle_ref']} as of "
            f"{first['as_of']}, on {first['issued_on']} ({len(issued)} time(s))"
        )
    else:
        res.messages.append("not found in this warehouse's log of issued reports")
    return res
