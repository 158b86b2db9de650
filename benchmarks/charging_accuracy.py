"""Charging models against the simulator's ground truth.

Generates a fleet with seeds not used by any test, puts its car-reported telemetry into a fresh
warehouse (truth never enters it), runs ``sessions`` and ``charging``, and compares with
``Fleet.sessions`` (kind = charge) and ``Fleet.vehicles``:

* detection: precision and recall of charge sessions whose start *and* end are both within
  5 minutes of a true charge (active charging: ``start_ts/end_ts``; plug window:
  ``plug_in_ts/plug_out_ts``), one-to-one matching by nearest start;
* energy: per matched session, absolute error of grid-side and pack-side energy (% of truth);
* archetypes: adjusted Rand index of ``charging_profiles.archetype`` vs the simulator's
  ``charging_archetype`` per vehicle;
* load forecast: 7-day hourly fleet load from four rolling origins (the last four weeks),
  model vs seasonal-naive (same hour last week), both trained on the *measured* load and
  scored against the *true* load: MAPE over hours whose true load is at least 10 % of its mean
  (MAPE is undefined at zero load) and WAPE (sum |error| / sum load) over all hours.

Targets: precision and recall >= 98 %, energy error <= 2 %, forecast beats seasonal-naive.
Usage::

    .venv/bin/python benchmarks/charging_accuracy.py [--vehicles 24] [--days 365] [--seed 7319]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta

import numpy as np
import polars as pl

__all__ = ["main"]

TOL = timedelta(minutes=5)


def build_warehouse(vehicles: int, days: int, seed: int):  # type: ignore[no-untyped-def]
    """Simulate a fleet and load its telemetry + metadata into an in-memory warehouse."""
    from analytics.simulate import FleetConfig, load_fleet, simulate_fleet
    from analytics.warehouse import open_warehouse

    fleet = simulate_fleet(FleetConfig(vehicles=vehicles, days=days, seed=seed))
    wh = open_warehouse(":memory:")
    load_fleet(wh, fleet)
    return fleet, wh


def _match(est: pl.DataFrame, truth: pl.DataFrame, s: str, e: str, ts: str, te: str):  # type: ignore[no-untyped-def]
    """One-to-one nearest-start matching; returns (precision, recall, matched frame)."""
    a = est.select("vehicle_id", "session_id", pl.col(s).alias("s"), pl.col(e).alias("e"),
                   "grid_energy_kwh", "pack_energy_kwh", "charge_type").drop_nulls(["s", "e"]).sort("s")  # fmt: skip
    b = truth.select("vehicle_id", pl.col("session_id").alias("true_id"),
                     pl.col(ts).alias("ts"), pl.col(te).alias("te"),
                     pl.col("grid_energy_kwh").alias("true_grid_kwh"),
                     pl.col("energy_kwh").alias("true_pack_kwh")).drop_nulls(["ts", "te"]).sort("ts")  # fmt: skip
    j = a.join_asof(
        b, left_on="s", right_on="ts", by="vehicle_id", strategy="nearest", check_sortedness=False
    )
    ok = ((j["s"] - j["ts"]).abs() <= TOL) & ((j["e"] - j["te"]).abs() <= TOL)
    m = j.filter(ok).unique("true_id", keep="first")
    precision = m.height / a.height if a.height else float("nan")
    recall = m.height / b.height if b.height else float("nan")
    return precision, recall, m, j.filter(~ok)


def _energy_err(m: pl.DataFrame, est: str, true: str) -> dict[str, float]:
    x = m.filter(pl.col(true) > 0.5).select(
        ((pl.col(est) - pl.col(true)).abs() / pl.col(true)).alias("r"), est, true
    )
    if x.height == 0:
        return {"n": 0}
    r = x["r"].to_numpy()
    return {
        "n": x.height,
        "mean_pct": 100 * float(np.nanmean(r)),
        "median_pct": 100 * float(np.nanmedian(r)),
        "p95_pct": 100 * float(np.nanpercentile(r, 95)),
        "total_pct": 100 * float(abs(x[est].sum() - x[true].sum()) / x[true].sum()),
    }


def _load_scores(actual: np.ndarray, fc: np.ndarray) -> tuple[float, float]:
    busy = actual >= 0.1 * actual.mean()
    mape = float(np.mean(np.abs(fc[busy] - actual[busy]) / actual[busy])) * 100
    wape = float(np.abs(fc - actual).sum() / actual.sum()) * 100
    return mape, wape


def evaluate(fleet, wh) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Print and return the figures."""
    from sklearn.metrics import adjusted_rand_score

    from analytics.charging.forecast import fleet_load, forecast_load, seasonal_naive
    from analytics.charging.slots import session_slots
    from analytics.charging.timeutil import utc
    from analytics.errors import ChargingError

    tcols = ("start_ts", "end_ts", "plug_in_ts", "plug_out_ts")
    truth = utc(fleet.sessions.filter(pl.col("kind") == "charge"), *tcols)
    est = utc(
        wh.sql("SELECT * FROM charging_sessions"),
        "charge_start_ts", "charge_end_ts", "plug_in_ts", "plug_out_ts",
    )  # fmt: skip
    out: dict[str, object] = {"true_charges": truth.height, "detected": est.height}
    print(f"charge sessions: {truth.height} true, {est.height} detected")
    for label, s, e, ts, te in (
        ("charging start/end", "charge_start_ts", "charge_end_ts", "start_ts", "end_ts"),
        ("plug-in/plug-out", "plug_in_ts", "plug_out_ts", "plug_in_ts", "plug_out_ts"),
    ):
        p, r, m, miss = _match(est, truth, s, e, ts, te)
        out[label] = {"precision": p, "recall": r}
        print(f"  {label:<20} precision {100 * p:6.2f} %  recall {100 * r:6.2f} %  (within 5 min)")
        if label.startswith("charging"):
            matched = m
            if miss.height:
                ds = (miss["s"] - miss["ts"]).dt.total_seconds().abs()
                de = (miss["e"] - miss["te"]).dt.total_seconds().abs()
                print(
                    f"    unmatched detections: {miss.height}; median start error {ds.median():.0f} s,"
                    f" median end error {de.median():.0f} s"
                )
    loc = matched.join(est.select("session_id", "location"), on="session_id").join(
        truth.select(pl.col("session_id").alias("true_id"), pl.col("location").alias("true_loc")),
        on="true_id",
    )
    loc_acc = float((loc["location"] == loc["true_loc"]).mean()) if loc.height else float("nan")
    out["location_accuracy"] = loc_acc
    print(f"  location home/work/public: {100 * loc_acc:.2f} % of matched sessions correct")
    g = _energy_err(matched, "grid_energy_kwh", "true_grid_kwh")
    k = _energy_err(matched, "pack_energy_kwh", "true_pack_kwh")
    out["energy_grid"], out["energy_pack"] = g, k
    by_power = (
        matched.join(truth.select(pl.col("session_id").alias("true_id"), "power_kw"), on="true_id")
        .join(est.select("session_id", "grid_energy_method"), on="session_id")
        .filter(pl.col("true_grid_kwh") > 0.5)
        .group_by("charge_type", "power_kw")
        .agg(
            pl.len().alias("n"),
            ((pl.col("grid_energy_kwh") / pl.col("true_grid_kwh") - 1) * 100)
            .median()
            .alias("bias"),
            ((pl.col("pack_energy_kwh") / pl.col("true_pack_kwh") - 1).abs() * 100)
            .mean()
            .alias("pk"),
            (pl.col("grid_energy_method") == "charger_power+fixed_load").mean().alias("fixed"),
            (pl.col("grid_energy_method") == "charger_power+expected_fixed_load")
            .mean()
            .alias("expected"),
        )
        .sort("charge_type", "power_kw")
    )
    for ct, kw, n, bias, pk, fixed, expected in by_power.iter_rows():
        print(
            f"    {ct} {kw:>5.1f} kW: n={n:<5} grid-side median error {bias:+6.2f} %, "
            f"pack-side mean |err| {pk:5.2f} %, fixed load added to {100 * fixed:3.0f} %, "
            f"its expected share to {100 * expected:3.0f} %"
        )
    for name, x in (("grid-side", g), ("pack-side", k)):
        if x.get("n"):
            print(
                f"  energy {name:<10} n={x['n']:<5} mean |err| {x['mean_pct']:5.2f} %  median "
                f"{x['median_pct']:5.2f} %  P95 {x['p95_pct']:5.2f} %  total {x['total_pct']:5.2f} %"
            )
    prof = wh.sql("SELECT vehicle_id, archetype FROM charging_profiles")
    tv = fleet.vehicles.select("vehicle_id", "charging_archetype").join(prof, on="vehicle_id")
    ari = float(adjusted_rand_score(tv["charging_archetype"], tv["archetype"]))
    out["ari"] = ari
    print(f"archetypes: adjusted Rand index {ari:.3f} over {tv.height} vehicles")
    ct = (
        tv.group_by("charging_archetype", "archetype").len().sort("charging_archetype", "archetype")
    )
    for a, b, n in ct.iter_rows():
        print(f"    true {a:<22} -> {b:<22} {n}")

    # stress and flexibility inputs against truth
    tdc = truth.group_by("vehicle_id").agg(
        (
            pl.col("grid_energy_kwh").filter(pl.col("charge_type") == "DC").sum()
            / pl.col("grid_energy_kwh").sum()
        ).alias("true_dc")
    )
    st = wh.sql("SELECT vehicle_id, dc_energy_share FROM charging_stress WHERE period = 'all'")
    dcj = tdc.join(st, on="vehicle_id")
    dc_err = (dcj["dc_energy_share"] - dcj["true_dc"]).abs()
    out["dc_share_mae_pts"] = 100 * float(dc_err.mean())
    print(
        f"DC energy share per vehicle: MAE {100 * dc_err.mean():.2f} points, "
        f"max {100 * dc_err.max():.2f} points"
    )
    from analytics.charging.flexibility import flexibility_envelope

    # Same rate definition on both sides (mean power over the active span), so the gap
    # reflects plug windows and energies only.
    def _flex(frame: pl.DataFrame, s: str, e: str) -> float:
        hours = (pl.col(e) - pl.col(s)).dt.total_seconds() / 3600
        f = frame.select(
            "vehicle_id", "session_id", "plug_in_ts", "plug_out_ts",
            pl.col(s).alias("charge_start_ts"), pl.col(e).alias("charge_end_ts"),
            "grid_energy_kwh", (pl.col("grid_energy_kwh") / hours).alias("max_power_kw"),
        ).drop_nulls()  # fmt: skip
        env, _ = flexibility_envelope(f.filter(pl.col("max_power_kw").is_finite()))
        return float(env["shiftable_kwh"].sum())

    t_shift = _flex(truth, "start_ts", "end_ts")
    o_shift = _flex(est, "charge_start_ts", "charge_end_ts")
    out["shiftable_ratio"] = o_shift / t_shift if t_shift else float("nan")
    print(
        f"flexibility: shiftable energy {o_shift:,.0f} kWh measured vs {t_shift:,.0f} kWh from "
        f"the true sessions ({100 * (o_shift / t_shift - 1):+.1f} %; same rate definition)"
    )

    measured = fleet_load(session_slots(est.drop_nulls(["grid_energy_kwh", "max_power_kw"])))
    tslots = session_slots(
        truth.select(
            "vehicle_id", "session_id", "plug_in_ts", "plug_out_ts",
            pl.col("start_ts").alias("charge_start_ts"), pl.col("end_ts").alias("charge_end_ts"),
            "grid_energy_kwh", pl.lit(1e6).alias("max_power_kw"),
        ).drop_nulls()
    )  # fmt: skip
    true_load = fleet_load(tslots)
    end = min(measured["hour_ts"].max(), true_load["hour_ts"].max())
    rows = []
    for w in (4, 3, 2, 1):
        origin = end - timedelta(hours=168 * w)
        hist = measured.filter(pl.col("hour_ts") <= origin)
        act = true_load.filter(
            (pl.col("hour_ts") > origin) & (pl.col("hour_ts") <= origin + timedelta(hours=168))
        )
        if act.height < 168:
            continue
        try:
            fc = forecast_load(hist)
        except ChargingError:
            continue  # not two weeks of history before this origin
        sn = seasonal_naive(hist)
        y = act["load_kw"].to_numpy()
        f = fc["load_kw"].to_numpy()
        inside = float(
            np.mean((y >= fc["load_low_kw"].to_numpy()) & (y <= fc["load_high_kw"].to_numpy()))
        )
        rows.append((*_load_scores(y, f), *_load_scores(y, sn["load_kw"].to_numpy()), inside))
    if rows:
        arr = np.array(rows)
        mape_m, wape_m, mape_n, wape_n, cover = arr.mean(axis=0)
        out["forecast"] = {
            "mape_model": mape_m, "wape_model": wape_m, "mape_naive": mape_n,
            "wape_naive": wape_n, "coverage90": cover, "origins": len(rows),
        }  # fmt: skip
        print(
            f"load forecast ({len(rows)} origins x 168 h): model MAPE {mape_m:5.1f} %  WAPE "
            f"{wape_m:5.1f} %  | seasonal-naive MAPE {mape_n:5.1f} %  WAPE {wape_n:5.1f} %  | "
            f"90 % interval coverage {100 * cover:4.1f} %"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=24)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=7319)
    a = ap.parse_args(argv)
    from analytics.charging.stage import run_stage
    from analytics.sessions.stage import run_stage as run_sessions

    t0 = time.perf_counter()
    fleet, wh = build_warehouse(a.vehicles, a.days, a.seed)
    t1 = time.perf_counter()
    run_sessions(wh)
    t2 = time.perf_counter()
    summary = run_stage(wh)
    t3 = time.perf_counter()
    print(
        f"fleet {a.vehicles} vehicles x {a.days} days, seed {a.seed}: simulate+load "
        f"{t1 - t0:.1f} s, sessions {t2 - t1:.1f} s, charging stage {t3 - t2:.1f} s "
        f"({(t3 - t2) / max(a.vehicles, 1):.2f} s/vehicle)"
    )
    print(f"charging stage: {summary}")
    res = evaluate(fleet, wh)
    det = res["charging start/end"]
    fc = res.get("forecast") or {}
    g = res["energy_grid"]
    checks = {
        "precision >= 98 %": det["precision"] >= 0.98,
        "recall >= 98 %": det["recall"] >= 0.98,
        "grid energy error <= 2 %": bool(g.get("n")) and g["mean_pct"] <= 2.0,
        "forecast beats seasonal-naive (MAPE)": bool(fc) and fc["mape_model"] < fc["mape_naive"],
    }
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'MISS'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
