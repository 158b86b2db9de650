"""Plotly figures for the app and notebooks: cohort bands, vehicle curves, forecasts.

Builders take the frames of :mod:`analytics.forecast.curves` and the ``forecasts`` /
``milestones`` tables and return ``plotly.graph_objects.Figure``; nothing is read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from analytics.forecast.curves import AXES

__all__ = ["cohort_curve_figure", "forecast_figure"]

_LABELS = {
    "age_years": "age (years)",
    "odometer_km": "odometer (km)",
    "efc": "equivalent full cycles",
}


def _go() -> Any:
    import plotly.graph_objects as go

    return go


def cohort_curve_figure(
    bands: pl.DataFrame,
    vehicles: pl.DataFrame | None = None,
    *,
    axis: str = "age",
    group_col: str = "cohort",
    highlight: Sequence[str] = (),
):  # type: ignore[no-untyped-def]
    """10-90 % band and median per group, plus thin lines of individual vehicles."""
    go = _go()
    col = AXES[axis][0]
    fig = go.Figure()
    for (group,), g in bands.group_by(group_col, maintain_order=True):
        fig.add_trace(
            go.Scatter(x=g["x"], y=g["p90"], line={"width": 0}, showlegend=False, hoverinfo="skip")
        )
        fig.add_trace(
            go.Scatter(
                x=g["x"],
                y=g["p10"],
                fill="tonexty",
                line={"width": 0},
                opacity=0.3,
                name=f"{group} 10-90 %",
                hoverinfo="skip",
            )
        )
        fig.add_trace(go.Scatter(x=g["x"], y=g["p50"], mode="lines", name=f"{group} median"))
    if vehicles is not None:
        for (vid,), v in vehicles.group_by("vehicle_id", maintain_order=True):
            strong = vid in highlight
            fig.add_trace(
                go.Scatter(
                    x=v[col],
                    y=v["soh_pct"],
                    mode="lines",
                    name=str(vid),
                    line={"width": 2.5 if strong else 0.7},
                    opacity=1.0 if strong else 0.35,
                    showlegend=strong,
                )
            )
    fig.update_layout(
        xaxis_title=_LABELS.get(col, col),
        yaxis_title="capacity SoH (%)",
        template="plotly_white",
        legend={"orientation": "h"},
    )
    return fig


def forecast_figure(
    history: pl.DataFrame,
    forecasts: pl.DataFrame,
    *,
    milestones: pl.DataFrame | None = None,
    levels_pct: Sequence[float] = (80.0, 70.0),
):  # type: ignore[no-untyped-def]
    """One vehicle: measured SoH with its interval, forecast median and 90 % band per scenario."""
    go = _go()
    fig = go.Figure()
    if history.height:
        fig.add_trace(
            go.Scatter(
                x=history["date"],
                y=history["soh_high_pct"],
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=history["date"],
                y=history["soh_low_pct"],
                fill="tonexty",
                line={"width": 0},
                opacity=0.3,
                name="measured 90 %",
            )
        )
        fig.add_trace(
            go.Scatter(x=history["date"], y=history["soh_pct"], mode="lines", name="measured SoH")
        )
    for (sc,), f in forecasts.sort("date").group_by("scenario", maintain_order=True):
        fig.add_trace(
            go.Scatter(
                x=f["date"],
                y=f["soh_high_pct"],
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=f["date"],
                y=f["soh_low_pct"],
                fill="tonexty",
                line={"width": 0},
                opacity=0.25,
                name=f"{sc} 90 %",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=f["date"],
                y=f["soh_pct"],
                mode="lines",
                line={"dash": "dash"},
                name=f"{sc} forecast",
            )
        )
    for lvl in levels_pct:
        fig.add_hline(y=lvl, line={"dash": "dot", "color": "grey"}, annotation_text=f"{lvl:.0f} %")
    if milestones is not None and milestones.height:
        for r in milestones.filter(pl.col("kind") == "soh_level").iter_rows(named=True):
            if r["expected_date"] is not None:
                fig.add_vline(x=r["expected_date"], line={"dash": "dot", "color": "red"})
    fig.update_layout(
        xaxis_title="date",
        yaxis_title="capacity SoH (%)",
        template="plotly_white",
        legend={"orientation": "h"},
    )
    return fig
