"""Back-test of the degradation forecast against the simulator's ground truth.

Simulates a fleet (seeds not used in tests), loads the car-reported telemetry into a
warehouse, and for each cut-off (the first 6, 12 and 24 months of every vehicle) fits on the
data before the cut-off only and forecasts the rest. Prints, at 6-, 12- and 24-month horizons,
the mean absolute error against the true capacity SoH and the share of true values inside the
90 % interval, for our model and two baselines measured in the same run:

- ``linear``: ordinary least squares line through the vehicle's own weekly SoH, extrapolated
  (90 % OLS prediction interval);
- ``cohort``: the cohort's mean curve ``SoH = a - b sqrt(age)`` fitted to every cohort vehicle's
  data before the cut-off (interval: +-1.645 x the spread of vehicles around it).

SoH input: the pipeline's own ``soh`` table (sessions + soh stages re-run on the truncated
telemetry, so no estimate sees the future) when ``analytics.soh.stage`` exists, otherwise the
true SoH plus a realistic measurement error (AR(1) noise, 0.8 points, a month's correlation);
the output says which.

    .venv/bin/python benchmarks/forecast_backtest.py [--vehicles 24] [--days 1100] [--seed 9101]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import polars as pl

from analytics.forecast.api import FleetData, forecast_vehicles
from analytics.forecast.cohorts import infer_cohorts
from analytics.forecast.design import build_histories
from analytics.forecast.fit import weekly_soh

CUTOFFS_MONTHS = (6, 12, 24)
HORIZONS_MONTHS = (6, 12, 24)
Z90 = 1.6448536269514722


def _months(d: date, m: int) -> date:
    return d + timedelta(days=round(m * 365.25 / 12))


def simulate(vehicles: int, days: int, seed: int):
    from analytics.simulate import FleetConfig, simulate_fleet

    return simulate_fleet(FleetConfig(vehicles=vehicles, days=days, seed=seed))


def load_signals(wh, fleet, before: date | None = None) -> None:  # type: ignore[no-untyped-def]
    from analytics.simulate import load_fleet

    load_fleet(wh, fleet, before=before)


def noisy_truth(vd: pl.DataFrame, seed: int) -> pl.DataFrame:
    """True capacity SoH plus AR(1) error of 0.8 points with ~30-day correlation."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    out = []
    sd, phi = 0.8, np.exp(-1 / 30)
    for (vid,), g in vd.sort("vehicle_id", "date").group_by("vehicle_id", maintain_order=True):
        e = lfilter([1.0], [1.0, -phi], rng.normal(0, sd * np.sqrt(1 - phi**2), g.height))
        y = g["capacity_soh_pct"].to_numpy() + e
        out.append(
            pl.DataFrame(
                {
                    "vehicle_id": vid,
                    "date": g["date"],
                    "soh_pct": y,
                    "soh_low_pct": y - Z90 * sd,
                    "soh_high_pct": y + Z90 * sd,
                }
            )
        )
    return pl.concat(out).with_columns(pl.col("date").cast(pl.Date))


def truncate(data: FleetData, cut: date, soh: pl.DataFrame) -> FleetData:
    f = data.features.filter(pl.col("date") < cut)
    e = data.exposure.filter(pl.col("date") < cut)
    s = soh.filter(pl.col("date") < cut)
    cohorts = infer_cohorts(f, data.meta)
    return FleetData(f, e, data.meta, cohorts, s, build_histories(f, e, data.meta))


def baselines(
    data: FleetData, cut: date, targets: dict[str, list[date]]
) -> dict[str, pl.DataFrame]:
    """Linear extrapolation and cohort mean curve forecasts at the target dates."""
    w = weekly_soh(data.soh)
    age0 = data.features.group_by("vehicle_id").agg(
        pl.col("date").min().alias("d0"), pl.col("age_days").min().alias("a0")
    )
    w = w.join(age0, on="vehicle_id").with_columns(
        (((pl.col("date") - pl.col("d0")).dt.total_days() + pl.col("a0")) / 365.25).alias("age_y")
    )
    cohort = dict(data.cohorts.select("vehicle_id", "cohort").iter_rows())
    mc = dict(data.cohorts.select("vehicle_id", pl.concat_str(["model", "chemistry"])).iter_rows())
    lin, coh = [], []
    for vid, dates in targets.items():
        g = w.filter(pl.col("vehicle_id") == vid)
        if g.height < 3:
            continue
        a = age0.filter(pl.col("vehicle_id") == vid).row(0, named=True)
        ages = np.array([((d - a["d0"]).days + a["a0"]) / 365.25 for d in dates])
        x, y = g["age_y"].to_numpy(), g["soh_pct"].to_numpy()
        X = np.column_stack([np.ones_like(x), x])
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        res = y - X @ beta
        s2 = float(res @ res / max(len(y) - 2, 1))
        xtx_inv = np.linalg.inv(X.T @ X)
        Xf = np.column_stack([np.ones_like(ages), ages])
        se = np.sqrt(s2 * (1 + np.einsum("ij,jk,ik->i", Xf, xtx_inv, Xf)))
        m = Xf @ beta
        lin.append(
            pl.DataFrame(
                {
                    "vehicle_id": vid,
                    "date": dates,
                    "soh_pct": m,
                    "soh_low_pct": m - Z90 * se,
                    "soh_high_pct": m + Z90 * se,
                }
            )
        )
        peers = [v for v, c in cohort.items() if c == cohort.get(vid)]
        if len(peers) < 3:
            peers = [v for v, c in mc.items() if c == mc.get(vid)]
        p = w.filter(pl.col("vehicle_id").is_in(peers))
        Xp = np.column_stack([np.ones(p.height), np.sqrt(p["age_y"].to_numpy())])
        bp, *_ = np.linalg.lstsq(Xp, p["soh_pct"].to_numpy(), rcond=None)
        per_v = p.with_columns(
            (pl.col("soh_pct") - (bp[0] + bp[1] * pl.col("age_y").sqrt())).alias("r")
        )
        spread = float(per_v.group_by("vehicle_id").agg(pl.col("r").mean())["r"].std() or 0.0)
        spread = float(np.hypot(spread, per_v["r"].std() or 0.0))
        mc_pred = bp[0] + bp[1] * np.sqrt(ages)
        coh.append(
            pl.DataFrame(
                {
                    "vehicle_id": vid,
                    "date": dates,
                    "soh_pct": mc_pred,
                    "soh_low_pct": mc_pred - Z90 * spread,
                    "soh_high_pct": mc_pred + Z90 * spread,
                }
            )
        )
    return {"linear": pl.concat(lin), "cohort": pl.concat(coh)}


def model_at(forecasts: pl.DataFrame, targets: dict[str, list[date]]) -> pl.DataFrame:
    """Our forecast interpolated to the target dates."""
    out = []
    for (vid,), f in forecasts.sort("date").group_by("vehicle_id", maintain_order=True):
        if vid not in targets:
            continue
        fd = f["date"].to_numpy().astype("datetime64[D]").astype(float)
        td = np.array(targets[vid], dtype="datetime64[D]").astype(float)
        row = {"vehicle_id": vid, "date": targets[vid]}
        for c in ("soh_pct", "soh_low_pct", "soh_high_pct"):
            row[c] = np.interp(td, fd, f[c].to_numpy())
        out.append(pl.DataFrame(row))
    return pl.concat(out)


def change_error(forecasts: pl.DataFrame, truth: pl.DataFrame, cut: date, h: int = 12) -> float:
    """MAE of the forecast *change* over ``h`` months (from the last day of data) against the true
    change: how well the model predicts the fade itself, apart from the SoH input's level error."""
    day0 = cut - timedelta(days=1)
    targets = {v: [day0, _months(cut, h)] for v in forecasts["vehicle_id"].unique().to_list()}
    m = model_at(forecasts, targets).sort("vehicle_id", "date")
    t = truth.filter(pl.col("date").is_in([day0, _months(cut, h)])).sort("vehicle_id", "date")
    dm = m.group_by("vehicle_id").agg(
        (pl.col("soh_pct").last() - pl.col("soh_pct").first()).alias("dm")
    )
    dt = t.group_by("vehicle_id").agg(
        (pl.col("capacity_soh_pct").last() - pl.col("capacity_soh_pct").first()).alias("dt"),
        pl.len().alias("n"),
    )
    j = dm.join(dt.filter(pl.col("n") == 2), on="vehicle_id")
    return float((j["dm"] - j["dt"]).abs().mean()) if j.height else float("nan")


def score(pred: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    j = pred.with_columns(pl.col("date").cast(pl.Date)).join(
        truth.select("vehicle_id", pl.col("date").cast(pl.Date), "capacity_soh_pct"),
        on=["vehicle_id", "date"],
    )
    err = (j["soh_pct"] - j["capacity_soh_pct"]).abs()
    inside = (j["capacity_soh_pct"] >= j["soh_low_pct"]) & (
        j["capacity_soh_pct"] <= j["soh_high_pct"]
    )
    return {"mae": float(err.mean()), "coverage": float(inside.mean()), "n": j.height}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=24)
    ap.add_argument("--days", type=int, default=1100)
    ap.add_argument("--seed", type=int, default=9101)
    ap.add_argument("--soh-source", choices=["auto", "pipeline", "truth"], default="auto")
    args = ap.parse_args()
    from analytics.forecast.api import prepare
    from analytics.warehouse import open_warehouse

    t0 = time.perf_counter()
    fleet = simulate(args.vehicles, args.days, args.seed)
    t_sim = time.perf_counter() - t0
    truth = fleet.vehicle_days.with_columns(pl.col("date").cast(pl.Date))
    start = truth["date"].min()
    has_soh_stage = importlib.util.find_spec("analytics.soh.stage") is not None
    source = (
        args.soh_source if args.soh_source != "auto" else ("pipeline" if has_soh_stage else "truth")
    )
    print(
        f"fleet: {args.vehicles} vehicles x {args.days} days, seed {args.seed} "
        f"(simulated in {t_sim:.0f} s); SoH input: "
        + (
            "pipeline soh table (sessions + soh stages on truncated telemetry)"
            if source == "pipeline"
            else "true capacity SoH + AR(1) measurement error 0.8 points"
        )
    )
    results: dict[tuple[int, int, str], dict[str, float]] = {}
    changes: dict[int, float] = {}
    full = None
    if source == "truth":
        wh = open_warehouse(":memory:")
        load_signals(wh, fleet)
        full = prepare(wh, fleet.vehicles["vehicle_id"].to_list())
        soh_all = noisy_truth(truth, args.seed)
    for cut_m in CUTOFFS_MONTHS:
        cut = _months(start, cut_m)
        t1 = time.perf_counter()
        if source == "pipeline":
            from analytics.sessions.stage import run_stage as run_sessions
            from analytics.soh.stage import run_stage as run_soh

            wh = open_warehouse(":memory:")
            load_signals(wh, fleet, before=cut)
            run_sessions(wh)
            run_soh(wh)
            data = prepare(wh, fleet.vehicles["vehicle_id"].to_list())
            data = replace(data, soh=data.soh.filter(pl.col("date") < cut))
            wh.close()
            j = data.soh.join(
                truth.select("vehicle_id", "date", "capacity_soh_pct"), on=["vehicle_id", "date"]
            )
            print(
                f"  cut-off {cut_m:>2} months: input SoH (pipeline) MAE vs truth "
                f"{(j['soh_pct'] - j['capacity_soh_pct']).abs().mean():.2f}, bias "
                f"{(j['soh_pct'] - j['capacity_soh_pct']).mean():+.2f} points over {j.height} vehicle-days"
            )
        else:
            data = truncate(full, cut, soh_all)
        targets = {v: [_months(cut, h) for h in HORIZONS_MONTHS] for v in data.histories}
        last = truth["date"].max()
        targets = {v: [d for d in ds if d <= last] for v, ds in targets.items()}
        t2 = time.perf_counter()
        res = forecast_vehicles(data, horizon_months=max(HORIZONS_MONTHS) + 1)
        t_fit = time.perf_counter() - t2
        preds = {"model": model_at(res.forecasts, targets), **baselines(data, cut, targets)}
        for name, p in preds.items():
            for h in HORIZONS_MONTHS:
                sel = p.filter(pl.col("date") == _months(cut, h))
                if sel.height:
                    results[(cut_m, h, name)] = score(sel, truth)
        changes[cut_m] = change_error(res.forecasts, truth, cut)
        print(
            f"  cut-off {cut_m:>2} months: inputs in {t2 - t1:.1f} s, fit + forecast in {t_fit:.1f} s; "
            f"exponents {res.fit.exponents}; process sd {res.fit.process_var**0.5:.2f} pt/sqrt(yr) "
            f"({res.fit.process_source})"
        )
    print("\nMAE (SoH points) and 90 % interval coverage vs true capacity SoH")
    print(
        f"{'fit on':>8} {'horizon':>8} {'n':>4} | {'model':>14} | {'linear':>14} | {'cohort':>14}"
    )
    for cut_m in CUTOFFS_MONTHS:
        for h in HORIZONS_MONTHS:
            cells = [results.get((cut_m, h, n)) for n in ("model", "linear", "cohort")]
            if cells[0] is None:
                continue
            txt = " | ".join(
                f"{c['mae']:5.2f} {100 * c['coverage']:5.1f} %" if c else f"{'-':>14}"
                for c in cells
            )
            print(f"{cut_m:>6} mo {h:>5} mo {cells[0]['n']:>4} | {txt}")
    print(
        "\nMAE of the forecast 12-month change (fade itself, input level error removed): "
        + ", ".join(f"fit on {c} mo {v:.2f}" for c, v in changes.items())
    )
    twelve = [results[k] for k in results if k[1] == 12 and k[2] == "model"]
    if twelve:
        mae = np.mean([r["mae"] for r in twelve])
        best_base = min(
            np.mean([results[k]["mae"] for k in results if k[1] == 12 and k[2] == b])
            for b in ("linear", "cohort")
        )
        cov = np.mean([r["coverage"] for r in twelve])
        print(
            f"\n12-month horizon, all cut-offs: model MAE {mae:.2f} (target <= 1.5), "
            f"better baseline {best_base:.2f} -> {100 * (1 - mae / best_base):.0f} % lower "
            f"(target >= 30 %); coverage {100 * cov:.1f} % (target 85-95 %)"
        )


if __name__ == "__main__":
    main()
