"""Plotly figure builders for the app: pure functions of frames, no Streamlit calls."""

from __future__ import annotations

from typing import Any

import polars as pl

__all__ = [
    "archetype_bar",
    "degradation_bands",
    "plug_profile",
    "soh_histogram",
    "treatment_histogram",
    "vehicle_soh",
]

_BLUE, _ORANGE = "#1f5fa8", "#d9822b"


def _go():  # type: ignore[no-untyped-def]
    import plotly.graph_objects as go

    return go


def _layout(fig: Any, title: str, y: str, x: str = "") -> Any:
    fig.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
        height=360,
        legend={"orientation": "h"},
    )
    return fig


def soh_histogram(latest: pl.DataFrame) -> Any:
    """Distribution of the fleet's latest SoH, by chemistry."""
    go = _go()
    fig = go.Figure()
    for chem in sorted(latest["chemistry"].unique().to_list()):
        sub = latest.filter(pl.col("chemistry") == chem)
        fig.add_histogram(x=sub["soh_pct"].to_list(), name=chem, nbinsx=30, opacity=0.75)
    fig.update_layout(barmode="overlay")
    return _layout(fig, "Latest capacity SoH across the fleet", "vehicles", "SoH (%)")


def degradation_bands(bands: pl.DataFrame) -> Any:
    """Median SoH against age per model, with the 10-90 % band."""
    go = _go()
    fig = go.Figure()
    for model in bands["model"].unique().sort().to_list():
        b = bands.filter(pl.col("model") == model)
        x = (b["age_months"] / 12).to_list()
        fig.add_scatter(
            x=x + x[::-1],
            y=b["p90"].to_list() + b["p10"].to_list()[::-1],
            fill="toself",
            line={"width": 0},
            opacity=0.2,
            name=f"{model} 10-90 %",
            showlegend=False,
            hoverinfo="skip",
        )
        fig.add_scatter(x=x, y=b["p50"].to_list(), mode="lines", name=model)
    return _layout(
        fig, "Degradation curves: median SoH by age with 10-90 % band", "SoH (%)", "age (years)"
    )


def vehicle_soh(soh: pl.DataFrame, obs: pl.DataFrame, forecast: pl.DataFrame) -> Any:
    """A vehicle's fused SoH with its 90 % interval, the single observations and the forecast."""
    go = _go()
    fig = go.Figure()
    if soh.height:
        d = soh["date"].to_list()
        fig.add_scatter(
            x=d + d[::-1],
            y=soh["soh_high_pct"].to_list() + soh["soh_low_pct"].to_list()[::-1],
            fill="toself",
            line={"width": 0},
            fillcolor="rgba(31,95,168,0.18)",
            name="90 % interval",
            hoverinfo="skip",
        )
        fig.add_scatter(
            x=d, y=soh["soh_pct"].to_list(), mode="lines", line={"color": _BLUE}, name="fused SoH"
        )
    if obs.height:
        for kept, sym in ((True, "circle"), (False, "x")):
            o = obs.filter(pl.col("kept") == kept)
            if o.height:
                fig.add_scatter(
                    x=o["date"].to_list(),
                    y=o["soh_pct"].to_list(),
                    mode="markers",
                    marker={"size": 4, "symbol": sym, "opacity": 0.5},
                    name="observations kept" if kept else "rejected",
                    text=o["method"].to_list(),
                )
    if forecast.height:
        d = forecast["date"].to_list()
        fig.add_scatter(
            x=d + d[::-1],
            y=forecast["soh_high_pct"].to_list() + forecast["soh_low_pct"].to_list()[::-1],
            fill="toself",
            line={"width": 0},
            fillcolor="rgba(217,130,43,0.15)",
            name="forecast 90 %",
            hoverinfo="skip",
        )
        fig.add_scatter(
            x=d,
            y=forecast["soh_pct"].to_list(),
            mode="lines",
            line={"color": _ORANGE, "dash": "dash"},
            name="forecast",
        )
    for level in (80, 70):
        fig.add_hline(y=level, line={"dash": "dot", "color": "grey", "width": 1})
    return _layout(fig, "State of health", "SoH (%)")


def plug_profile(hourly: pl.DataFrame) -> Any:
    """Average vehicles plugged in and shiftable kWh by hour of day (UTC)."""
    go = _go()
    fig = go.Figure()
    fig.add_bar(
        x=hourly["hour_utc"].to_list(),
        y=hourly["vehicles_plugged_in"].to_list(),
        name="vehicles plugged in",
        marker_color=_BLUE,
    )
    fig.add_scatter(
        x=hourly["hour_utc"].to_list(),
        y=hourly["shiftable_kwh"].to_list(),
        name="shiftable kWh",
        yaxis="y2",
        line={"color": _ORANGE},
    )
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "title": "kWh"})
    return _layout(fig, "Fleet plug-in profile by hour of day (UTC)", "vehicles", "hour")


def archetype_bar(arch: pl.DataFrame) -> Any:
    go = _go()
    fig = go.Figure(
        go.Bar(x=arch["archetype"].to_list(), y=arch["vehicles"].to_list(), marker_color=_BLUE)
    )
    return _layout(fig, "Charging archetypes", "vehicles")


def treatment_histogram(stress: pl.DataFrame) -> Any:
    go = _go()
    fig = go.Figure(
        go.Histogram(x=stress["treatment_score"].to_list(), nbinsx=20, marker_color=_ORANGE)
    )
    return _layout(fig, "Battery-treatment scores (0 harsh .. 100 gentle)", "vehicles", "score")
