"""Fleet: KPIs, SoH distribution, degradation curves by cohort, and the vehicle table."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.app import figures
from analytics.app.context import VEHICLE_KEY, PageContext, need, run_page
from analytics.app.queries import COHORT_GROUPS
from analytics.app.tables import Col, show

__all__ = ["apply_filters", "kpis", "render", "with_intervals"]

_TABLE_COLUMNS = {
    "vehicle_id": Col("Vehicle", pinned=True),  # stays in view when the table scrolls
    "model": Col("Model"),
    "chemistry": Col("Chemistry"),
    "climate": Col("Climate"),
    "age_years": Col("Age (y)", "%.1f"),
    "soh_pct": Col("SoH (%)", "%.1f", "Latest fused capacity SoH"),
    "soh_interval": Col("SoH 90 % interval", help="Low – high end of the SoH's 90 % interval"),
    "breach_probability": Col(
        "Forecast risk",
        "percent",
        "Highest probability of breaching a regulatory or warranty SoH threshold "
        "(empty without a SoH)",
    ),
    "soh_80_date": Col(
        "SoH 80 % date", "YYYY-MM-DD", "Baseline forecast's expected date of SoH 80 %"
    ),
    "soh_80_interval": Col(
        "SoH 80 % range", help="Earliest – latest month of that date's 90 % interval"
    ),
    "treatment_score": Col("Treatment", "%.0f", "0 harsh .. 100 gentle (charging habits)"),
    "coverage_pct": Col("Coverage (%)", "%.0f", "Share of the time span with data"),
    "quality_grade": Col("Data quality"),
}


def apply_filters(
    fleet: pl.DataFrame,
    models: list[str],
    chemistries: list[str],
    climates: list[str],
    age: tuple[float, float] | None,
) -> pl.DataFrame:
    """The fleet rows matching the filters (an empty choice means no restriction)."""
    out = fleet
    for col, chosen in (("model", models), ("chemistry", chemistries), ("climate", climates)):
        if chosen:
            out = out.filter(pl.col(col).is_in(chosen))
    if age is not None:
        out = out.filter(pl.col("age_years").is_between(age[0], age[1]))
    return out


def _filters(fleet: pl.DataFrame) -> pl.DataFrame:
    c = st.columns(4)
    models = c[0].multiselect(
        "Make / model", fleet["model"].unique().sort().to_list(), key="f_model"
    )
    chems = c[1].multiselect(
        "Chemistry", fleet["chemistry"].unique().sort().to_list(), key="f_chem"
    )
    climates = c[2].multiselect("Climate", fleet["climate"].unique().sort().to_list(), key="f_clim")
    ages = fleet["age_years"].drop_nulls()
    age = None
    if ages.len() and ages.max() > ages.min():
        lo, hi = float(ages.min()) // 0.5 * 0.5, (float(ages.max()) // 0.5 + 1) * 0.5
        chosen = c[3].slider("Age (years)", lo, hi, (lo, hi), step=0.5, key="f_age")
        if chosen != (lo, hi):
            age = chosen
    return apply_filters(fleet, models, chems, climates, age)


def kpis(sel: pl.DataFrame) -> None:
    """The four KPIs of the selected vehicles: count, data coverage, median SoH and spread."""
    soh = sel["soh_pct"].drop_nulls()
    cov = sel["coverage_pct"].drop_nulls()
    c = st.columns(4)
    c[0].metric("Vehicles", f"{sel.height:,}", help=f"{soh.len()} with a state of health")
    c[1].metric(
        "Data coverage",
        f"{cov.median():.0f} %" if cov.len() else "—",
        help="Median share of each vehicle's time span with data (quality stage)",
    )
    p10 = p90 = None
    if soh.len() >= 2:
        p10, p90 = soh.quantile(0.1, "linear"), soh.quantile(0.9, "linear")
    c[2].metric(
        "Median SoH",
        f"{soh.median():.1f} %" if soh.len() else "—",
        help="Median of each vehicle's latest capacity SoH"
        + (f"; 10th–90th percentile {p10:.1f} – {p90:.1f} %" if p10 is not None else ""),
    )
    if p10 is not None and p90 is not None:
        c[3].metric(
            "SoH spread",
            f"{p90 - p10:.1f} pts",
            help=f"10th to 90th percentile of the latest SoH: {p10:.1f} – {p90:.1f} %",
        )
    else:
        c[3].metric("SoH spread", "—")


def with_intervals(fleet: pl.DataFrame) -> pl.DataFrame:
    """The fleet rows plus each interval as one short text (``92.0 – 94.1``,
    ``2031-05 – 2034-02``), empty where an end is missing, so the table stays narrow."""
    return fleet.with_columns(
        pl.format(
            "{} – {}",
            pl.col("soh_low_pct").round(1).cast(pl.String),
            pl.col("soh_high_pct").round(1).cast(pl.String),
        ).alias("soh_interval"),
        pl.format(
            "{} – {}",
            pl.col("soh_80_date_low").dt.strftime("%Y-%m"),
            pl.col("soh_80_date_high").dt.strftime("%Y-%m"),
        ).alias("soh_80_interval"),
    )


def _table(sel: pl.DataFrame) -> None:
    st.subheader("Vehicles")
    st.caption("Lowest SoH first; click a column to sort, a row to select the vehicle.")
    shown = with_intervals(sel)
    event = show(
        shown,
        _TABLE_COLUMNS,
        on_select="rerun",
        selection_mode="single-row",
        key="fleet_table",
    )
    rows = event.selection.rows if event is not None and hasattr(event, "selection") else []
    if rows:
        vid = shown["vehicle_id"][rows[0]]
        st.session_state[VEHICLE_KEY] = vid
        st.page_link("analytics/app/pages/vehicle.py", label=f"Open {vid} on the Vehicle page")


def _body(ctx: PageContext) -> None:
    st.header("Fleet")
    fleet: pl.DataFrame = ctx.read("fleet_vehicles")
    sel = _filters(fleet)
    kpis(sel)
    if sel.height == 0:
        st.info("No vehicle matches these filters.")
        return
    if need(ctx, "soh", "analytics run", "The SoH distribution"):
        left, right = st.columns(2)
        left.plotly_chart(figures.soh_histogram(sel), key="soh_hist")
        with right:
            by = st.selectbox("Curves by", list(COHORT_GROUPS), key="bands_by")
            ids = None if sel.height == fleet.height else tuple(sel["vehicle_id"].to_list())
            bands = ctx.read("cohort_bands", by, ids)
            if bands.height:
                st.plotly_chart(figures.cohort_bands(bands, by), key="bands")
            else:
                st.info(
                    "No degradation curves yet: they need each vehicle's age (registration "
                    "date, or `analytics forecast`) and at least two vehicles per group and "
                    "age bin."
                )
    _table(sel)


def render() -> None:
    """Draw the Fleet page."""
    run_page(_body, "Fleet")


if __name__ == "__main__":
    render()
