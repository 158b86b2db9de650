"""Charging behaviour profiles: session types, vehicle archetypes and their stability.

Each charge session gets a transparent *session type* from where, when and how it charged:
``dc_fast``, ``top_up`` (small gain, short stay), ``overnight_home``, ``home_daytime``,
``workplace`` or ``public_ac``. A vehicle's habits are then the energy shares of those types
plus how full it charges and how often; vehicles are clustered on those standardised features
(k-means, k chosen by silhouette) and each cluster is *named* from its centroid, so an
archetype always reads as what it is; ``archetype_fit`` is the vehicle's silhouette (-1..1:
near 1 = clearly in its cluster, near 0 = between two). Stability is the Jensen-Shannon divergence between a
vehicle's session-type mix in consecutive quarters.
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = [
    "ARCHETYPES",
    "SESSION_TYPES",
    "classify_sessions",
    "mix_stability",
    "name_archetype",
    "profile_features",
    "profile_vehicles",
    "quarter_mix",
]

SESSION_TYPES = (
    "dc_fast",
    "top_up",
    "overnight_home",
    "home_daytime",
    "workplace",
    "public_ac",
)

ARCHETYPES = (
    "dc_fast_road_trip",
    "always_full",
    "opportunistic_public",
    "workplace",
    "overnight_home",
    "mixed",
)

TOP_UP_GAIN_PCT = 15.0
TOP_UP_PLUGGED_H = 2.0
FULL_SOC_PCT = 98.0
MIN_QUARTER_SESSIONS = 5
_FEATURES = (
    *(f"share_{t}" for t in SESSION_TYPES),
    "full_charge_share",
    "median_soc_out",
    "sessions_per_week_log",
)


def classify_sessions(cs: pl.DataFrame) -> pl.DataFrame:
    """Set ``session_type`` on charging_sessions rows (rules documented in docs/charging.md)."""
    from analytics.charging.location import local_patterns

    parts = []
    for (_, offset), g in cs.group_by("vehicle_id", "utc_offset_h", maintain_order=True):
        parts.append(local_patterns(g, float(offset or 0.0)))
    if not parts:
        return cs.with_columns(session_type=pl.lit(None, pl.String))
    f = pl.concat(parts)
    gain = pl.col("soc_out_pct") - pl.col("soc_in_pct")
    plugged_h = pl.col("plugged_duration_s") / 3600.0
    stype = (
        pl.when(pl.col("charge_type") == "DC")
        .then(pl.lit("dc_fast"))
        .when((gain < TOP_UP_GAIN_PCT) & (plugged_h < TOP_UP_PLUGGED_H))
        .then(pl.lit("top_up"))
        .when((pl.col("location") == "home") & pl.col("overnight"))
        .then(pl.lit("overnight_home"))
        .when(pl.col("location") == "home")
        .then(pl.lit("home_daytime"))
        .when(pl.col("location") == "work")
        .then(pl.lit("workplace"))
        .otherwise(pl.lit("public_ac"))
    )
    return f.with_columns(session_type=stype).drop("overnight", "workday_daytime")


def profile_features(cs: pl.DataFrame) -> pl.DataFrame:
    """Per-vehicle habit features from classified charging sessions."""
    energy = pl.col("grid_energy_kwh").fill_null(0.0).clip(lower_bound=0.0)
    span_w = (
        (pl.col("plug_in_ts").max() - pl.col("plug_in_ts").min()).dt.total_seconds() / 604800.0
    ).clip(lower_bound=1.0)
    aggs = [
        pl.len().alias("n_sessions"),
        (pl.len() / span_w).alias("sessions_per_week"),
        ((pl.col("location") == "home").mean()).alias("home_share"),
        ((pl.col("location") == "work").mean()).alias("work_share"),
        ((pl.col("location") == "public").mean()).alias("public_share"),
        (energy.filter(pl.col("charge_type") == "DC").sum() / energy.sum()).alias(
            "dc_energy_share"
        ),
        pl.col("soc_out_pct").median().alias("median_soc_out_pct"),
        (pl.col("soc_out_pct") >= FULL_SOC_PCT).mean().alias("full_charge_share"),
        (pl.col("soc_out_pct") - pl.col("soc_in_pct")).median().alias("median_soc_gain_pct"),
        pl.col("session_type").is_in(["overnight_home"]).mean().alias("overnight_share"),
    ]
    aggs += [
        (energy.filter(pl.col("session_type") == t).sum() / energy.sum()).alias(f"share_{t}")
        for t in SESSION_TYPES
    ]
    out = cs.group_by("vehicle_id").agg(aggs).sort("vehicle_id")
    return out.with_columns(
        pl.col("^share_.*$", "dc_energy_share").fill_nan(0.0).fill_null(0.0),
        median_soc_out=pl.col("median_soc_out_pct").fill_null(80.0) / 100.0,
        sessions_per_week_log=pl.col("sessions_per_week").log1p(),
    )


def name_archetype(row: dict[str, float]) -> str:
    """Name a habit profile (a vehicle or a cluster centroid) from its features."""
    home = row["share_overnight_home"] + row["share_home_daytime"]
    public = row["share_public_ac"] + row["share_top_up"]
    if row["share_dc_fast"] >= 0.35:
        return "dc_fast_road_trip"
    if row["full_charge_share"] >= 0.5:
        return "always_full"
    if public >= 0.4 and public >= home:
        return "opportunistic_public"
    if row["share_workplace"] >= 0.4 and row["share_workplace"] >= home:
        return "workplace"
    if home >= 0.5:
        return "overnight_home"
    return "mixed"


def _cluster(x: np.ndarray, seed: int = 0) -> np.ndarray:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    n = x.shape[0]
    if n < 3:
        return np.zeros(n, dtype=np.int64)
    best_labels, best_score = np.zeros(n, dtype=np.int64), -1.0
    with threadpool_limits(limits=1):  # a few hundred points: threads only add contention
        for k in range(2, min(8, n - 1) + 1):
            labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(x)
            if len(set(labels)) < 2:
                continue
            score = float(silhouette_score(x, labels))
            if score > best_score:
                best_labels, best_score = labels, score
    return best_labels


def profile_vehicles(cs: pl.DataFrame) -> pl.DataFrame:
    """Cluster vehicles on habit features and name each cluster from its centroid."""
    from sklearn.preprocessing import StandardScaler

    feats = profile_features(cs)
    if feats.height == 0:
        return feats
    raw = feats.select(_FEATURES).to_numpy().astype(float)
    x = StandardScaler().fit_transform(raw) if feats.height > 1 else raw
    x = np.nan_to_num(x)
    labels = _cluster(x)
    fit = np.full(len(labels), np.nan)
    if 2 <= len(set(labels)) < len(labels):
        from sklearn.metrics import silhouette_samples

        fit = silhouette_samples(x, labels)
    names = []
    for lab in labels:
        centroid = raw[labels == lab].mean(axis=0)
        names.append(name_archetype(dict(zip(_FEATURES, centroid, strict=True))))
    return feats.with_columns(
        cluster=pl.Series(labels.astype(np.int32)),
        archetype=pl.Series(names, dtype=pl.String),
        archetype_fit=pl.Series(fit).fill_nan(None),
        method=pl.lit("kmeans_silhouette_named_centroids"),
    )


def quarter_mix(cs: pl.DataFrame) -> pl.DataFrame:
    """Per vehicle and quarter: share of sessions and of energy in each session type."""
    energy = pl.col("grid_energy_kwh").fill_null(0.0).clip(lower_bound=0.0)
    q = cs.with_columns(
        period_start=pl.col("plug_in_ts").dt.replace_time_zone(None).dt.truncate("1q").dt.date(),
        e=energy,
    )
    g = q.group_by("vehicle_id", "period_start", "session_type").agg(
        pl.len().alias("sessions"), pl.col("e").sum().alias("e")
    )
    tot = pl.col("sessions").sum().over("vehicle_id", "period_start")
    etot = pl.col("e").sum().over("vehicle_id", "period_start")
    return g.with_columns(
        share_sessions=pl.col("sessions") / tot,
        share_energy=pl.when(etot > 0).then(pl.col("e") / etot).otherwise(0.0),
        quarter_sessions=tot,
    ).sort("vehicle_id", "period_start", "session_type")


def mix_stability(mix: pl.DataFrame) -> pl.DataFrame:
    """Jensen-Shannon divergence (base 2, 0..1) of energy mixes between consecutive quarters."""
    from scipy.spatial.distance import jensenshannon

    m = mix.filter(pl.col("quarter_sessions") >= MIN_QUARTER_SESSIONS)
    wide = m.pivot(
        on="session_type", index=["vehicle_id", "period_start"], values="share_energy"
    ).fill_null(0.0)
    for t in SESSION_TYPES:
        if t not in wide.columns:
            wide = wide.with_columns(pl.lit(0.0).alias(t))
    wide = wide.sort("vehicle_id", "period_start")
    rows = []
    for (vid,), g in wide.group_by("vehicle_id", maintain_order=True):
        p = g.select(SESSION_TYPES).to_numpy() + 1e-12
        d = jensenshannon(p[:-1], p[1:], base=2, axis=1) ** 2 if len(p) > 1 else np.array([])
        rows.append(
            {
                "vehicle_id": vid,
                "quarters": len(p),
                "mean_quarter_divergence": float(d.mean()) if d.size else None,
                "max_quarter_divergence": float(d.max()) if d.size else None,
            }
        )
    schema = {
        "vehicle_id": pl.String,
        "quarters": pl.Int32,
        "mean_quarter_divergence": pl.Float64,
        "max_quarter_divergence": pl.Float64,
    }
    out = pl.DataFrame(rows, schema=schema)
    return out.with_columns(stability=1.0 - pl.col("mean_quarter_divergence"))
