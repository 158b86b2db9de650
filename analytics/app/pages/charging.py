"""Charging: archetypes, the fleet's flexibility envelope, managed-charging simulation
against a tariff, and the 7-day load forecast."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.app import figures, reports
from analytics.app.context import PageContext, guarded, need, run_page, select_vehicle
from analytics.app.tables import Col, show
from analytics.errors import ChargingError

__all__ = ["render"]

_SHARE = "Share of charging sessions (0..1)"
_ARCHETYPES = {
    "vehicle_id": Col("Vehicle"),
    "archetype": Col("Archetype", width="medium"),
    "archetype_fit": Col("Fit", "%.2f", "How close the vehicle is to its archetype (0..1)"),
    "sessions_per_week": Col("Sessions / week", "%.1f"),
    "home_share": Col("Home", "%.2f", _SHARE + " at home"),
    "work_share": Col("Work", "%.2f", _SHARE + " at work"),
    "public_share": Col("Public", "%.2f", _SHARE + " at public chargers"),
    "dc_energy_share": Col("DC energy", "%.2f", "Share of charged energy from DC fast charging"),
    "overnight_share": Col("Overnight", "%.2f", _SHARE + " overnight"),
    "median_soc_out_pct": Col("Median SoC at unplug (%)", "%.0f"),
    "stability": Col("Stability", "%.2f", "How steady the archetype is week to week (0..1)"),
}


def _archetypes(ctx: PageContext) -> None:
    st.subheader("Archetypes")
    if not need(ctx, "charging_profiles", "analytics charging", "Charging archetypes"):
        return
    profiles: pl.DataFrame = ctx.read("archetypes")
    left, right = st.columns([1, 2])
    left.plotly_chart(figures.archetype_bar(profiles), key="archetypes")
    with right:  # no fixed height: a short fleet leaves no empty rows
        show(profiles, _ARCHETYPES)


def _flexibility(ctx: PageContext) -> None:
    st.subheader("Flexibility envelope")
    if not need(ctx, "charging_flexibility", "analytics charging", "The envelope"):
        return
    weeks = ctx.read("flexibility_weeks")
    week = st.selectbox(
        "Week starting (UTC)", weeks, format_func=lambda w: f"{w:%Y-%m-%d}", key="flex_week"
    )
    env = ctx.read("flexibility_envelope", week)
    left, right = st.columns(2)
    if env["week"].height:
        left.plotly_chart(figures.flexibility_week(env["week"]), key="flex_week_fig")
    if env["day"].height:
        right.plotly_chart(figures.flexibility_day(env["day"]), key="flex_day_fig")


def _simulation(ctx: PageContext) -> None:
    st.subheader("Managed charging")
    if not need(ctx, "charging_sessions", "analytics charging", "Managed charging"):
        return
    files = reports.tariff_files()
    if not files:
        st.info("No tariff files found in data/tariffs/.")
        return
    names = [p.name for p in files]
    c = st.columns(3)
    pick = c[0].selectbox(
        "Tariff",
        names,
        index=names.index("tou_ev_example.json") if "tou_ev_example.json" in names else 0,
        key="sim_tariff",
    )
    scope = c[1].radio("Vehicles", ["selected vehicle", "whole fleet"], key="sim_scope")
    weeks = int(c[2].number_input("Last weeks", min_value=1, value=4, step=1, key="sim_weeks"))
    ids = None
    if scope == "selected vehicle":
        vid = select_vehicle(ctx)
        if vid is None:
            return
        ids = (vid,)
    tariff = str(next(p for p in files if p.name == pick))
    try:
        result = ctx.read("managed_charging", tariff, ids, weeks)
    except ChargingError as exc:
        st.info(f"Nothing to simulate for {scope} in the last {weeks} weeks: {exc}")
        return
    s = result["summary"]
    m = st.columns(4)
    m[0].metric("kWh shifted", f"{s['kwh_shifted']:,.1f}", help=f"{s['share_shifted_pct']:.1f} %")
    m[1].metric(
        "Peak load",
        f"{s['peak_kw_after']:,.1f} kW",
        f"{s['peak_kw_after'] - s['peak_kw_before']:+,.1f} kW",
        delta_color="inverse",
    )
    if s.get("cost_saved") is not None:
        m[2].metric(
            "Cost saved", f"{round(s['cost_saved'], 2) + 0.0:,.2f} {s.get('currency') or ''}"
        )
    if s.get("emissions_saved_kg") is not None:
        m[3].metric("CO2e saved", f"{s['emissions_saved_kg']:,.1f} kg")
    if result["hourly"].height:
        st.plotly_chart(figures.managed_hourly(result["hourly"]), key="managed")
    st.code("\n".join(result["lines"]), language=None)


def _forecast(ctx: PageContext) -> None:
    frame: pl.DataFrame = ctx.read("load_forecast")
    if frame.height:
        st.subheader("Load forecast")
        st.plotly_chart(figures.load_forecast(frame), key="load_forecast")


def _body(ctx: PageContext) -> None:
    st.header("Charging")
    if not need(ctx, "charging_sessions", "analytics charging", "The Charging page"):
        return
    for section, name in (
        (_archetypes, "Archetypes"),
        (_flexibility, "The flexibility envelope"),
        (_simulation, "Managed charging"),
        (_forecast, "The load forecast"),
    ):
        with guarded(name):
            section(ctx)


def render() -> None:
    """Draw the Charging page."""
    run_page(_body, "Charging")


if __name__ == "__main__":
    render()
