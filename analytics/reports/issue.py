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
) -> tuple[dict[str, Any], Path]:
    """Build a report from the warehouse (opened read-only), validate it, and write it."""
    from analytics.config import resolve_warehouse
    from analytics.reports.build import build_report
    from analytics.reports.privacy import load_key
    from analytics.reports.schema import validate_report
    from analytics.warehouse import open_warehouse

    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = resolve_warehouse(warehouse)
    key, source = load_key(path.resolve())
    with open_warehouse(path, read_only=True) as wh:
        report = build_report(
            wh,
            vehicle,
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
    return report, target


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
    with open_warehouse(wpath, read_only=True) as wh:
        return verify_report(report, wh, key)
