"""Valuation reports (finance, insurance, utility): JSON with a fingerprint, HTML and PDF.

Build a report with :func:`build_report`, check one with :func:`verify_report`, render it with
:func:`render_html` / :func:`render_pdf`. Heavy renderers import lazily.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "KINDS",
    "ReportParams",
    "build_report",
    "canonical_json",
    "fingerprint",
    "load_params",
    "render_html",
    "render_pdf",
    "validate_report",
    "verify_report",
]


def __getattr__(name: str) -> Any:
    if name in {"KINDS", "build_report"}:
        from analytics.reports import build

        return getattr(build, name)
    if name in {"canonical_json", "fingerprint"}:
        from analytics.reports import canonical

        return getattr(canonical, name)
    if name in {"ReportParams", "load_params"}:
        from analytics.reports import params

        return getattr(params, name)
    if name == "render_html":
        from analytics.reports.html import render_html

        return render_html
    if name == "render_pdf":
        from analytics.reports.pdf import render_pdf

        return render_pdf
    if name == "validate_report":
        from analytics.reports.schema import validate_report

        return validate_report
    if name == "verify_report":
        from analytics.reports.verify import verify_report

        return verify_report
    raise AttributeError(f"module 'analytics.reports' has no attribute {name!r}")
