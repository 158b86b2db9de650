"""Build one vehicle's ``charging_sessions`` rows from its charge sessions and signals.

:func:`build_charging_sessions` is a pure function of frames (testable with hand-built
data); :func:`load_vehicle_inputs` reads those frames from the warehouse. The sessions table
is the contract (``kind = 'charge'`` rows); signals add the plug window, active charging,
inlet energy and the charge limit where the car reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from analytics.charging.detail import DETAIL_KEYS, session_detail
from analytics.charging.inlet import (
    FIXED_LOAD_KW,
    FIXED_LOAD_RANGE_KW,
    ModelFits,
    classify_inlet,
    pick_inlet,
    scaled_probability,
)
from analytics.charging.location import assign_locations
from analytics.charging.plug import assign_plug_windows, plug_evidence, plug_intervals
from analytics.charging.timeutil import UTC_US, utc

if TYPE_CHECKING:
    from analytics.warehouse.db import Warehouse

__all__ = [
    "DC_POWER_KW",
    "DEFAULT_EFFICIENCY",
    "MIN_ENERGY_KWH",
    "VehicleInputs",
    "build_charging_sessions",
    "load_vehicle_inputs",
    "merge_charges",
]

DEFAULT_EFFICIENCY = {"AC": 0.90, "DC": 0.95}
"""Grid-to-pack efficiency assumed only when no inlet energy is reported (flagged)."""

METERED_UNC = 0.02
"""Relative uncertainty of a charger-power integral (sampling, rounding); for a scaled signal
it combines with the fixed load's range."""

ESTIMATED_UNC = 0.08
"""Relative uncertainty of grid energy from the added-energy counter or pack / efficiency."""

DC_POWER_KW = 22.0
"""Above this typical power a charge without an AC/DC label is taken as DC."""

CHARGING_SESSION_COLUMNS = (
    "vehicle_id", "session_id", "plug_in_ts", "plug_out_ts", "charge_start_ts", "charge_end_ts",
    "plugged_duration_s", "charging_duration_s", "dwell_idle_s", "grid_energy_kwh",
    "grid_energy_unc_kwh", "pack_energy_kwh", "loss_kwh", "efficiency", "grid_energy_method",
    "charge_type", "power_level_kw", "peak_power_kw", "max_power_kw", "soc_in_pct",
    "soc_out_pct", "charge_limit_pct", "limit_method", "battery_temp_min_c", "battery_temp_mean_c",
    "battery_temp_max_c", "ambient_temp_c", "latitude", "longitude", "location",
    "location_cluster", "location_method", "utc_offset_h", "session_type", "flags",
)  # fmt: skip


@dataclass
class VehicleInputs:
    """What one vehicle's charging rows are built from."""

    vehicle_id: str
    charges: pl.DataFrame  # sessions rows with kind = 'charge'
    cable: pl.DataFrame  # ts, value of the cable-connected signal (may be empty)
    drives: pl.DataFrame  # start_ts, end_ts of drive sessions (may be empty)
    samples: pl.DataFrame  # session_id, ts, signal (catalog key), value
    make: str | None = None
    model: str | None = None
    model_inlet: ModelFits = field(default_factory=dict)  # fleet fits per car model

    def windows(self) -> pl.DataFrame:
        """Per charge: session_id, plug_group, plug_in_ts, plug_out_ts, plug_flags."""
        charges = self.charges.select("session_id", "start_ts", "end_ts")
        evidence = plug_evidence(self.cable, self.drives, charges)
        return assign_plug_windows(charges, plug_intervals(evidence))

    def merged(self) -> pl.DataFrame:
        """One row per plug-in: the charges of a plug group combined (id of the first)."""
        return merge_charges(utc(self.charges, *_TS), self.windows())


_TS = ("start_ts", "end_ts", "plug_in_ts", "plug_out_ts")


def _first_valid(name: str) -> pl.Expr:
    return pl.col(name).drop_nulls().first()


def merge_charges(charges: pl.DataFrame, windows: pl.DataFrame) -> pl.DataFrame:
    """Combine charge sessions that share one plug-in into one row (contract columns).

    Energies add up; SoC in is the first charge's, SoC out the last's; DC if any part was DC.
    The sessions-table plug window, if any, is kept as ``s_plug_in``/``s_plug_out``.
    """
    w = windows.rename({"plug_in_ts": "plug_in_ts_w", "plug_out_ts": "plug_out_ts_w"})
    c = charges.join(w, on="session_id", how="left").sort("start_ts")
    have = set(c.columns)
    num = lambda n: pl.col(n).cast(pl.Float64) if n in have else pl.lit(None, pl.Float64)  # noqa: E731
    ts = lambda n: pl.col(n) if n in have else pl.lit(None, UTC_US)  # noqa: E731
    c = c.with_columns(
        _type=pl.col("charge_type").cast(pl.String).str.to_uppercase()
        if "charge_type" in have
        else pl.lit(None, pl.String),
        _flags=pl.col("flags").cast(pl.String) if "flags" in have else pl.lit(None, pl.String),
        **{
            n: num(n)
            for n in (
                "energy_in_kwh",
                "grid_energy_kwh",
                "soc_start_pct",
                "soc_end_pct",
                "power_level_kw",
                "peak_power_kw",
                "charge_limit_pct",
                "battery_temp_min_c",
                "battery_temp_mean_c",
                "battery_temp_max_c",
                "ambient_temp_c",
                "latitude",
                "longitude",
            )
        },
        s_plug_in=ts("plug_in_ts"),
        s_plug_out=ts("plug_out_ts"),
    )
    sum_or_null = lambda n: pl.when(pl.col(n).is_not_null().any()).then(pl.col(n).sum())  # noqa: E731
    return (
        c.group_by("plug_group", maintain_order=True)
        .agg(
            pl.col("start_ts").min(),
            pl.col("end_ts").max(),
            sum_or_null("energy_in_kwh"),
            sum_or_null("grid_energy_kwh"),
            _first_valid("soc_start_pct"),
            pl.col("soc_end_pct").drop_nulls().last(),
            pl.when((pl.col("_type") == "DC").any())
            .then(pl.lit("DC"))
            .otherwise(_first_valid("_type"))
            .alias("charge_type"),
            pl.col("power_level_kw").max(),
            pl.col("peak_power_kw").max(),
            pl.col("charge_limit_pct").drop_nulls().last(),
            pl.col("battery_temp_min_c").min(),
            pl.col("battery_temp_mean_c").mean(),
            pl.col("battery_temp_max_c").max(),
            pl.col("ambient_temp_c").mean(),
            _first_valid("latitude"),
            _first_valid("longitude"),
            pl.col("_flags")
            .drop_nulls()
            .str.split(";")
            .explode()
            .drop_nulls()
            .unique()
            .sort()
            .str.join(";")
            .alias("flags"),
            pl.col("s_plug_in").min(),
            pl.col("s_plug_out").max(),
            pl.col("plug_in_ts_w").first().alias("plug_in_ts"),
            pl.col("plug_out_ts_w").first().alias("plug_out_ts"),
            pl.col("plug_flags").first(),
        )
        .rename({"plug_group": "session_id"})
    )


MIN_ENERGY_KWH = 0.05
"""A 'charge' that moved less than this on both sides of the charger is not a charge."""


def build_charging_sessions(inputs: VehicleInputs) -> pl.DataFrame:
    """One row per plug-in with plug window, energy, power, SoC, limit and location.

    Charge sessions sharing one plug-in are merged (flag ``merged_<n>``); sessions that moved
    less than ``MIN_ENERGY_KWH`` are left out (the stage reports how many).
    """
    if inputs.charges.height == 0:
        return pl.DataFrame()
    ch = inputs.merged()
    detail = session_detail(inputs.samples) if inputs.samples.height else None
    base = ch.select(
        pl.col("session_id").cast(pl.String),
        pl.col("start_ts").alias("s_start"),
        pl.col("end_ts").alias("s_end"),
        pl.col("energy_in_kwh").alias("s_pack_kwh"),
        pl.col("charge_type").alias("s_type"),
        pl.col("power_level_kw").alias("s_power_kw"),
        pl.col("peak_power_kw").alias("s_peak_kw"),
        pl.col("soc_start_pct").alias("soc_in_pct"),
        pl.col("soc_end_pct").alias("soc_out_pct"),
        pl.col("charge_limit_pct").alias("s_limit"),
        "battery_temp_min_c",
        "battery_temp_mean_c",
        "battery_temp_max_c",
        "ambient_temp_c",
        pl.col("latitude").alias("s_lat"),
        pl.col("longitude").alias("s_lon"),
        pl.col("flags").alias("s_flags"),
        pl.col("grid_energy_kwh").alias("s_grid_kwh"),
        "s_plug_in",
        "s_plug_out",
        "plug_in_ts",
        "plug_out_ts",
        "plug_flags",
    )
    # No cable signal here, but the sessions stage knew the plug window: use it.
    from_sessions = (
        pl.col("plug_flags").str.contains("no_plug_signal")
        & pl.col("s_plug_in").is_not_null()
        & pl.col("s_plug_out").is_not_null()
    )
    base = base.with_columns(
        plug_in_ts=pl.when(from_sessions)
        .then(pl.min_horizontal("s_plug_in", "s_start"))
        .otherwise(pl.col("plug_in_ts")),
        plug_out_ts=pl.when(from_sessions)
        .then(pl.max_horizontal("s_plug_out", "s_end"))
        .otherwise(pl.col("plug_out_ts")),
        plug_flags=pl.when(from_sessions)
        .then(pl.col("plug_flags").str.replace("no_plug_signal", "plug_from_sessions"))
        .otherwise(pl.col("plug_flags")),
    )
    if detail is not None:
        base = base.join(detail, on="session_id", how="left")
    for name, dtype in _DETAIL_SCHEMA.items():
        if name not in base.columns:
            base = base.with_columns(pl.lit(None, dtype).alias(name))

    start = pl.coalesce("charge_start_ts", "s_start")
    end = pl.coalesce("charge_end_ts", "s_end")
    base = base.with_columns(
        charge_start_ts=pl.max_horizontal(start, "plug_in_ts"),
        charge_end_ts=pl.min_horizontal(end, "plug_out_ts"),
    )
    secs = lambda a, b: (pl.col(b) - pl.col(a)).dt.total_microseconds() / 1e6  # noqa: E731
    span_s = secs("charge_start_ts", "charge_end_ts")
    base = base.with_columns(
        plugged_duration_s=secs("plug_in_ts", "plug_out_ts"),
        charging_duration_s=pl.min_horizontal(
            pl.col("charging_duration_s").fill_null(span_s), span_s
        ).clip(lower_bound=0.0),
        power_level_kw=pl.coalesce("s_power_kw", "sig_power_level_kw"),
        peak_power_kw=pl.coalesce("sig_peak_power_kw", "s_peak_kw"),
        pack_energy_kwh=pl.coalesce("s_pack_kwh", "sig_pack_kwh"),
        latitude=pl.coalesce("s_lat", "sig_lat"),
        longitude=pl.coalesce("s_lon", "sig_lon"),
    )
    charge_type = (
        pl.when(pl.col("s_type").is_in(["AC", "DC"]))
        .then(pl.col("s_type"))
        .when(pl.col("sig_dc").fill_null(False))
        .then(pl.lit("DC"))
        .when(pl.col("power_level_kw") > DC_POWER_KW)
        .then(pl.lit("DC"))
        .otherwise(pl.lit("AC"))
    )
    base = base.with_columns(charge_type=charge_type)
    eff = pl.col("charge_type").replace_strict(DEFAULT_EFFICIENCY, return_dtype=pl.Float64)
    inlet = pick_inlet(
        classify_inlet(inputs.samples, base.select("session_id", "charge_type")),
        inputs.model_inlet,
        inputs.make,
        inputs.model,
    )
    p_scaled = pl.col("charge_type").replace_strict(
        {t: scaled_probability(f) for t, f in inlet.items()}, default=0.0, return_dtype=pl.Float64
    )
    conclusive = pl.col("charge_type").replace_strict(
        {t: f.conclusive for t, f in inlet.items()}, default=False, return_dtype=pl.Boolean
    )
    guessed = pl.col("charge_type").replace_strict(  # no intercept estimate to weigh at all
        {t: not f.conclusive and not f.estimated for t, f in inlet.items()},
        default=True,
        return_dtype=pl.Boolean,
    )
    has_power = pl.col("grid_power_kwh").fill_null(0.0) > 0
    has_session = pl.col("s_grid_kwh").fill_null(0.0) > 0
    has_added = pl.col("added_kwh").fill_null(0.0) > 0
    from_signal = has_power | has_session
    active_h = pl.col("charging_duration_s") / 3600.0
    p_scaled = pl.when(active_h.is_not_null()).then(p_scaled).otherwise(0.0)  # needs active time
    lo, hi = FIXED_LOAD_RANGE_KW
    half = (hi - lo) / 2
    signal_kwh = pl.when(has_power).then(pl.col("grid_power_kwh")).otherwise(pl.col("s_grid_kwh"))
    # the fixed load is FIXED_LOAD_KW with probability p (its half-range taken as one standard
    # deviation, as for a scaled signal), absent otherwise: the variance of that mixture
    load_sd_kw = (p_scaled * half**2 + p_scaled * (1 - p_scaled) * FIXED_LOAD_KW**2).sqrt()
    base = base.with_columns(
        grid_energy_kwh=pl.when(from_signal)
        .then(signal_kwh + p_scaled * FIXED_LOAD_KW * active_h.fill_null(0.0))
        .when(has_added)
        .then(pl.col("added_kwh"))
        .otherwise(pl.col("pack_energy_kwh") / eff),
        grid_energy_method=pl.when(from_signal & conclusive & (p_scaled > 0.0))
        .then(pl.lit("charger_power+fixed_load"))
        .when(from_signal & (p_scaled > 0.0))
        .then(pl.lit("charger_power+expected_fixed_load"))
        .when(from_signal)
        .then(pl.lit("charger_power"))
        .when(has_added)
        .then(pl.lit("added_energy"))
        .when(pl.col("pack_energy_kwh").is_not_null())
        .then(pl.lit("pack_over_efficiency")),
        grid_energy_unc_kwh=pl.when(from_signal & guessed)  # the fixed load may be missing
        .then(
            (
                (METERED_UNC * signal_kwh) ** 2 + (FIXED_LOAD_KW * active_h.fill_null(0.0)) ** 2
            ).sqrt()
        )
        .when(from_signal)
        .then(
            ((METERED_UNC * signal_kwh) ** 2 + (load_sd_kw * active_h.fill_null(0.0)) ** 2).sqrt()
        )
        .when(has_added)
        .then(ESTIMATED_UNC * pl.col("added_kwh"))
        .otherwise(ESTIMATED_UNC * pl.col("pack_energy_kwh") / eff),
    )
    base = base.with_columns(
        power_level_kw=pl.coalesce(
            "power_level_kw",
            pl.when(active_h > 0).then(pl.col("grid_energy_kwh") / active_h),
        ),
        loss_kwh=pl.col("grid_energy_kwh") - pl.col("pack_energy_kwh"),
        efficiency=pl.when(pl.col("grid_energy_kwh") > 0).then(
            pl.col("pack_energy_kwh") / pl.col("grid_energy_kwh")
        ),
    )
    mean_kw = pl.when(active_h > 0).then(pl.col("grid_energy_kwh") / active_h)
    base = base.with_columns(
        max_power_kw=pl.max_horizontal("power_level_kw", mean_kw),
        dwell_idle_s=(pl.col("plugged_duration_s") - pl.col("charging_duration_s")).clip(
            lower_bound=0.0
        ),
        soc_in_pct=pl.coalesce("soc_in_pct", "sig_soc_first_pct"),
        soc_out_pct=pl.coalesce("soc_out_pct", "sig_soc_max_pct"),
    )
    stopped_early = (pl.col("plug_out_ts") - pl.col("charge_end_ts")).dt.total_seconds() > 600
    inferred = (
        pl.when(pl.col("soc_out_pct") >= 99.0)
        .then(pl.lit(100.0))
        .when(stopped_early & pl.col("plug_flags").fill_null("").str.contains("no_plug").not_())
        .then((pl.col("soc_out_pct") / 5.0).round(0) * 5.0)
    )
    base = base.with_columns(
        charge_limit_pct=pl.coalesce("sig_charge_limit_pct", "s_limit", inferred),
        limit_method=pl.when(pl.col("sig_charge_limit_pct").is_not_null())
        .then(pl.lit("signal"))
        .when(pl.col("s_limit").is_not_null())
        .then(pl.lit("sessions"))
        .when(inferred.is_not_null())
        .then(pl.lit("inferred")),
    )
    flags = pl.concat_list(
        pl.col("plug_flags").replace("", None),
        pl.when(pl.col("grid_energy_method") == "pack_over_efficiency").then(
            pl.lit("grid_energy_estimated")
        ),
        pl.when(pl.col("efficiency") > 1.0).then(pl.lit("efficiency_above_1")),
        pl.when(pl.col("grid_power_kwh_gap").fill_null(False)).then(pl.lit("gap_in_charge")),
        pl.when(pl.col("activity_source").is_null()).then(pl.lit("no_activity_signal")),
    ).list.drop_nulls()
    base = base.with_columns(flags=flags.list.join(";"), vehicle_id=pl.lit(inputs.vehicle_id))
    moved = pl.max_horizontal(
        pl.col("grid_energy_kwh").fill_null(0.0), pl.col("pack_energy_kwh").fill_null(0.0)
    )
    base = base.filter(moved >= MIN_ENERGY_KWH)
    if base.height == 0:
        return pl.DataFrame()
    base = assign_locations(base)
    base = base.with_columns(session_type=pl.lit(None, pl.String))
    return base.select(CHARGING_SESSION_COLUMNS).sort("plug_in_ts")


_DETAIL_SCHEMA = {
    "charge_start_ts": pl.Datetime("us", "UTC"),
    "charge_end_ts": pl.Datetime("us", "UTC"),
    "charging_duration_s": pl.Float64,
    "activity_source": pl.String,
    "grid_power_kwh": pl.Float64,
    "grid_power_kwh_gap": pl.Boolean,
    "sig_power_level_kw": pl.Float64,
    "sig_peak_power_kw": pl.Float64,
    "added_kwh": pl.Float64,
    "sig_pack_kwh": pl.Float64,
    "sig_charge_limit_pct": pl.Float64,
    "sig_lat": pl.Float64,
    "sig_lon": pl.Float64,
    "sig_soc_first_pct": pl.Float64,
    "sig_soc_max_pct": pl.Float64,
    "sig_dc": pl.Boolean,
}


def load_vehicle_inputs(
    wh: Warehouse, vehicle_id: str, model_inlet: ModelFits | None = None
) -> VehicleInputs:
    """Read one vehicle's charge sessions, cable transitions and window samples.

    ``model_inlet``: :func:`analytics.charging.inlet.model_inlet_fits` of the fleet, used when
    the vehicle's own data cannot tell what its charger-power signal measures.
    """
    from analytics.catalog import load_catalog
    from analytics.warehouse import load_sql

    cat = load_catalog()
    charges = wh.sql(load_sql("analytics.charging", "charge_sessions.sql"), {"vid": vehicle_id})
    cable = wh.sql(
        load_sql("analytics.charging", "cable_samples.sql"),
        {"vid": vehicle_id, "signal": cat.path("is_plugged_in")},
    )
    drives = wh.sql(load_sql("analytics.charging", "drive_sessions.sql"), {"vid": vehicle_id})
    inputs = VehicleInputs(vehicle_id, charges, cable, drives, pl.DataFrame())
    inputs.model_inlet = model_inlet or {}
    meta = wh.execute(
        "SELECT make, model FROM vehicles WHERE vehicle_id = $vid", {"vid": vehicle_id}
    ).fetchall()
    if meta:
        inputs.make, inputs.model = meta[0]
    if charges.height == 0:
        return inputs
    merged = inputs.merged()
    # Samples come from our own plug window; the sessions stage's one only stands in when
    # there is no cable signal (it may span neighbouring charges otherwise).
    own = ~pl.col("plug_flags").str.contains("no_plug_signal") | pl.col("s_plug_in").is_null()
    windows = merged.select(
        "session_id",
        pl.when(own)
        .then(pl.col("plug_in_ts"))
        .otherwise(pl.min_horizontal("plug_in_ts", "s_plug_in"))
        .alias("win_start"),
        pl.when(own)
        .then(pl.col("plug_out_ts"))
        .otherwise(pl.max_horizontal("plug_out_ts", "s_plug_out"))
        .alias("win_end"),
    )
    path_to_key = {cat.path(k): k for k in DETAIL_KEYS}
    wh.con.register("_charge_windows", windows.to_arrow())
    try:
        samples = wh.sql(
            load_sql("analytics.charging", "window_signals.sql"),
            {"vid": vehicle_id, "signals": list(path_to_key)},
        )
    finally:
        wh.con.unregister("_charge_windows")
    inputs.samples = samples.with_columns(pl.col("signal").replace_strict(path_to_key))
    return inputs
