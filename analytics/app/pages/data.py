"""Data: the sources ingested, what was skipped and why, data-quality flags per vehicle."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.app.context import PageContext, run_page
from analytics.app.tables import Col, show

__all__ = ["render"]

_BY_FORMAT = {
    "format": Col("Format"),
    "status": Col("Status"),
    "files": Col("Files", "localized"),
    "rows": Col("Rows written", "localized"),
    "records skipped": Col("Records skipped", "localized"),
}
_FILES = {
    "source_id": Col("Source", "localized"),
    "path": Col("File", width="large"),
    "format": Col("Format"),
    "vehicle_id": Col("Vehicle"),
    "status": Col("Status"),
    "records_read": Col("Records read", "localized"),
    "records_decoded": Col("Decoded", "localized"),
    "records_skipped": Col("Skipped", "localized"),
    "rows_written": Col("Rows written", "localized"),
    "bytes": Col("Bytes", "localized"),
    "started_at": Col("Started (UTC)"),
    "duration_s": Col("Duration (s)", "%.1f"),
    "message": Col("Message", width="large"),
}
_ISSUES = {
    "severity": Col("Severity"),
    "reason": Col("Reason", width="medium"),
    "count": Col("Rows", "localized"),
    "files": Col("Files", "localized"),
    "example": Col("Example", width="large"),
    "location": Col("Where", width="medium"),
}
_QUARANTINE = {
    "vehicle_id": Col("Vehicle"),
    "signal": Col("Signal", width="medium"),
    "reason": Col("Reason", width="medium"),
    "count": Col("Rows", "localized"),
    "example": Col("Example", width="large"),
}
_QUALITY = {
    "vehicle_id": Col("Vehicle"),
    "grade": Col("Grade"),
    "coverage_pct": Col("Coverage (%)", "%.1f"),
    "span_days": Col("Span (days)", "%.1f"),
    "covered_days": Col("Covered (days)", "%.1f"),
    "n_signals": Col("Signals", "localized"),
    "n_rows": Col("Rows", "localized"),
    "missing_data_days": Col("Missing data (days)", "%.2f", "Gaps while the logger was on"),
    "logger_off_days": Col("Logger off (days)", "%.2f"),
    "stuck_signals": Col("Stuck signals", "localized"),
    "out_of_range_rows": Col("Out of range", "localized", "Rows outside the catalog's valid range"),
    "rejected_rows": Col("Rejected", "localized"),
    "clock_jumps": Col("Clock jumps", "localized"),
    "odometer_rollbacks": Col("Odometer rollbacks", "localized"),
    "stuck_sensor_events": Col("Stuck-sensor events", "localized"),
    "flags": Col("Flags", width="large"),
}


def _sources(ctx: PageContext) -> None:
    st.subheader("Sources ingested")
    src: pl.DataFrame = ctx.read("sources")
    if not src.height:
        st.caption("No files recorded (data may have been loaded without `analytics ingest`).")
        return
    by = src.group_by("format", "status").agg(
        pl.len().alias("files"),
        pl.col("rows_written").sum().alias("rows"),
        pl.col("records_skipped").sum().alias("records skipped"),
    )
    c = st.columns(3)
    c[0].metric("Files", f"{src.height:,}")
    c[1].metric("Rows written", f"{int(src['rows_written'].fill_null(0).sum()):,}")
    c[2].metric("Records skipped", f"{int(src['records_skipped'].fill_null(0).sum()):,}")
    show(by.sort("format", "status"), _BY_FORMAT)
    with st.expander(f"All {src.height} files"):
        show(src, _FILES)


def _skipped(ctx: PageContext) -> None:
    st.subheader("What was skipped, and why")
    got = ctx.read("ingest_issues")
    if got["issues"].height:
        show(got["issues"], _ISSUES)
    else:
        st.caption("Ingest recorded no issues.")
    quarantine: pl.DataFrame = got["quarantine"]
    if quarantine.height:
        reasons = ", ".join(
            sorted({r.replace("_", " ") for r in quarantine["reason"].drop_nulls()})
        )
        st.caption(
            "Rows not stored, kept aside in `quarantine` by vehicle, signal and reason "
            f"({reasons}):"
        )
        show(quarantine, _QUARANTINE)


def _quality(ctx: PageContext) -> None:
    st.subheader("Data quality per vehicle")
    if ctx.rows("quality_vehicles") == 0:
        st.info("No data-quality results yet: run `analytics quality` (or `analytics run`).")
        return
    q: pl.DataFrame = ctx.read("quality_vehicles")
    grades = q.group_by("grade").len().sort("grade")
    st.caption("Grades: " + ", ".join(f"{g} {n}" for g, n in grades.iter_rows()) + ". Worst first.")
    show(q, _QUALITY)


def _body(ctx: PageContext) -> None:
    st.header("Data")
    _sources(ctx)
    _skipped(ctx)
    _quality(ctx)


def render() -> None:
    """Draw the Data page."""
    run_page(_body, "Data")


if __name__ == "__main__":
    render()
