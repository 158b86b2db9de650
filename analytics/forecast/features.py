"""Degradation features per vehicle and day, from the ``signals`` and ``sessions`` tables.

Ageing models need what the pack went through, not raw samples: age, odometer, charge
throughput (Ah, kWh, equivalent full cycles), time at high and low state of charge, time hot
and cold, the share of fast charging and the depth of each charge. Daily exposure is computed in
DuckDB (SQL in ``analytics/forecast/sql``); Python only fills the calendar and accumulates.

Throughput comes from ``sessions`` when that table has rows for the vehicle, otherwise from
integrating ``pack_current_a`` in ``signals`` (column ``throughput_source`` says which).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from analytics.errors import ForecastError
from analytics.warehouse.db import Warehouse
from analytics.warehouse.tables import load_sql

__all__ = [
    "DEFAULT_TEMP_C",
    "FEATURE_COLUMNS",
    "SIGNAL_PATHS",
    "daily_exposure",
    "daily_features",
    "vehicle_meta",
]

SIGNAL_PATHS = {
    "soc": "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
    "tbat": "Vehicle.Powertrain.TractionBattery.Temperature.Average",
    "tamb": "Vehicle.Exterior.AirTemperature",
    "odo": "Vehicle.TraveledDistance",
    "cur": "Vehicle.Powertrain.TractionBattery.CurrentCurrent",
}
MAX_HOLD_S = 6 * 3600.0  # a parked car reports rarely; hold a sample at most this long
MAX_INTEGRATION_S = 300.0  # current integration never bridges a longer gap
DEFAULT_TEMP_C = 20.0  # bin used when no temperature at all is reported (flagged 'none')
DEFAULT_NOMINAL_V = 360.0

FEATURE_COLUMNS = (
    "vehicle_id",
    "date",
    "age_days",
    "age_source",
    "odometer_km",
    "distance_km",
    "charge_ah",
    "discharge_ah",
    "throughput_ah",
    "throughput_kwh",
    "efc",
    "efc_day",
    "throughput_source",
    "hours_observed",
    "soc_mean_pct",
    "hours_soc_above_80",
    "hours_soc_below_20",
    "battery_temp_mean_c",
    "battery_temp_max_c",
    "hours_above_35c",
    "hours_below_0c",
    "temp_source",
    "ambient_temp_mean_c",
    "cycle_temp_c",
    "charges_n",
    "dc_charges_n",
    "dc_charge_kwh",
    "ac_charge_kwh",
    "dc_share",
    "dc_share_cum",
    "dod_mean_pct",
    "dod_max_pct",
    "dod_lt20_n",
    "dod_20_50_n",
    "dod_50_80_n",
    "dod_ge80_n",
    "charge_c_rate_mean",
)


def _params(vids: Sequence[str]) -> dict[str, object]:
    return {
        "vids": list(vids),
        **SIGNAL_PATHS,
        "max_hold_s": MAX_HOLD_S,
    }


def vehicle_meta(wh: Warehouse, vehicle_ids: Sequence[str]) -> pl.DataFrame:
    """Per vehicle: make, model, chemistry, nominal Ah/kWh/V, registration date (may be null).

    Vehicles with telemetry but no ``vehicles`` row get nulls (chemistry 'unknown').
    """
    meta = wh.sql(
        "SELECT vehicle_id, make, model, model_year, chemistry, nominal_capacity_ah, "
        "nominal_capacity_kwh, nominal_voltage_v, first_registration_date, warranty_years, "
        "warranty_km, warranty_soh_pct FROM vehicles WHERE list_contains($vids, vehicle_id)",
        {"vids": list(vehicle_ids)},
    )
    base = pl.DataFrame({"vehicle_id": list(vehicle_ids)}, schema={"vehicle_id": pl.String})
    out = base.join(meta, on="vehicle_id", how="left")
    volts = pl.col("nominal_voltage_v").fill_null(DEFAULT_NOMINAL_V)
    return out.with_columns(
        pl.col("chemistry").fill_null("unknown").str.to_uppercase().alias("chemistry"),
        pl.col("model").fill_null("unknown"),
        pl.col("make").fill_null("unknown"),
        pl.coalesce(
            pl.col("nominal_capacity_ah"), pl.col("nominal_capacity_kwh") * 1000.0 / volts
        ).alias("nominal_capacity_ah"),
        pl.coalesce(
            pl.col("nominal_capacity_kwh"), pl.col("nominal_capacity_ah") * volts / 1000.0
        ).alias("nominal_capacity_kwh"),
    )


def daily_exposure(wh: Warehouse, vehicle_ids: Sequence[str]) -> pl.DataFrame:
    """Hours per (vehicle, day, 5 °C temperature bin, 10 % SoC bin)."""
    params = _params(vehicle_ids) | {"default_temp_bin_c": DEFAULT_TEMP_C}
    params = {k: v for k, v in params.items() if k not in {"odo", "cur"}}
    return wh.sql(load_sql("analytics.forecast", "exposure_days.sql"), params)


def _has_sessions(wh: Warehouse) -> bool:
    return "sessions" in wh.table_names()


def daily_features(wh: Warehouse, vehicle_ids: Sequence[str]) -> pl.DataFrame:
    """The ``degradation_features`` rows of ``vehicle_ids`` (every calendar day covered)."""
    if not vehicle_ids:
        return pl.DataFrame()
    sig = wh.sql(
        load_sql("analytics.forecast", "signal_days.sql"),
        _params(vehicle_ids) | {"max_int_s": MAX_INTEGRATION_S},
    )
    if _has_sessions(wh):
        ses = wh.sql(
            load_sql("analytics.forecast", "session_days.sql"), {"vids": list(vehicle_ids)}
        )
    else:
        ses = pl.DataFrame(schema={"vehicle_id": pl.String, "date": pl.Date})
    if sig.height == 0 and ses.height == 0:
        raise ForecastError(
            "no state-of-charge, odometer, current or session data for "
            f"{', '.join(vehicle_ids[:5])}; ingest telemetry first (`analytics ingest`)"
        )
    meta = vehicle_meta(wh, vehicle_ids)
    days = sig.join(ses, on=["vehicle_id", "date"], how="full", coalesce=True)
    # every calendar day between a vehicle's first and last data
    span = days.group_by("vehicle_id").agg(
        pl.col("date").min().alias("d0"), pl.col("date").max().alias("d1")
    )
    grid = span.select(
        "vehicle_id", pl.date_ranges("d0", "d1", interval="1d").alias("date")
    ).explode("date")
    have_ses = ses.select("vehicle_id").unique().with_columns(pl.lit(True).alias("_ses"))
    df = (
        grid.join(days, on=["vehicle_id", "date"], how="left")
        .join(meta, on="vehicle_id", how="left")
        .join(have_ses, on="vehicle_id", how="left")
        .sort("vehicle_id", "date")
    )
    return _derive(df)


def _derive(df: pl.DataFrame) -> pl.DataFrame:
    """Fill, scale to 24 h, accumulate (vectorised per vehicle with window expressions)."""
    for col in (
        "charge_ah",
        "discharge_ah",
        "throughput_kwh",
        "distance_km_sessions",
        "odometer_sessions_km",
        "cycle_temp_c",
        "charges_n",
        "dc_charges_n",
        "dc_charge_kwh",
        "ac_charge_kwh",
        "dod_mean_pct",
        "dod_max_pct",
        "dod_lt20_n",
        "dod_20_50_n",
        "dod_50_80_n",
        "dod_ge80_n",
        "charge_power_kw_mean",
    ):
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.Float64).alias(col))
    v = pl.col("vehicle_id")
    from_ses = pl.col("_ses").fill_null(False)
    volts = pl.col("nominal_voltage_v").fill_null(DEFAULT_NOMINAL_V)
    scale = 24.0 / pl.col("hours_observed").clip(lower_bound=1e-9)
    df = df.with_columns(
        pl.when(from_ses)
        .then(pl.col("charge_ah").fill_null(0.0))
        .otherwise(pl.col("charge_ah_signals").fill_null(0.0))
        .alias("charge_ah"),
        pl.when(from_ses)
        .then(pl.col("discharge_ah").fill_null(0.0))
        .otherwise(pl.col("discharge_ah_signals").fill_null(0.0))
        .alias("discharge_ah"),
        pl.when(from_ses)
        .then(pl.lit("sessions"))
        .otherwise(pl.lit("signals"))
        .alias("throughput_source"),
        pl.coalesce("odometer_km", "odometer_sessions_km").alias("odometer_km"),
        (pl.col("hours_soc_above_80_raw") * scale)
        .clip(upper_bound=24.0)
        .alias("hours_soc_above_80"),
        (pl.col("hours_soc_below_20_raw") * scale)
        .clip(upper_bound=24.0)
        .alias("hours_soc_below_20"),
        (pl.col("hours_above_35c_raw") * scale).clip(upper_bound=24.0).alias("hours_above_35c"),
        (pl.col("hours_below_0c_raw") * scale).clip(upper_bound=24.0).alias("hours_below_0c"),
        pl.col("hours_observed").fill_null(0.0),
    )
    df = df.with_columns(
        (pl.col("charge_ah") + pl.col("discharge_ah")).alias("throughput_ah"),
        pl.when(from_ses)
        .then(pl.col("throughput_kwh").fill_null(0.0))
        .otherwise((pl.col("charge_ah") + pl.col("discharge_ah")) * volts / 1000.0)
        .alias("throughput_kwh"),
        pl.col("odometer_km").forward_fill().over(v).alias("odometer_km"),
    )
    first_date = pl.col("date").min().over(v)
    reg = pl.col("first_registration_date")
    df = df.with_columns(
        (pl.col("throughput_ah") / 2.0 / pl.col("nominal_capacity_ah"))
        .fill_nan(None)
        .fill_null(0.0)
        .alias("efc_day"),
        pl.when(reg.is_not_null() & (reg <= first_date))
        .then((pl.col("date") - reg).dt.total_days())
        .otherwise((pl.col("date") - first_date).dt.total_days())
        .cast(pl.Float64)
        .alias("age_days"),
        pl.when(reg.is_not_null() & (reg <= first_date))
        .then(pl.lit("registration"))
        .otherwise(pl.lit("first_telemetry"))
        .alias("age_source"),
        pl.coalesce(
            pl.col("distance_km_sessions"),
            pl.col("odometer_km") - pl.col("odometer_km").shift(1).over(v),
        )
        .clip(lower_bound=0.0)
        .fill_null(0.0)
        .alias("distance_km"),
        pl.col("temp_source").fill_null("none"),
    )
    chg_kwh = pl.col("dc_charge_kwh").fill_null(0.0) + pl.col("ac_charge_kwh").fill_null(0.0)
    df = df.with_columns(
        pl.col("efc_day").cum_sum().over(v).alias("efc"),
        pl.when(chg_kwh > 0)
        .then(pl.col("dc_charge_kwh").fill_null(0.0) / chg_kwh)
        .alias("dc_share"),
        (pl.col("dc_charge_kwh").fill_null(0.0).cum_sum().over(v) / chg_kwh.cum_sum().over(v))
        .fill_nan(None)
        .alias("dc_share_cum"),
        (pl.col("charge_power_kw_mean") / pl.col("nominal_capacity_kwh")).alias(
            "charge_c_rate_mean"
        ),
    )
    ints = ("charges_n", "dc_charges_n", "dod_lt20_n", "dod_20_50_n", "dod_50_80_n", "dod_ge80_n")
    df = df.with_columns([pl.col(c).fill_null(0).cast(pl.Int32) for c in ints])
    return df.select(FEATURE_COLUMNS)
