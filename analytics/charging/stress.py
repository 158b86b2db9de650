"""Battery stress indicators per vehicle and period, and the treatment score built on them.

Indicators (each a documented input of the score):

- ``dc_energy_share``: share of charged grid energy delivered by DC fast chargers;
- ``share_time_above_90_pct`` / ``share_time_below_10_pct``: share of observed time with the
  BMS SoC above 90 % / below 10 % (time-weighted samples, gaps over 3 h not counted);
- ``hot_charge_energy_share`` / ``cold_charge_energy_share``: share of charged energy in
  sessions whose battery was above 35 °C / below 0 °C at some point while charging;
- ``typical_dod_pct``: median depth of discharge between charges (previous charge's SoC out
  minus this charge's SoC in), with its 90th percentile.

The **treatment score** is 100 minus weighted penalties; each penalty grows linearly from 0 at
a benign level to its full weight at a harsh level (``SCORE_TERMS``). Weights reflect the
published sensitivity of Li-ion ageing to each factor: time at high SoC and depth of cycling
drive calendar and cycle fade; heat while charging accelerates both; fast charging matters
less for thermally managed packs than often assumed but still adds stress; charging below
0 °C risks lithium plating. 100 = gently treated, 0 = harsh on every count.
"""

from __future__ import annotations

import polars as pl

__all__ = ["COLD_C", "HOT_C", "SCORE_TERMS", "stress_indicators", "treatment_score"]

HOT_C = 35.0
COLD_C = 0.0

SCORE_TERMS: dict[str, tuple[str, float, float, float]] = {
    # penalty: (indicator, benign level, harsh level, weight in points)
    "penalty_dc": ("dc_energy_share", 0.0, 0.8, 20.0),
    "penalty_high_soc": ("share_time_above_90_pct", 0.05, 0.5, 25.0),
    "penalty_low_soc": ("share_time_below_10_pct", 0.0, 0.1, 10.0),
    "penalty_hot": ("hot_charge_energy_share", 0.0, 0.3, 15.0),
    "penalty_cold": ("cold_charge_energy_share", 0.0, 0.3, 10.0),
    "penalty_dod": ("typical_dod_pct", 30.0, 80.0, 20.0),
}


def treatment_score(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the penalty columns, ``treatment_score`` and ``main_driver`` to indicator rows.

    A missing indicator contributes no penalty (it is not evidence of harm); the score's
    ``method`` string lists which indicators were available.
    """
    exprs = []
    for name, (col, lo, hi, weight) in SCORE_TERMS.items():
        x = ((pl.col(col) - lo) / (hi - lo)).clip(0.0, 1.0)
        exprs.append((x * weight).fill_null(0.0).fill_nan(0.0).alias(name))
    out = frame.with_columns(exprs)
    names = list(SCORE_TERMS)
    total = pl.sum_horizontal(names)
    arg = pl.concat_list(names).list.arg_max()
    driver = pl.when(total > 0).then(
        arg.replace_strict(dict(enumerate(names)), return_dtype=pl.String).str.replace(
            "penalty_", ""
        )
    )
    present = pl.concat_list(
        [pl.when(pl.col(c).is_not_null()).then(pl.lit(c)) for c, *_ in SCORE_TERMS.values()]
    ).list.drop_nulls()
    return out.with_columns(
        treatment_score=(100.0 - total).clip(0.0, 100.0),
        main_driver=driver.fill_null("none"),
        method=pl.lit("penalties_v1:") + present.list.join(","),
    )


def _session_terms(cs: pl.DataFrame) -> pl.DataFrame:
    energy = pl.col("grid_energy_kwh").fill_null(0.0).clip(lower_bound=0.0)
    s = cs.sort("vehicle_id", "plug_in_ts").with_columns(
        e=energy,
        period_start=pl.col("plug_in_ts").dt.replace_time_zone(None).dt.truncate("1q").dt.date(),
        dod=(pl.col("soc_out_pct").shift(1).over("vehicle_id") - pl.col("soc_in_pct")).clip(
            lower_bound=0.0
        ),
        hot=pl.coalesce("battery_temp_max_c", "battery_temp_mean_c") > HOT_C,
        cold=pl.coalesce("battery_temp_min_c", "battery_temp_mean_c") < COLD_C,
    )
    return s


def _agg() -> list[pl.Expr]:
    e = pl.col("e")
    has_temp = pl.col("hot").is_not_null()
    return [
        pl.len().cast(pl.Int32).alias("charge_sessions"),
        e.sum().alias("grid_energy_kwh"),
        (e.filter(pl.col("charge_type") == "DC").sum() / e.sum()).alias("dc_energy_share"),
        pl.when(has_temp.any())
        .then(e.filter(pl.col("hot").fill_null(False)).sum() / e.filter(has_temp).sum())
        .alias("hot_charge_energy_share"),
        pl.when(has_temp.any())
        .then(e.filter(pl.col("cold").fill_null(False)).sum() / e.filter(has_temp).sum())
        .alias("cold_charge_energy_share"),
        pl.col("dod").median().alias("typical_dod_pct"),
        pl.col("dod").quantile(0.9).alias("p90_dod_pct"),
    ]


def stress_indicators(cs: pl.DataFrame, soc_bands: pl.DataFrame) -> pl.DataFrame:
    """Indicators and score per vehicle per quarter (``period='quarter'``) and overall (``'all'``).

    ``soc_bands``: vehicle_id, period_start (quarter), observed_h, hours_above_90_pct,
    hours_below_10_pct (from the SoC signal; may be empty).
    """
    s = _session_terms(cs)
    q = s.group_by("vehicle_id", "period_start").agg(_agg())
    a = s.group_by("vehicle_id").agg(*_agg(), pl.col("period_start").min())
    bands = soc_bands.with_columns(pl.col("period_start").cast(pl.Date))
    q = q.join(bands, on=["vehicle_id", "period_start"], how="full", coalesce=True)
    ball = bands.group_by("vehicle_id").agg(
        pl.col("observed_h", "hours_above_90_pct", "hours_below_10_pct").sum(),
        pl.col("period_start").min().alias("bands_start"),
    )
    a = a.join(ball, on="vehicle_id", how="full", coalesce=True).with_columns(
        period_start=pl.min_horizontal("period_start", "bands_start")
    )
    q = q.with_columns(
        period=pl.lit("quarter"),
        period_end=pl.col("period_start").dt.offset_by("1q").dt.offset_by("-1d"),
    )
    last = q.group_by("vehicle_id").agg(pl.col("period_end").max())
    a = a.join(last, on="vehicle_id", how="left").with_columns(period=pl.lit("all"))
    cols = [
        "vehicle_id", "period", "period_start", "period_end", "observed_h", "charge_sessions",
        "grid_energy_kwh", "dc_energy_share", "hours_above_90_pct", "hours_below_10_pct",
        "hot_charge_energy_share", "cold_charge_energy_share", "typical_dod_pct", "p90_dod_pct",
    ]  # fmt: skip
    out = pl.concat([q.select(cols), a.select(cols)], how="vertical_relaxed")
    obs = pl.col("observed_h")
    out = out.with_columns(
        pl.col("charge_sessions").fill_null(0),
        pl.col("grid_energy_kwh").fill_null(0.0),
        pl.col("dc_energy_share").fill_nan(None),
        share_time_above_90_pct=pl.when(obs > 0).then(pl.col("hours_above_90_pct") / obs),
        share_time_below_10_pct=pl.when(obs > 0).then(pl.col("hours_below_10_pct") / obs),
    )
    return treatment_score(out).sort("vehicle_id", "period", "period_start")
