"""Vehicle: SoH with its interval and observations, resistance, forecast and milestones,
sessions timeline and a signal explorer."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
import streamlit as st

from analytics.app import figures
from analytics.app.context import PageContext, run_page, select_vehicle
from analytics.app.tables import Col, show

__all__ = ["DEFAULT_SIGNALS", "headline", "latest_soh", "render"]

DEFAULT_SIGNALS = (
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
    "Vehicle.Powertrain.TractionBattery.CurrentPower",
    "Vehicle.Powertrain.TractionBattery.CurrentCurrent",
    "Vehicle.Speed",
)


def latest_soh(soh: pl.DataFrame) -> dict[str, Any] | None:
    """The latest day with a fused capacity SoH, or None."""
    s = soh.filter(pl.col("soh_pct").is_not_null()) if soh.height else soh
    return s.row(-1, named=True) if s.height else None


def _utc(d: date) -> datetime:
    return datetime.combine(d, time(), tzinfo=UTC)


def _range(label: str, first: date, last: date, days: int, key: str) -> tuple[datetime, datetime]:
    """A date-range picker inside the data span; [start, end) as UTC datetimes."""
    default = (max(first, last - timedelta(days=days - 1)), last)
    got = st.date_input(label, value=default, min_value=first, max_value=last, key=key)
    picked = tuple(got) if isinstance(got, list | tuple) else (got,)
    start = picked[0] if picked else default[0]
    end = picked[1] if len(picked) > 1 else start
    return _utc(start), _utc(end) + timedelta(days=1)


def _interval(row: dict[str, Any], name: str, fmt: str) -> str:
    """``90 % interval low – high %`` of ``<name>_low_pct``/``_high_pct`` (or say it is missing)."""
    low, high = row.get(f"{name}_low_pct"), row.get(f"{name}_high_pct")
    if low is None or high is None:
        return "no interval"
    return f"90 % interval {fmt.format(low)} – {fmt.format(high)} %"


_MILESTONES = {
    "threshold_id": Col("Threshold", width=130),
    "soh_threshold_pct": Col("At SoH (%)", "%.0f"),
    "limit_years": Col("Within (y)", "%.0f", "Warranty or regulatory age limit"),
    "expected_date": Col("Expected", "YYYY-MM-DD", "Baseline forecast's expected date"),
    "date_low": Col("Earliest", "YYYY-MM-DD", "Early end of the date's interval"),
    "date_high": Col("Latest", "YYYY-MM-DD", "Late end of the date's interval"),
    "expected_odometer_km": Col("Odometer then (km)", "localized"),
    "breach_probability": Col(
        "Breach probability", "percent", "Probability of reaching the SoH within the limit"
    ),
    "note": Col("Note", width="large"),
    "source": Col("Source", width="large"),
}


def headline(vid: str, d: dict[str, Any]) -> None:
    """The vehicle's header, description and latest SoH, energy SoH and resistance growth
    with their intervals (``d``: the ``vehicle_detail`` query's result)."""
    v = d["vehicle"]
    st.header(f"Vehicle {vid}")
    if v:
        st.caption(
            f"{v.get('make') or ''} {v.get('model') or ''} · {v.get('chemistry') or 'chemistry unknown'}"
            f" · {v.get('nominal_capacity_kwh') or '?'} kWh nominal"
            + (
                f" · registered {v['first_registration_date']}"
                if v.get("first_registration_date")
                else ""
            )
        )
    last = latest_soh(d["soh"])
    c = st.columns(4)
    if last is None:
        c[0].metric("SoH", "not available")
        st.info(
            f"No state of health for {vid} yet: it needs charge or rest sessions. "
            "Run `analytics run` (sessions, then soh) once more data is ingested."
        )
        return
    interval = _interval(last, "soh", "{:.1f}")
    c[0].metric("SoH", f"{last['soh_pct']:.1f} %", help=f"Latest fused capacity SoH; {interval}")
    c[0].caption(interval)
    if last.get("energy_soh_pct") is not None:
        e_int = _interval(last, "energy_soh", "{:.1f}")
        c[1].metric("Energy SoH", f"{last['energy_soh_pct']:.1f} %", help=f"Usable energy; {e_int}")
        c[1].caption(e_int)
    if last.get("resistance_growth_pct") is not None:
        r_int = _interval(last, "resistance_growth", "{:+.1f}")
        c[2].metric(
            "Resistance growth",
            f"{last['resistance_growth_pct']:+.1f} %",
            help=f"Internal resistance against the vehicle's first weeks; {r_int}",
        )
        c[2].caption(r_int)
    c[3].metric("As of", str(last["date"]), help=f"Fusion method: {last['method']}")
    c[3].caption(f"{last['n_observations_total']:,} observations")


def _health(d: dict[str, Any]) -> None:
    st.plotly_chart(
        figures.vehicle_soh(d["soh"], d["observations"], d["forecast"], d["milestones"]),
        key="vehicle_soh",
    )
    soh = d["soh"]
    if soh.height and soh["resistance_growth_pct"].is_not_null().any():
        st.plotly_chart(figures.resistance_growth(soh), key="resistance")
    m = d["milestones"]
    if m.height:
        st.subheader("Forecast milestones and threshold breaches")
        km = pl.col("expected_odometer_km").round(0).cast(pl.Int64)  # shown with separators
        show(m.with_columns(km), _MILESTONES)
    elif d["forecast"].height == 0:
        st.caption("No forecast for this vehicle yet (`analytics forecast`).")


def _span(ctx: PageContext, vid: str, d: dict[str, Any]) -> tuple[pl.DataFrame, date, date] | None:
    sigs: pl.DataFrame = ctx.read("vehicle_signals", vid)
    if sigs.height:
        return sigs, sigs["first_ts"].min().date(), sigs["last_ts"].max().date()
    if d["soh"].height:
        return sigs, d["soh"]["date"].min(), d["soh"]["date"].max()
    return None


def _sessions(ctx: PageContext, vid: str, first: date, last: date) -> None:
    st.subheader("Sessions")
    start, end = _range("Sessions between", first, last, 14, "sessions_range")
    sessions: pl.DataFrame = ctx.read("vehicle_sessions", vid, start, end)
    if sessions.height:
        st.plotly_chart(figures.sessions_timeline(sessions), key="sessions")
    else:
        st.caption("No sessions in this range (`analytics sessions` cuts them from the signals).")


def _signals(ctx: PageContext, vid: str, sigs: pl.DataFrame, first: date, last: date) -> None:
    st.subheader("Signal explorer")
    if not sigs.height or not ctx.status.get("has_signal_minutes"):
        st.caption("No signals stored for this vehicle.")
        return
    names = sigs["signal"].to_list()
    default = [s for s in DEFAULT_SIGNALS if s in names][:2] or names[:1]
    chosen = st.multiselect("Signals", names, default=default, key="explore_signals")
    start, end = _range("Signals between", first, last, 7, "signals_range")
    if not chosen:
        return
    series: pl.DataFrame = ctx.read("signal_series", vid, tuple(chosen), start, end)
    if not series.height:
        st.caption("No values of these signals in this range.")
        return
    bucket = series.group_by("signal").len()["len"].max()
    st.caption(
        f"{series.height:,} points ({bucket:,} per signal at most): 1-minute rollup "
        "downsampled in the database; shaded bands are each bucket's min-max."
    )
    st.plotly_chart(figures.signal_explorer(series, chosen), key="signals")


def _body(ctx: PageContext) -> None:
    vid = select_vehicle(ctx)
    if vid is None:
        return
    d = ctx.read("vehicle_detail", vid)
    headline(vid, d)
    if d["soh"].height or d["observations"].height:
        _health(d)
    span = _span(ctx, vid, d)
    if span is None:
        st.info(f"No sessions or signals for {vid} yet: ingest its telemetry first.")
        return
    sigs, first, last = span
    _sessions(ctx, vid, first, last)
    _signals(ctx, vid, sigs, first, last)


def render() -> None:
    """Draw the Vehicle page."""
    run_page(_body, "Vehicle")


if __name__ == "__main__":
    render()
