"""Data: the sources ingested, what was skipped and why, data-quality flags per vehicle."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.app.context import PageContext, run_page

__all__ = ["render"]


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
    st.dataframe(by.sort("format", "status"), hide_index=True)
    with st.expander(f"All {src.height} files"):
        st.dataframe(src, hide_index=True)


def _skipped(ctx: PageContext) -> None:
    st.subheader("What was skipped, and why")
    got = ctx.read("ingest_issues")
    if got["issues"].height:
        st.dataframe(got["issues"], hide_index=True)
    else:
        st.caption("Ingest recorded no issues.")
    if got["quarantine"].height:
        st.caption("Values outside the catalog's valid range, kept aside in `quarantine`:")
        st.dataframe(got["quarantine"], hide_index=True)


def _quality(ctx: PageContext) -> None:
    st.subheader("Data quality per vehicle")
    if ctx.rows("quality_vehicles") == 0:
        st.info("No data-quality results yet: run `analytics quality` (or `analytics run`).")
        return
    q: pl.DataFrame = ctx.read("quality_vehicles")
    grades = q.group_by("grade").len().sort("grade")
    st.caption("Grades: " + ", ".join(f"{g} {n}" for g, n in grades.iter_rows()) + ". Worst first.")
    st.dataframe(
        q,
        hide_index=True,
        column_config={
            "coverage_pct": st.column_config.NumberColumn("coverage (%)", format="%.1f"),
            "span_days": st.column_config.NumberColumn(format="%.1f"),
            "covered_days": st.column_config.NumberColumn(format="%.1f"),
            "missing_data_days": st.column_config.NumberColumn(format="%.2f"),
            "logger_off_days": st.column_config.NumberColumn(format="%.2f"),
        },
    )


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
