"""Per-session figures (energy, charge, distance, temperatures, charger) from rows and labels.

Integration convention: the interval from one row to the next belongs to the earlier row's
session, so consecutive sessions partition time and charge without double counting; intervals
longer than the logger-gap threshold are not integrated (their length is reported as
``gap_s``). When the BMS lifetime Ah / kWh counters exist, a session's charge and energy are
the counter differences over the same partition, which is exact up to the counter's
resolution and immune to sampling; otherwise the pack current is integrated (sample-and-hold).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analytics.sessions.cut import KIND_NAMES, CutConfig, SessionLabels

__all__ = ["AC_MAX_KW", "SESSION_COLUMNS", "summarize_sessions"]

AC_MAX_KW = 22.0  # above this an unlabeled charge is DC (three-phase AC tops out at 22 kW)

SESSION_COLUMNS: tuple[str, ...] = (
    "vehicle_id", "session_id", "kind", "start_ts", "end_ts", "duration_s", "soc_start_pct",
    "soc_end_pct", "energy_in_kwh", "energy_out_kwh", "charge_ah", "discharge_ah",
    "distance_km", "odometer_start_km", "odometer_end_km", "battery_temp_mean_c",
    "battery_temp_min_c", "battery_temp_max_c", "ambient_temp_c", "peak_power_kw",
    "charge_type", "power_level_kw", "charge_limit_pct", "latitude", "longitude", "flags",
    "plug_in_ts", "plug_out_ts", "grid_energy_kwh", "peak_charger_power_kw", "soc_min_pct",
    "soc_max_pct", "max_speed_kmh", "n_samples", "n_segments", "gap_s", "counter_source",
)  # fmt: skip


def _row_quantities(wide: pl.DataFrame, session: np.ndarray, cfg: CutConfig) -> pl.DataFrame:
    """Per-row integrands over the interval to the next row."""
    t_s = wide["ts"].dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    dt = np.r_[np.diff(t_s), 0.0]
    ok = dt <= cfg.max_gap_s
    dt_int = np.where(ok, dt, 0.0)
    same_next = np.r_[session[1:] == session[:-1], False]
    gap = np.where(~ok & same_next, dt, 0.0)

    def arr(name: str) -> np.ndarray:
        return wide[name].fill_null(np.nan).to_numpy().astype(float)

    cur = arr("pack_current_a")
    volt = arr("pack_voltage_v")
    pw = arr("pack_power_w")
    pw = np.where(np.isfinite(pw), pw, volt * cur)
    # sample-and-hold: a reading holds until the next one (what loggers reporting on change mean)
    cur_mid, pw_mid = cur, pw
    chg_kw = arr("charger_power_kw")
    return pl.DataFrame(
        {
            "session": session,
            "ts": wide["ts"],
            "dt_s": dt_int,
            "gap_s": gap,
            "charge_ah": np.nan_to_num(np.clip(-cur_mid, 0, None)) * dt_int / 3600.0,
            "discharge_ah": np.nan_to_num(np.clip(cur_mid, 0, None)) * dt_int / 3600.0,
            "energy_in_kwh": np.nan_to_num(np.clip(-pw_mid, 0, None)) * dt_int / 3.6e6,
            "energy_out_kwh": np.nan_to_num(np.clip(pw_mid, 0, None)) * dt_int / 3.6e6,
            "grid_kwh": np.nan_to_num(np.clip(chg_kw, 0, None)) * dt_int / 3600.0,
            "has_current": np.isfinite(cur),
            "power_kw": pw / 1000.0,
        }
    )


def summarize_sessions(
    vehicle_id: str, wide: pl.DataFrame, labels: SessionLabels, cfg: CutConfig | None = None
) -> pl.DataFrame:
    """One row per session with the columns of table ``sessions``."""
    cfg = cfg or CutConfig()
    session, kinds, flags = labels.session_of_row, labels.kind, labels.flags
    if wide.height == 0:
        return pl.DataFrame(schema=_empty_schema())
    rows = _row_quantities(wide, session, cfg)
    w = wide.with_columns(
        pl.Series("session", session),
        pl.Series("power_kw", rows["power_kw"]),
        pl.Series("has_current", rows["has_current"]),
        *(
            rows[c]
            for c in (
                "dt_s",
                "gap_s",
                "charge_ah",
                "discharge_ah",
                "energy_in_kwh",
                "energy_out_kwh",
                "grid_kwh",
            )
        ),
    )
    plugged = pl.col("is_plugged_in") > 0.5
    w = w.with_columns(plugged.fill_null(False).rle_id().alias("_plug_run"))
    w = w.with_columns(
        pl.col("ts").min().over("_plug_run").alias("_plug_start"),
        pl.col("ts").max().over("_plug_run").alias("_plug_end"),
    )
    chg = pl.col("charger_power_kw")
    active = (
        (pl.col("is_charging") > 0.5) | (chg > cfg.charging_power_kw) | (pl.col("power_kw") < -0.3)
    )
    agg = (
        w.group_by("session", maintain_order=True)
        .agg(
            pl.col("ts").first().alias("start_ts"),
            pl.col("ts").last().alias("end_ts"),
            pl.col("soc_bms_pct").drop_nulls().first().alias("soc_start_pct"),
            pl.col("soc_bms_pct").drop_nulls().last().alias("soc_end_pct"),
            pl.col("soc_bms_pct").min().alias("soc_min_pct"),
            pl.col("soc_bms_pct").max().alias("soc_max_pct"),
            pl.col("odometer_km").drop_nulls().first().alias("odometer_start_km"),
            pl.col("odometer_km").drop_nulls().last().alias("odometer_end_km"),
            pl.col("battery_temp_avg_c").mean().alias("battery_temp_mean_c"),
            pl.min_horizontal(
                pl.col("battery_temp_min_c").min(), pl.col("battery_temp_avg_c").min()
            ).alias("battery_temp_min_c"),
            pl.max_horizontal(
                pl.col("battery_temp_max_c").max(), pl.col("battery_temp_avg_c").max()
            ).alias("battery_temp_max_c"),
            pl.col("ambient_temp_c").mean().alias("ambient_temp_c"),
            pl.col("power_kw").abs().max().alias("peak_power_kw"),
            chg.max().alias("peak_charger_power_kw"),
            chg.filter(chg > cfg.charging_power_kw).median().alias("_chg_med_kw"),
            (-pl.col("power_kw")).filter(active).median().alias("_pack_chg_med_kw"),
            pl.col("charge_current_dc_a").max().alias("_dc_a"),
            pl.col("charge_voltage_dc_v").max().alias("_dc_v"),
            pl.col("charge_current_ac_a").max().alias("_ac_a"),
            pl.col("charge_voltage_ac_v").max().alias("_ac_v"),
            pl.col("charge_limit_pct").drop_nulls().last().alias("charge_limit_pct"),
            pl.col("latitude_deg").median().alias("_lat_med"),
            pl.col("longitude_deg").median().alias("_lon_med"),
            pl.col("latitude_deg").drop_nulls().first().alias("_lat_first"),
            pl.col("longitude_deg").drop_nulls().first().alias("_lon_first"),
            pl.col("speed_kmh").max().alias("max_speed_kmh"),
            pl.len().alias("n_samples"),
            pl.col("gap_s").sum().alias("gap_s"),
            pl.col("charge_ah").sum().alias("_int_charge_ah"),
            pl.col("discharge_ah").sum().alias("_int_discharge_ah"),
            pl.col("energy_in_kwh").sum().alias("_int_in_kwh"),
            pl.col("energy_out_kwh").sum().alias("_int_out_kwh"),
            pl.col("grid_kwh").sum().alias("_grid_kwh"),
            pl.col("has_current").any().alias("_has_current"),
            pl.col("charged_throughput_total_ah").drop_nulls().first().alias("_c_in_ah"),
            pl.col("consumed_throughput_total_ah").drop_nulls().first().alias("_c_out_ah"),
            pl.col("charged_energy_total_kwh").drop_nulls().first().alias("_c_in_kwh"),
            pl.col("consumed_energy_total_kwh").drop_nulls().first().alias("_c_out_kwh"),
            pl.col("charged_throughput_total_ah").drop_nulls().last().alias("_c_in_ah_last"),
            pl.col("consumed_throughput_total_ah").drop_nulls().last().alias("_c_out_ah_last"),
            pl.col("charged_energy_total_kwh").drop_nulls().last().alias("_c_in_kwh_last"),
            pl.col("consumed_energy_total_kwh").drop_nulls().last().alias("_c_out_kwh_last"),
            pl.col("_plug_start").filter(plugged).min().alias("plug_in_ts"),
            pl.col("_plug_end").filter(plugged).max().alias("plug_out_ts"),
        )
        .sort("session")
    )
    sess = agg["session"].to_numpy()
    agg = agg.with_columns(
        pl.Series("kind", KIND_NAMES[kinds[sess]]),
        pl.Series("flags", flags[sess].astype(str)),
        pl.Series("n_segments", labels.n_segments[sess]).cast(pl.Int32),
    )
    agg = _counter_deltas(agg)
    return _finish(vehicle_id, agg)


def _counter_deltas(agg: pl.DataFrame) -> pl.DataFrame:
    """Session charge/energy from BMS counters (next session's first reading minus this one's)."""
    out = []
    for name, counter, integrated in (
        ("charge_ah", "_c_in_ah", "_int_charge_ah"),
        ("discharge_ah", "_c_out_ah", "_int_discharge_ah"),
        ("energy_in_kwh", "_c_in_kwh", "_int_in_kwh"),
        ("energy_out_kwh", "_c_out_kwh", "_int_out_kwh"),
    ):
        end_reading = pl.col(counter).shift(-1).fill_null(pl.col(counter + "_last"))
        delta = end_reading - pl.col(counter)
        # a counter that runs backwards (reset, clock jump) falls back to integration
        out.append(pl.when(delta >= 0).then(delta).otherwise(pl.col(integrated)).alias(name))
    src = (
        pl.when(pl.col("_c_in_ah").is_not_null() & pl.col("_c_out_ah").is_not_null())
        .then(pl.lit("bms_counter"))
        .when(pl.col("_has_current"))
        .then(pl.lit("integrated"))
        .otherwise(pl.lit("none"))
    )
    return agg.with_columns(*out, src.alias("counter_source"))


def _finish(vehicle_id: str, agg: pl.DataFrame) -> pl.DataFrame:
    kind = pl.col("kind")
    is_park = kind == "park"
    is_charge = kind == "charge"
    # park spans from the previous session's end to the next one's start
    start = (
        pl.when(is_park)
        .then(pl.col("end_ts").shift(1).fill_null(pl.col("start_ts")))
        .otherwise(pl.col("start_ts"))
    )
    end = (
        pl.when(is_park)
        .then(pl.col("start_ts").shift(-1).fill_null(pl.col("end_ts")))
        .otherwise(pl.col("end_ts"))
    )
    soc_start = (
        pl.when(is_park)
        .then(pl.col("soc_end_pct").shift(1).fill_null(pl.col("soc_start_pct")))
        .otherwise(pl.col("soc_start_pct"))
    )
    soc_end = (
        pl.when(is_park)
        .then(pl.col("soc_start_pct").shift(-1).fill_null(pl.col("soc_end_pct")))
        .otherwise(pl.col("soc_end_pct"))
    )
    dc = (pl.col("_dc_a") > 1.0) | (pl.col("_dc_v") > 50.0)
    ac = (pl.col("_ac_a") > 0.5) | (pl.col("_ac_v") > 50.0)
    level = pl.coalesce(pl.col("_chg_med_kw"), pl.col("_pack_chg_med_kw"))
    ctype = (
        pl.when(~is_charge).then(None)
        .when(dc.fill_null(False)).then(pl.lit("DC"))
        .when(ac.fill_null(False)).then(pl.lit("AC"))
        .when(level > AC_MAX_KW).then(pl.lit("DC"))
        .when(level.is_not_null()).then(pl.lit("AC"))
        .otherwise(None)
    )  # fmt: skip
    out = agg.with_columns(
        start.alias("start_ts"),
        end.alias("end_ts"),
        soc_start.alias("soc_start_pct"),
        soc_end.alias("soc_end_pct"),
    ).with_columns(
        pl.lit(vehicle_id).alias("vehicle_id"),
        (pl.lit(vehicle_id) + "/" + kind + "/" + pl.col("start_ts").dt.epoch("s").cast(pl.Utf8)).alias("session_id"),
        ((pl.col("end_ts") - pl.col("start_ts")).dt.total_microseconds() / 1e6).alias("duration_s"),
        (pl.col("odometer_end_km") - pl.col("odometer_start_km")).clip(0.0, None).alias("distance_km"),
        ctype.alias("charge_type"),
        pl.when(is_charge).then(level).otherwise(None).alias("power_level_kw"),
        pl.when(is_charge).then(pl.col("_grid_kwh")).otherwise(None).alias("grid_energy_kwh"),
        pl.when(kind == "drive").then(pl.col("_lat_first")).otherwise(pl.col("_lat_med")).alias("latitude"),
        pl.when(kind == "drive").then(pl.col("_lon_first")).otherwise(pl.col("_lon_med")).alias("longitude"),
        pl.when(is_charge).then(pl.col("plug_in_ts")).otherwise(None).alias("plug_in_ts"),
        pl.when(is_charge).then(pl.col("plug_out_ts")).otherwise(None).alias("plug_out_ts"),
        pl.col("n_samples").cast(pl.Int64),
    )  # fmt: skip
    return out.select(SESSION_COLUMNS)


def _empty_schema() -> dict[str, pl.DataType]:
    ts = pl.Datetime("us", "UTC")
    schema: dict[str, pl.DataType] = dict.fromkeys(SESSION_COLUMNS, pl.Float64())
    for c in ("vehicle_id", "session_id", "kind", "charge_type", "flags", "counter_source"):
        schema[c] = pl.Utf8()
    for c in ("start_ts", "end_ts", "plug_in_ts", "plug_out_ts"):
        schema[c] = ts
    schema["n_samples"] = pl.Int64()
    schema["n_segments"] = pl.Int32()
    return schema
