"""Plotly figures for the app: pure functions of the frames :mod:`analytics.app.queries`
returns. Nothing is read or computed here beyond arranging points for drawing.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import polars as pl

__all__ = [
    "archetype_bar",
    "cohort_bands",
    "flexibility_day",
    "flexibility_week",
    "load_forecast",
    "managed_hourly",
    "resistance_growth",
    "sessions_timeline",
    "signal_explorer",
    "soh_histogram",
    "vehicle_soh",
]

_BLUE, _ORANGE, _GREY = "#1f5fa8", "#d9822b", "#888888"
_SOH_AXIS = (40.0, 130.0)  # observations outside this range are not drawn
_PALETTE = ("#1f5fa8", "#d9822b", "#2a9d58", "#b23a48", "#7b5ea7", "#3a8fb7", "#8c6d31")


def _go() -> Any:
    import plotly.graph_objects as go

    return go


def _layout(fig: Any, title: str, y: str, x: str = "", height: int = 360) -> Any:
    fig.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        height=height,
        legend={"orientation": "h", "yanchor": "top", "y": -0.3},
    )
    return fig


def _ms(times: pl.Series) -> pl.Series:
    """Times as milliseconds since the epoch (UTC). Plotly draws numbers on a date axis as
    such, and long series of them serialise far faster than date and datetime objects."""
    if times.dtype == pl.Date:
        times = times.cast(pl.Datetime("ms"))
    return times.dt.epoch("ms")


def _band(fig: Any, x: list, low: list, high: list, color: str, name: str) -> None:
    """A filled interval between ``low`` and ``high``."""
    fig.add_scatter(
        x=x + x[::-1],
        y=high + low[::-1],
        fill="toself",
        line={"width": 0},
        fillcolor=color,
        name=name,
        hoverinfo="skip",
    )


def soh_histogram(fleet: pl.DataFrame) -> Any:
    """Distribution of the latest capacity SoH across the (filtered) fleet, by chemistry."""
    go = _go()
    fig = go.Figure()
    have = fleet.filter(pl.col("soh_pct").is_not_null())
    if not have.height:
        return _layout(fig, "Latest capacity SoH", "vehicles", "SoH (%)")
    # one bin set for every chemistry (0.5-point bins from a whole number), stacked, so
    # bars line up and their heights add up to vehicles
    start = math.floor(float(have["soh_pct"].min()))
    for chem in sorted(have["chemistry"].unique().to_list()):
        sub = have.filter(pl.col("chemistry") == chem)
        fig.add_histogram(
            x=sub["soh_pct"].to_list(),
            name=chem,
            bingroup="soh",
            xbins={"start": start, "size": 0.5},
            hovertemplate="SoH %{x}<br>%{y} vehicles",
        )
    fig.update_layout(barmode="stack", bargap=0.05)
    fig = _layout(fig, "Latest capacity SoH", "vehicles", "SoH (%)")
    tallest = int(
        have.group_by(((pl.col("soh_pct") - start) // 0.5).alias("bin")).len()["len"].max()
    )
    fig.update_yaxes(**_count_axis(tallest))
    return fig


def _count_axis(n: int) -> dict[str, Any]:
    """Axis settings for whole counts up to ``n`` from 0 (0, 1, 2 vehicles, not 0.5 steps)."""
    return {"tickformat": "d", "dtick": _nice_step(n), "rangemode": "tozero"}


def _nice_step(n: int) -> int:
    """A whole-number tick step for a count axis up to ``n``: 1, 2, 5, 10, 20 ..."""
    step = 1
    for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        step = s
        if n / s <= 8:
            break
    return step


def cohort_bands(bands: pl.DataFrame, group_label: str) -> Any:
    """Median SoH against age per group with its 10-90 % band."""
    go = _go()
    fig = go.Figure()
    for i, grp in enumerate(bands["grp"].unique().sort().to_list()):
        b = bands.filter(pl.col("grp") == grp)
        color = _PALETTE[i % len(_PALETTE)]
        x = b["x"].to_list()
        fig.add_scatter(
            x=x + x[::-1],
            y=b["p90"].to_list() + b["p10"].to_list()[::-1],
            fill="toself",
            line={"width": 0},
            fillcolor=color,
            opacity=0.18,
            name=f"{grp} 10-90 %",
            showlegend=False,
            hoverinfo="skip",
        )
        fig.add_scatter(
            x=x,
            y=b["p50"].to_list(),
            mode="lines",
            line={"color": color},
            name=str(grp),
            customdata=b["n_vehicles"].to_list(),
            hovertemplate="age %{x:.2f} y<br>median %{y:.1f} %<br>%{customdata} vehicles",
        )
    return _layout(
        fig, f"Degradation by {group_label}: median SoH with 10-90 % band", "SoH (%)", "age (years)"
    )


def _hover_inputs(obs: pl.DataFrame) -> list[str]:
    """Method, quantity, reason and the estimate's inputs as hover text, one per point."""
    return (
        obs.select(
            pl.format(
                "{} ({}): {} ± {} %<br>{}<br>inputs: {}",
                pl.col("method").fill_null("?"),
                pl.col("quantity").fill_null("?"),
                pl.col("soh_pct").round(2),
                pl.col("soh_sigma_pct").round(2).fill_null(0),
                pl.col("reason").fill_null(""),
                pl.col("inputs").fill_null("").str.slice(0, 400).str.replace_all(", ", "<br>  "),
            )
        )
        .to_series()
        .to_list()
    )


_WEBGL_POINTS = 5_000  # markers drawn with WebGL above this many, as SVG below


def vehicle_soh(
    soh: pl.DataFrame, obs: pl.DataFrame, forecast: pl.DataFrame, milestones: pl.DataFrame
) -> Any:
    """Fused SoH with its 90 % interval, the single-session observations behind it (hover:
    method and inputs), the forecast with its interval, and the 80 %/70 % milestones."""
    go = _go()
    fig = go.Figure()
    s = soh.filter(pl.col("soh_pct").is_not_null()) if soh.height else soh
    if s.height:
        d = s["date"].to_list()
        _band(
            fig,
            d,
            s["soh_low_pct"].to_list(),
            s["soh_high_pct"].to_list(),
            "rgba(31,95,168,0.18)",
            "90 % interval",
        )
        fig.add_scatter(
            x=d, y=s["soh_pct"].to_list(), mode="lines", line={"color": _BLUE}, name="fused SoH"
        )
    if obs.height:
        # capacity and energy estimates only (a resistance estimate is not a SoH); rejected
        # ones far off the scale are left out so they do not squash the axis
        obs = obs.filter(
            (pl.col("method") != "resistance") & pl.col("soh_pct").is_between(*_SOH_AXIS)
        )
        # WebGL pays off only for many points; below that it costs a GL context per chart
        markers = go.Scattergl if obs.height > _WEBGL_POINTS else go.Scatter
        for kept, sym, name in ((True, "circle", "observations"), (False, "x", "rejected")):
            o = obs.filter(pl.col("kept") == kept)
            if o.height:
                fig.add_trace(
                    markers(
                        x=_ms(o["date"]).to_numpy(),
                        y=o["soh_pct"].to_numpy(),
                        mode="markers",
                        marker={
                            "size": 5,
                            "symbol": sym,
                            "opacity": 0.45,
                            "color": "#5b8fc9" if kept else _GREY,
                        },
                        name=name,
                        text=_hover_inputs(o),
                        hovertemplate="%{x}<br>%{text}<extra></extra>",
                        visible=True if kept else "legendonly",
                    )
                )
    if forecast.height:
        d = forecast["date"].to_list()
        _band(
            fig,
            d,
            forecast["soh_low_pct"].to_list(),
            forecast["soh_high_pct"].to_list(),
            "rgba(217,130,43,0.15)",
            "forecast 90 %",
        )
        fig.add_scatter(
            x=d,
            y=forecast["soh_pct"].to_list(),
            mode="lines",
            line={"color": _ORANGE, "dash": "dash"},
            name="forecast",
        )
    levels = milestones.filter(pl.col("kind") == "soh_level") if milestones.height else milestones
    for row in levels.iter_rows(named=True) if levels.height else []:
        fig.add_hline(y=row["soh_threshold_pct"], line={"dash": "dot", "color": _GREY, "width": 1})
        if row["expected_date"] is not None:
            fig.add_scatter(
                x=[row["expected_date"]],
                y=[row["soh_threshold_pct"]],
                mode="markers",
                marker={"symbol": "diamond", "size": 10, "color": _ORANGE},
                name=f"{row['soh_threshold_pct']:g} % expected",
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [(row["date_high"] - row["expected_date"]).days * 86400000]
                    if row["date_high"]
                    else [0],
                    "arrayminus": [(row["expected_date"] - row["date_low"]).days * 86400000]
                    if row["date_low"]
                    else [0],
                },
            )
    if s.height and forecast.height:  # history plus three years of forecast; zoom out for more
        end = min(forecast["date"].max(), s["date"].max() + timedelta(days=3 * 365))
        fig.update_xaxes(range=[s["date"].min(), end])
    fig.update_xaxes(type="date", hoverformat="%Y-%m-%d")
    return _layout(fig, "State of health", "SoH (%)", height=420)


def resistance_growth(soh: pl.DataFrame) -> Any:
    """Internal-resistance growth with its 90 % interval."""
    go = _go()
    fig = go.Figure()
    r = soh.filter(pl.col("resistance_growth_pct").is_not_null())
    d = r["date"].to_list()
    if r["resistance_growth_low_pct"].is_not_null().all():
        _band(
            fig,
            d,
            r["resistance_growth_low_pct"].to_list(),
            r["resistance_growth_high_pct"].to_list(),
            "rgba(178,58,72,0.15)",
            "90 % interval",
        )
    fig.add_scatter(
        x=d, y=r["resistance_growth_pct"].to_list(), mode="lines", line={"color": "#b23a48"}
    )
    fig.update_layout(showlegend=False)
    return _layout(fig, "Internal resistance growth", "growth (%)", height=300)


def sessions_timeline(sessions: pl.DataFrame) -> Any:
    """Drive, charge and park sessions as horizontal bars on a time axis."""
    go = _go()
    fig = go.Figure()
    colors = {"drive": _BLUE, "charge": _ORANGE, "park": "#c8c8c8"}
    for kind in ("park", "charge", "drive"):
        s = sessions.filter(pl.col("kind") == kind)
        if not s.height:
            continue
        detail = s.select(
            pl.format(
                "{}<br>{} → {}<br>SoC {} → {} %, {} km<br>in {} kWh / out {} kWh",
                pl.col("session_id"),
                pl.col("start_ts").dt.strftime("%Y-%m-%d %H:%M"),
                pl.col("end_ts").dt.strftime("%H:%M"),
                pl.col("soc_start_pct").round(0),
                pl.col("soc_end_pct").round(0),
                pl.col("distance_km").round(1).fill_null(0),
                pl.col("energy_in_kwh").round(1).fill_null(0),
                pl.col("energy_out_kwh").round(1).fill_null(0),
            )
        ).to_series()
        fig.add_bar(
            base=s["start_ts"].to_numpy(),
            x=((s["end_ts"] - s["start_ts"]).dt.total_milliseconds()).to_numpy(),
            y=[kind] * s.height,
            orientation="h",
            marker_color=colors[kind],
            name=kind,
            text=detail.to_numpy(),
            textposition="none",
            hovertemplate="%{text}<extra></extra>",
        )
    fig.update_layout(showlegend=False, barmode="overlay")
    fig.update_xaxes(type="date")
    fig.update_yaxes(categoryorder="array", categoryarray=["park", "charge", "drive"])
    return _layout(fig, "Sessions", "", height=260)


def _segments(s: pl.DataFrame) -> pl.DataFrame:
    """Number the runs of buckets without a gap (a gap: more than twice the usual step)."""
    if s.height < 3:
        return s.with_columns(pl.lit(0).alias("segment"))
    step = s["ts"].diff().median()
    return s.with_columns(
        (pl.col("ts").diff() > step * 2).fill_null(False).cum_sum().alias("segment")
    )


def _envelope(s: pl.DataFrame) -> tuple[list, list]:
    """One closed min-max polygon per segment, separated by gaps (None) for ``fill=toself``."""
    xs: list = []
    ys: list = []
    for _, seg in s.group_by("segment", maintain_order=True):
        t = seg["ts"].to_list()
        xs += [*t, *t[::-1], None]
        ys += [*seg["max"].to_list(), *seg["min"].to_list()[::-1], None]
    return xs, ys


_UNIT_LABELS = {"percent": "%", "celsius": "°C", "degrees": "°", "bool": "0/1"}


def _signal_title(path: str) -> str:
    """``Powertrain.TractionBattery.StateOfCharge.Current (%)``: the path without ``Vehicle.``
    and the catalog's unit, when the signal is in the catalog."""
    from analytics.catalog import load_catalog

    sig = load_catalog().find(path)
    name = path.split(".", 1)[-1] if path.startswith("Vehicle.") else path
    if sig is None or not sig.unit:
        return name
    return f"{name} ({_UNIT_LABELS.get(sig.unit, sig.unit)})"


def signal_explorer(series: pl.DataFrame, signals: list[str]) -> Any:
    """One panel per signal: bucket mean with the min-max envelope of each bucket; lines and
    bands stop at gaps in the data instead of bridging them."""
    from plotly.subplots import make_subplots

    n = len(signals)
    fig = make_subplots(
        rows=n,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=[_signal_title(s) for s in signals],
    )
    for i, sig in enumerate(signals, start=1):
        s = _segments(
            series.filter(pl.col("signal") == sig)
            .sort("ts")
            .with_columns(pl.col("ts").dt.epoch("ms"))
        )
        if not s.height:
            continue
        color = _PALETTE[(i - 1) % len(_PALETTE)]
        bx, by = _envelope(s)
        lo, hi = s["min"].min(), s["max"].max()
        if lo is not None and hi is not None:  # a margin, so a full 100 % is not on the frame
            pad = max((hi - lo) * 0.05, abs(hi) * 0.01, 1e-9)
            fig.update_yaxes(range=[lo - pad, hi + pad], row=i, col=1)
        fig.add_scatter(
            x=bx,
            y=by,
            fill="toself",
            line={"width": 0},
            fillcolor=color,
            opacity=0.2,
            hoverinfo="skip",
            showlegend=False,
            row=i,
            col=1,
        )
        # an empty point closing each segment breaks the mean line at the gap
        line = pl.concat(
            [
                s.select("segment", "ts", "mean", pl.lit(0).alias("brk")),
                s.group_by("segment").agg(
                    pl.col("ts").max(),
                    pl.lit(None, pl.Float64).alias("mean"),
                    pl.lit(1).alias("brk"),
                ),
            ]
        ).sort("segment", "brk", "ts")
        fig.add_scatter(
            x=line["ts"].to_list(),
            y=line["mean"].to_list(),
            mode="lines",
            line={"color": color, "width": 1.2},
            name=sig,
            showlegend=False,
            connectgaps=False,
            row=i,
            col=1,
        )
    fig.update_xaxes(type="date", hoverformat="%Y-%m-%d %H:%M")
    fig.update_layout(height=max(220 * n, 260), margin={"l": 50, "r": 10, "t": 30, "b": 30})
    return fig


def archetype_bar(profiles: pl.DataFrame) -> Any:
    """Vehicles per charging archetype."""
    go = _go()
    counts = profiles.group_by("archetype").len().sort("len", descending=True)
    fig = go.Figure(
        go.Bar(x=counts["archetype"].to_list(), y=counts["len"].to_list(), marker_color=_BLUE)
    )
    fig.update_yaxes(**_count_axis(int(counts["len"].max() or 1)))
    return _layout(fig, "Charging archetypes", "vehicles", height=320)


def plugged_in_by_hour(shares: list[float]) -> Any:
    """Share of days the vehicle is plugged in, per local hour of the day."""
    go = _go()
    fig = go.Figure(go.Bar(x=list(range(len(shares))), y=shares, marker_color=_BLUE))
    fig.update_xaxes(dtick=2)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return _layout(fig, "Plugged in, by hour of day", "share of days", "local hour", height=300)


def flexibility_week(week: pl.DataFrame) -> Any:
    """One week of the fleet's hourly envelope: charging as early as possible (max), as late
    as possible (min) and as it happened, with vehicles plugged in on a second axis."""
    go = _go()
    fig = go.Figure()
    t = week["hour_ts"].to_list()
    _band(
        fig,
        t,
        week["min_kwh"].to_list(),
        week["max_kwh"].to_list(),
        "rgba(42,157,88,0.18)",
        "envelope (latest … earliest charging)",
    )
    fig.add_scatter(
        x=t,
        y=week["baseline_kwh"].to_list(),
        mode="lines",
        line={"color": _BLUE},
        name="as charged",
    )
    fig.add_scatter(
        x=t,
        y=week["vehicles_plugged_in"].to_list(),
        mode="lines",
        line={"color": _GREY, "dash": "dot"},
        name="vehicles plugged in",
        yaxis="y2",
    )
    most = int(week["vehicles_plugged_in"].max() or 1)
    fig.update_layout(  # whole vehicles from 0, not 4, 8.87, 13.74
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "title": "vehicles",
            "showgrid": False,
            **_count_axis(most),
        }
    )
    return _layout(fig, "Flexibility envelope, one week (UTC)", "kWh per hour")


def flexibility_day(day: pl.DataFrame) -> Any:
    """Average day of the envelope over the last 12 weeks, by UTC hour."""
    go = _go()
    fig = go.Figure()
    h = day["hour_utc"].to_list()
    _band(
        fig, h, day["min_kwh"].to_list(), day["max_kwh"].to_list(), "rgba(42,157,88,0.18)", "range"
    )
    fig.add_scatter(x=h, y=day["baseline_kwh"].to_list(), line={"color": _BLUE}, name="as charged")
    fig.add_bar(
        x=h,
        y=day["shiftable_kwh"].to_list(),
        name="shiftable",
        marker_color=_ORANGE,
        opacity=0.5,
    )
    return _layout(fig, "Average day, last 12 weeks (UTC hour)", "kWh per hour", "hour")


def managed_hourly(hourly: pl.DataFrame) -> Any:
    """Load as charged and under managed charging, per hour (hours without a row drawn as 0)."""
    go = _go()
    fig = go.Figure()
    hours = pl.DataFrame(
        {
            "hour_ts": pl.datetime_range(
                hourly["hour_ts"].min(), hourly["hour_ts"].max(), "1h", eager=True
            )
        }
    ).with_columns(pl.col("hour_ts").cast(hourly["hour_ts"].dtype))
    full = hours.join(hourly, on="hour_ts", how="left").fill_null(0.0)
    t = full["hour_ts"].to_list()
    for col, name, color in (
        ("baseline_kw", "as charged", _BLUE),
        ("managed_kw", "managed", _ORANGE),
    ):
        fig.add_scatter(x=t, y=full[col].to_list(), name=name, line={"color": color, "shape": "hv"})
    return _layout(fig, "Charging load: as charged vs managed", "kW")


def load_forecast(frame: pl.DataFrame) -> Any:
    """The 7-day fleet charging-load forecast with its interval."""
    go = _go()
    fig = go.Figure()
    t = frame["ts"].to_list()
    _band(
        fig,
        t,
        frame["load_low_kw"].to_list(),
        frame["load_high_kw"].to_list(),
        "rgba(31,95,168,0.15)",
        "interval",
    )
    fig.add_scatter(x=t, y=frame["load_kw"].to_list(), line={"color": _BLUE}, name="forecast")
    return _layout(fig, "Fleet charging load, next 7 days", "kW", height=300)
