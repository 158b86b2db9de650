"""Assemble one vehicle's quality report from the checks, and print reports as text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from analytics.catalog import load_catalog
from analytics.quality.checks import (
    DYNAMIC_SIGNALS,
    find_gaps,
    odometer_events,
    sampling_stats,
    stuck_stretches,
)

__all__ = ["VehicleQuality", "format_report", "vehicle_quality"]

EVENT_COLUMNS = (
    "vehicle_id",
    "kind",
    "signal",
    "start_ts",
    "end_ts",
    "duration_s",
    "magnitude",
    "detail",
)


@dataclass
class VehicleQuality:
    """The three table fragments for one vehicle."""

    summary: pl.DataFrame  # one row of quality_vehicles
    signals: pl.DataFrame  # rows of quality_signals
    events: pl.DataFrame  # rows of quality_events


def _grade(
    cov: float, missing: int, stuck: int, jumps: int, rollbacks: int, bad_frac: float
) -> str:
    if cov < 50 or rollbacks or stuck >= 3 or bad_frac > 0.05:
        return "poor"
    if cov < 80 or missing > 0 or stuck or jumps or bad_frac > 0.005:
        return "fair"
    return "good"


def vehicle_quality(
    vehicle_id: str, frame: pl.DataFrame, quarantined: pl.DataFrame | None = None
) -> VehicleQuality:
    """Quality of one vehicle from its signals (``ts, signal, value``) and quarantine counts.

    ``quarantined``: rows ``signal, reason, count`` of what ingest did not store for it.
    """
    quarantined = (
        quarantined
        if quarantined is not None
        else pl.DataFrame(schema={"signal": pl.String, "reason": pl.String, "count": pl.Int64})
    )
    gaps = find_gaps(frame)
    stats = sampling_stats(frame, gaps)
    stuck = stuck_stretches(frame, gaps)
    odo = odometer_events(frame)
    oor = (
        quarantined.filter(pl.col("reason") == "out_of_range")
        .group_by("signal")
        .agg(pl.col("count").sum().alias("out_of_range_rows"))
    )
    stuck_per = stuck.group_by("signal").agg(
        pl.len().alias("stuck_stretches"), (pl.col("duration_s").sum() / 3600).alias("stuck_hours")
    )
    signals = (
        stats.join(stuck_per, on="signal", how="left")
        .join(oor, on="signal", how="left")
        .with_columns(
            pl.col("stuck_stretches").fill_null(0).cast(pl.Int32),
            pl.col("stuck_hours").fill_null(0.0),
            pl.col("out_of_range_rows").fill_null(0).cast(pl.Int64),
            (
                pl.col("signal").is_in(list(DYNAMIC_SIGNALS))
                & (pl.col("distinct_values") == 1)
                & (pl.col("n_rows") >= 100)
            ).alias("flat_lined"),
        )
    )
    signals = signals.with_columns(
        pl.concat_str(
            [
                pl.when(pl.col("flat_lined")).then(pl.lit("flat-lined")),
                pl.when(pl.col("stuck_stretches") > 0).then(pl.lit("stuck")),
                pl.when(pl.col("out_of_range_rows") > 0).then(pl.lit("out-of-range values")),
            ],
            separator=";",
            ignore_nulls=True,
        ).alias("flags"),
        pl.lit(vehicle_id).alias("vehicle_id"),
    )
    events = (
        pl.concat(
            [
                gaps.events.with_columns(pl.lit(None, dtype=pl.String).alias("signal")).select(
                    "kind", "signal", "start_ts", "end_ts", "duration_s", "magnitude", "detail"
                ),
                stuck,
                odo,
            ],
            how="vertical_relaxed",
        )
        .with_columns(pl.lit(vehicle_id).alias("vehicle_id"))
        .select(EVENT_COLUMNS)
    )
    summary = _summary(vehicle_id, frame, gaps, signals, events, quarantined)
    return VehicleQuality(summary, signals, events)


def _summary(vehicle_id, frame, gaps, signals, events, quarantined) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    def count(kind: str) -> int:
        return int((events["kind"] == kind).sum())

    def days(kind: str) -> float:
        return float(events.filter(pl.col("kind") == kind)["duration_s"].sum()) / 86_400.0

    first, last = (frame["ts"].min(), frame["ts"].max()) if frame.height else (None, None)
    span_s = (last - first).total_seconds() if frame.height else 0.0  # type: ignore[operator]
    cov = 100.0 * gaps.covered_s / span_s if span_s > 0 else 0.0
    dup_reasons = ["duplicate_row", "conflicting_duplicate"]
    stored_fault = quarantined.filter(~pl.col("reason").is_in(dup_reasons))
    rejected = int(stored_fault["count"].sum()) if stored_fault.height else 0
    conflicts = int(quarantined.filter(pl.col("reason") == "conflicting_duplicate")["count"].sum())
    oor = int(signals["out_of_range_rows"].sum()) if signals.height else 0
    stuck = (
        int((signals["flat_lined"] | (signals["stuck_stretches"] > 0)).sum())
        if signals.height
        else 0
    )
    missing, jumps, rollbacks = (
        count("gap_missing_data"),
        count("clock_jump"),
        count("odometer_rollback"),
    )
    bad_frac = rejected / max(frame.height + rejected, 1)
    flags = []
    if missing:
        flags.append(f"{missing} gap(s) with missing data ({days('gap_missing_data'):.1f} d)")
    if stuck:
        names = signals.filter(pl.col("flags").str.contains("stuck|flat"))["signal"].to_list()
        flags.append("stuck/flat: " + ", ".join(_short(n) for n in names))
    if jumps:
        flags.append(f"{jumps} clock jump(s)")
    if rollbacks:
        flags.append(f"{rollbacks} odometer rollback(s)")
    if rejected:
        flags.append(f"{rejected} row(s) quarantined at ingest")
    if conflicts:
        flags.append(
            f"{conflicts} time(s) given twice with different values (a clock jump or "
            "merged streams)"
        )
    return pl.DataFrame(
        [
            {
                "vehicle_id": vehicle_id,
                "first_ts": first,
                "last_ts": last,
                "span_days": span_s / 86_400.0,
                "covered_days": gaps.covered_s / 86_400.0,
                "coverage_pct": cov,
                "n_rows": frame.height,
                "n_signals": signals.height,
                "gap_threshold_s": gaps.threshold_s,
                "logger_off_gaps": count("gap_logger_off"),
                "logger_off_days": days("gap_logger_off"),
                "missing_data_gaps": missing,
                "missing_data_days": days("gap_missing_data"),
                "stuck_signals": stuck,
                "out_of_range_rows": oor,
                "rejected_rows": rejected,
                "clock_jumps": jumps,
                "odometer_rollbacks": rollbacks,
                "grade": _grade(cov, missing, stuck, jumps + (conflicts > 0), rollbacks, bad_frac),
                "flags": "; ".join(flags),
                "computed_at": datetime.now(UTC),
            }
        ]
    )


def _short(path: str) -> str:
    """The catalog key of a signal (``pack_voltage_v``) for display."""
    sig = load_catalog().find(path)
    return sig.key if sig is not None else path


def format_report(
    vehicles: pl.DataFrame, signals: pl.DataFrame, events: pl.DataFrame, *, max_events: int = 8
) -> str:
    """A readable text report of the quality tables (one block per vehicle)."""
    out: list[str] = []
    for v in vehicles.sort("vehicle_id").iter_rows(named=True):
        vid = v["vehicle_id"]
        out.append(f"== {vid}: {v['grade'].upper()} ==")
        out.append(
            f"  covered {v['covered_days']:.1f} of {v['span_days']:.1f} days "
            f"({v['coverage_pct']:.0f} %), {v['n_rows']:,} rows, {v['n_signals']} signals, "
            f"{str(v['first_ts'])[:16]} .. {str(v['last_ts'])[:16]}"
        )
        out.append(
            f"  gaps (> {v['gap_threshold_s']:.0f} s): {v['logger_off_gaps']} logger off "
            f"({v['logger_off_days']:.1f} d), {v['missing_data_gaps']} missing data "
            f"({v['missing_data_days']:.1f} d)"
        )
        out.append(
            f"  stuck/flat signals {v['stuck_signals']}, out-of-range rows {v['out_of_range_rows']:,}"
            f" (quarantined in all {v['rejected_rows']:,}), clock jumps {v['clock_jumps']}, "
            f"odometer rollbacks {v['odometer_rollbacks']}"
        )
        sig = signals.filter(pl.col("vehicle_id") == vid).sort("signal")
        if sig.height:
            out.append(f"  {'signal':<28} {'rows':>10} {'median s':>9} {'per h':>7}  flags")
            for s in sig.iter_rows(named=True):
                med = s["median_interval_s"]
                out.append(
                    f"  {_short(s['signal']):<28} {s['n_rows']:>10,} "
                    f"{med if med is not None else float('nan'):>9.1f} "
                    f"{s['samples_per_hour']:>7.1f}  {s['flags'] or ''}"
                )
        ev = events.filter(pl.col("vehicle_id") == vid).filter(pl.col("kind") != "gap_logger_off")
        for e in ev.sort("start_ts").head(max_events).iter_rows(named=True):
            what = f" {_short(e['signal'])}" if e["signal"] else ""
            out.append(
                f"  ! {e['kind']}{what} {str(e['start_ts'])[:16]} .. {str(e['end_ts'])[:16]}: {e['detail']}"
            )
        if ev.height > max_events:
            out.append(f"  ! ... {ev.height - max_events} more (table quality_events)")
    return "\n".join(out) if out else "no vehicles with signals"
