"""Where a car charged: home, work or public.

With coordinates, a vehicle's charge locations are clustered with DBSCAN (haversine, 200 m);
the cluster with the most overnight plug-ins is home, the other cluster with mostly weekday
daytime plug-ins is work, everything else (and every DC charge) is public. Without
coordinates the same time patterns classify each session on its own. Local time is UTC
shifted by the vehicle's median longitude / 15 h (solar time, good to about an hour), or UTC
when no coordinates exist.
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = [
    "DBSCAN_EPS_M",
    "DBSCAN_MIN_SESSIONS",
    "assign_locations",
    "local_patterns",
    "utc_offset_h",
]

DBSCAN_EPS_M = 200.0
DBSCAN_MIN_SESSIONS = 3
_EARTH_RADIUS_M = 6_371_000.0


def utc_offset_h(longitude: pl.Series) -> float:
    """Solar offset in whole hours from the median longitude (0 when unknown)."""
    lon = longitude.drop_nulls()
    if lon.len() == 0:
        return 0.0
    return float(np.round(float(lon.median()) / 15.0))


def local_patterns(frame: pl.DataFrame, offset_h: float) -> pl.DataFrame:
    """Add ``overnight`` and ``workday_daytime`` flags from the plug window in local time.

    Overnight: plugged in for at least 4 h across 03:00 local. Workday daytime: plugged in
    Monday-Friday between 06:00 and 11:00 local for 3 h or more, out by 20:00 the same day.
    """
    shift = pl.duration(minutes=int(offset_h * 60))
    local_in = (pl.col("plug_in_ts") + shift).dt.replace_time_zone(None)
    local_out = (pl.col("plug_out_ts") + shift).dt.replace_time_zone(None)
    day0 = local_in.dt.truncate("1d")
    three = day0 + pl.duration(hours=3)
    next_three = pl.when(local_in.dt.hour() >= 3).then(three + pl.duration(days=1)).otherwise(three)
    plugged_h = (pl.col("plug_out_ts") - pl.col("plug_in_ts")).dt.total_seconds() / 3600.0
    overnight = (next_three <= local_out) & (plugged_h >= 4.0)
    workday = (
        (local_in.dt.weekday() <= 5)
        & local_in.dt.hour().is_between(6, 10)
        & (plugged_h >= 3.0)
        & (local_out < day0 + pl.duration(hours=20))
    )
    return frame.with_columns(overnight=overnight, workday_daytime=workday & ~overnight)


def _clusters(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    from sklearn.cluster import DBSCAN

    xy = np.radians(np.column_stack([lat, lon]))
    model = DBSCAN(
        eps=DBSCAN_EPS_M / _EARTH_RADIUS_M,
        min_samples=DBSCAN_MIN_SESSIONS,
        metric="haversine",
        algorithm="ball_tree",
    )
    return model.fit_predict(xy).astype(np.int32)


def assign_locations(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``location``, ``location_cluster``, ``location_method`` and ``utc_offset_h``.

    Needs ``plug_in_ts, plug_out_ts, charge_type, latitude, longitude`` (one vehicle).
    """
    offset = utc_offset_h(frame["longitude"])
    f = local_patterns(frame, offset)
    has_xy = (f["latitude"].is_not_null() & f["longitude"].is_not_null()).to_numpy()
    cluster = np.full(f.height, -1, dtype=np.int32)
    if has_xy.sum() >= DBSCAN_MIN_SESSIONS:
        cluster[has_xy] = _clusters(
            f["latitude"].to_numpy()[has_xy], f["longitude"].to_numpy()[has_xy]
        )
    f = f.with_columns(location_cluster=pl.Series(cluster), has_xy=pl.Series(has_xy))
    ac = pl.col("charge_type") != "DC"
    stats = (
        f.filter(pl.col("location_cluster") >= 0)
        .group_by("location_cluster")
        .agg(
            (pl.col("overnight") & ac).sum().alias("n_night"),
            (pl.col("workday_daytime") & ac).sum().alias("n_day"),
            pl.len().alias("n"),
        )
        .sort("location_cluster")
    )
    home = work = None
    night = stats.filter(pl.col("n_night") >= DBSCAN_MIN_SESSIONS).sort(
        ["n_night", "location_cluster"], descending=[True, False]
    )
    if night.height:
        home = int(night["location_cluster"][0])
    day = stats.filter(
        (pl.col("location_cluster") != (home if home is not None else -2))
        & (pl.col("n_day") >= DBSCAN_MIN_SESSIONS)
        & (pl.col("n_day") >= 0.5 * pl.col("n"))
    ).sort(["n_day", "location_cluster"], descending=[True, False])
    if day.height:
        work = int(day["location_cluster"][0])
    by_cluster = (
        pl.when(pl.col("location_cluster") == (home if home is not None else -2))
        .then(pl.lit("home"))
        .when(pl.col("location_cluster") == (work if work is not None else -2))
        .then(pl.lit("work"))
        .otherwise(pl.lit("public"))
    )
    by_pattern = (
        pl.when(pl.col("overnight"))
        .then(pl.lit("home"))
        .when(pl.col("workday_daytime"))
        .then(pl.lit("work"))
        .otherwise(pl.lit("public"))
    )
    location = (
        pl.when(~ac)
        .then(pl.lit("public"))
        .when(pl.col("has_xy"))
        .then(by_cluster)
        .otherwise(by_pattern)
    )
    return f.with_columns(
        location=location,
        location_method=pl.when(pl.col("has_xy"))
        .then(pl.lit("coordinates"))
        .otherwise(pl.lit("pattern")),
        utc_offset_h=pl.lit(offset),
    ).drop("overnight", "workday_daytime", "has_xy")
