"""Plot one vehicle's week: speed, pack current and voltage, SoC (true and BMS), temperatures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from analytics.simulate.fleet import Fleet

__all__ = ["plot_vehicle_week", "week_frame"]


def week_frame(fleet: Fleet, vehicle_id: str, start: date, days: int = 7) -> dict[str, np.ndarray]:
    """True and car-reported series of ``days`` days from ``start`` at export sampling."""
    from analytics.simulate.render import render_samples
    from analytics.simulate.telemetry import EXPORT_SAMPLING, reported_wide

    run = fleet.run(vehicle_id)
    t0 = datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp()
    window = (t0, t0 + days * 86400.0)
    s = render_samples(
        run,
        30.0,
        EXPORT_SAMPLING["ac_charge_s"],
        EXPORT_SAMPLING["dc_charge_s"],
        900.0,
        window_s=window,
    )
    rep = reported_wide(run, s)
    return {
        "ts": (np.asarray(s.ts_s) * 1e6).astype("int64").astype("datetime64[us]"),
        "speed_kmh": rep["speed_kmh"],
        "current_a": rep["pack_current_a"],
        "voltage_v": rep["pack_voltage_v"],
        "soc_true_pct": s.soc_pct,
        "soc_bms_pct": rep["soc_bms_pct"],
        "battery_temp_c": rep["battery_temp_avg_c"],
        "ambient_temp_c": rep["ambient_temp_c"],
        "kind": rep["kind"],
    }


def plot_vehicle_week(fleet: Fleet, vehicle_id: str, start: date, days: int = 7) -> Any:
    """Plotly figure of one vehicle's week (5 stacked panels sharing the time axis)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    w = week_frame(fleet, vehicle_id, start, days)
    veh = fleet.vehicles.filter(fleet.vehicles["vehicle_id"] == vehicle_id).row(0, named=True)
    fig = make_subplots(
        rows=5,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.025,
        subplot_titles=(
            "speed (km/h)",
            "pack current (A, + = discharge)",
            "pack voltage (V)",
            "state of charge (%)",
            "temperature (°C)",
        ),
    )
    line = {"width": 1}
    fig.add_trace(go.Scattergl(x=w["ts"], y=w["speed_kmh"], name="speed", line=line), 1, 1)
    fig.add_trace(go.Scattergl(x=w["ts"], y=w["current_a"], name="current", line=line), 2, 1)
    fig.add_trace(go.Scattergl(x=w["ts"], y=w["voltage_v"], name="voltage", line=line), 3, 1)
    fig.add_trace(
        go.Scattergl(
            x=w["ts"], y=w["soc_true_pct"], name="SoC true", line={"width": 2, "color": "black"}
        ),
        4,
        1,
    )
    fig.add_trace(
        go.Scattergl(
            x=w["ts"],
            y=w["soc_bms_pct"],
            name="SoC BMS",
            line={"width": 1, "color": "orange", "dash": "dot"},
        ),
        4,
        1,
    )
    fig.add_trace(go.Scattergl(x=w["ts"], y=w["battery_temp_c"], name="battery", line=line), 5, 1)
    fig.add_trace(
        go.Scattergl(
            x=w["ts"], y=w["ambient_temp_c"], name="ambient", line={"width": 1, "dash": "dash"}
        ),
        5,
        1,
    )
    fig.update_layout(
        height=950,
        width=1100,
        showlegend=True,
        title=f"{vehicle_id}: {veh['make']} {veh['model']} ({veh['chemistry']}), "
        f"{veh['climate']}, {veh['usage_archetype']} / {veh['charging_archetype']}, "
        f"week of {start.isoformat()} to {(start + timedelta(days=days - 1)).isoformat()}",
    )
    return fig
