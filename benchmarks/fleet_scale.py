"""Fleet scale: wall time per stage, rows/s and peak memory for each executor, and a projection.

One run:
1. simulates ``--vehicles`` x ``--days`` (canonical Parquet export) and ingests it once;
2. for each executor (``local``, ``processes``, ``dask``: a LocalCluster of one worker per core)
   runs every stage on its own copy of that warehouse, in a fresh process, sampling the resident
   memory of the driver and of all its worker processes;
3. measures the driver's own share of a per-vehicle stage (reading each vehicle's signals and
   sessions from DuckDB, which only the driver can do) and an incremental re-run with nothing
   changed;
4. projects the wall time and cluster size for ``--project`` vehicles from the measured
   per-vehicle costs (said so in the output: projected, not measured).

Usage: python benchmarks/fleet_scale.py [--vehicles 100] [--days 365] [--seed 41]
       [--executors local,processes,dask] [--project 100000] [--lake] [--keep DIR [--reuse]]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PER_VEHICLE = ("quality", "sessions", "soh", "charging")


class PeakMemory:
    """Peak resident memory of this process, and of it plus every descendant, sampled."""

    def __init__(self, every_s: float = 0.25) -> None:
        import psutil

        self._proc = psutil.Process()
        self.every_s = every_s
        self.driver_mb = 0.0
        self.total_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                own = self._proc.memory_info().rss
                kids = 0
                for c in self._proc.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        kids += c.memory_info().rss
            except psutil.Error:
                continue
            self.driver_mb = max(self.driver_mb, own / 2**20)
            self.total_mb = max(self.total_mb, (own + kids) / 2**20)
            self._stop.wait(self.every_s)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def prepare(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Simulate, export and ingest the fleet once; the warehouse every executor starts from."""
    from analytics.ingest import ingest_paths
    from analytics.simulate import FleetConfig, simulate_fleet, write_outputs
    from analytics.warehouse import open_warehouse

    t0 = time.perf_counter()
    fleet = simulate_fleet(FleetConfig(vehicles=args.vehicles, days=args.days, seed=args.seed))
    t1 = time.perf_counter()
    write_outputs(fleet, work / "fleet", formats=("long",))
    del fleet
    t2 = time.perf_counter()
    base = work / "base.duckdb"
    with PeakMemory() as mem, open_warehouse(base) as wh:
        if args.lake:
            from analytics.lake import configure

            configure(wh, work / "lake")  # every copy of the warehouse reads this lake
        results = ingest_paths(wh, [work / "fleet"], show_progress=False)
        rows = wh.one("SELECT count(*) FROM signals")[0]
    t3 = time.perf_counter()
    failed = [r.path for r in results if r.status == "failed"]
    if failed:
        raise SystemExit(f"ingest failed for {failed}")
    return {
        "simulate_s": t1 - t0,
        "export_s": t2 - t1,
        "ingest_s": t3 - t2,
        "ingest_peak_mb": mem.total_mb,
        "signal_rows": rows,
    }


def run_one(spec: str, path: Path) -> dict[str, Any]:
    """Every stage on ``path`` with executor ``spec`` (runs in its own process)."""
    from analytics.execute import open_executor
    from analytics.pipeline import run_stages
    from analytics.warehouse import open_warehouse

    out: dict[str, Any] = {"executor": spec}
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        with open_executor(spec) as ex:
            out["start_s"] = time.perf_counter() - t0
            out["workers"] = ex.workers
            with open_warehouse(path) as wh:
                t1 = time.perf_counter()
                summaries = run_stages(wh, executor=ex, echo=lambda _: None)
                out["stages_s"] = time.perf_counter() - t1
                t2 = time.perf_counter()
                again = run_stages(wh, executor=ex, echo=lambda _: None, incremental=True)
                out["unchanged_rerun_s"] = time.perf_counter() - t2
                assert all("unchanged_vehicles" in s for s in again.values())
        out["total_s"] = time.perf_counter() - t0
    out["stage_s"] = {k: v["seconds"] for k, v in summaries.items()}
    out["driver_peak_mb"] = mem.driver_mb
    out["total_peak_mb"] = mem.total_mb
    return out


def driver_share(path: Path) -> dict[str, float]:
    """Seconds the driver spends reading one vehicle's inputs, per stage kind (mean)."""
    from analytics.warehouse import open_warehouse, read_signals, vehicle_ids

    with open_warehouse(path, read_only=True) as wh:
        ids = vehicle_ids(wh)
        t0 = time.perf_counter()
        for vid in ids:
            read_signals(wh, vid)
        signals_s = (time.perf_counter() - t0) / len(ids)
        t0 = time.perf_counter()
        for vid in ids:
            wh.sql("SELECT * FROM sessions WHERE vehicle_id = $v ORDER BY start_ts", {"v": vid})
        sessions_s = (time.perf_counter() - t0) / len(ids)
        charging_s = _charging_inputs_s(wh)
    return {"read_signals_s": signals_s, "read_sessions_s": sessions_s, "charging_s": charging_s}


def _charging_inputs_s(wh: Any) -> float:
    """Mean seconds the charging stage's driver spends reading one vehicle's inputs."""
    from analytics.catalog import load_catalog
    from analytics.charging.build import load_vehicle_inputs
    from analytics.charging.inlet import model_inlet_fits
    from analytics.charging.stage import _charge_vehicles, _soc_bands

    soc = load_catalog().path("soc_bms_pct")
    vids = _charge_vehicles(wh, None)
    inlet = model_inlet_fits(wh)
    t0 = time.perf_counter()
    for vid in vids:
        load_vehicle_inputs(wh, vid, inlet)
        _soc_bands(wh, vid, soc)
    return (time.perf_counter() - t0) / max(1, len(vids))


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(
    args: argparse.Namespace,
    prep: dict[str, Any],
    runs: list[dict[str, Any]],
    share: dict[str, float],
) -> str:
    n, rows = args.vehicles, prep["signal_rows"]
    out = [
        f"fleet: {n} vehicles x {args.days} days, {rows:,} signal rows"
        f"{' in a lake' if args.lake else ''} "
        f"({rows / n / args.days:,.0f} per vehicle-day); {os.cpu_count()} cores",
        f"simulate {prep['simulate_s']:.0f} s, Parquet export {prep['export_s']:.0f} s, "
        f"ingest {prep['ingest_s']:.0f} s ({rows / prep['ingest_s']:,.0f} rows/s, "
        f"peak {prep['ingest_peak_mb']:,.0f} MB)",
        "",
    ]
    stages = list(runs[0]["stage_s"])
    head = (
        ["stage"] + [f"{r['executor']} s" for r in runs] + [f"{r['executor']} rows/s" for r in runs]
    )
    table = [head]
    for st in stages:
        secs = [r["stage_s"][st] for r in runs]
        table.append(
            [st] + [f"{s:.1f}" for s in secs] + [f"{rows / s:,.0f}" if s else "-" for s in secs]
        )
    tot = [r["stages_s"] for r in runs]
    table.append(["all stages"] + [f"{s:.1f}" for s in tot] + [f"{rows / s:,.0f}" for s in tot])
    out.append(_table(table))
    out.append("")
    mem = [
        [
            "executor",
            "workers",
            "start s",
            "unchanged re-run s",
            "driver peak MB",
            "driver+workers peak MB",
        ]
    ]
    for r in runs:
        mem.append(
            [
                r["executor"],
                str(r["workers"]),
                f"{r['start_s']:.1f}",
                f"{r['unchanged_rerun_s']:.1f}",
                f"{r['driver_peak_mb']:,.0f}",
                f"{r['total_peak_mb']:,.0f}",
            ]
        )
    out.append(_table(mem))
    # projection from the local run (one process: the cost of a vehicle on one core)
    local = next((r for r in runs if r["executor"] == "local"), runs[0])
    per_vehicle = sum(local["stage_s"][s] for s in PER_VEHICLE) / n
    # what the driver reads per vehicle: signals for quality, sessions and soh (in lake mode the
    # workers read them), sessions for soh, the charging stage's own inputs
    signal_reads = 0 if args.lake else 3
    driver = share["read_signals_s"] * signal_reads + share["read_sessions_s"] + share["charging_s"]
    compute = max(per_vehicle - driver, 0.0)
    fleet_s = local["stage_s"].get("forecast", 0.0) / n  # pooled: scaled linearly (assumed)
    target = args.project
    workers = max(1, round(compute / driver)) if driver > 0 else 1
    wall_driver = target * driver
    wall = max(wall_driver, target * compute / workers) + target * fleet_s
    out += [
        "",
        f"measured per vehicle-{args.days}d (local executor, one process): per-vehicle stages "
        f"{per_vehicle:.2f} s, of which the driver's DuckDB reads {driver:.2f} s "
        f"(signals {share['read_signals_s'] * 1000:.0f} ms x{signal_reads}, sessions "
        f"{share['read_sessions_s'] * 1000:.0f} ms, charging inputs "
        f"{share['charging_s'] * 1000:.0f} ms); fleet forecast {fleet_s:.3f} s/vehicle",
        f"PROJECTED for {target:,} vehicles x {args.days} days (not measured, linear in "
        f"vehicles): worker compute {target * compute / 3600:,.1f} core-hours, the driver's "
        f"serial reads {wall_driver / 3600:,.1f} h, the pooled forecast "
        f"{target * fleet_s / 3600:,.1f} h in the driver. With one driver, {workers} "
        f"single-core worker(s) keep up with its reads and the wall time is about "
        f"{wall / 3600:,.1f} h whatever the cluster size; K drivers on disjoint parts of the "
        f"fleet (one warehouse each) divide it by K (docs/scale.md).",
    ]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=100)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=41)
    ap.add_argument("--executors", default="local,processes,dask")
    ap.add_argument("--project", type=int, default=100_000)
    ap.add_argument(
        "--lake", action="store_true", help="signals in a lake: workers read their own rows"
    )
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temp dir)")
    ap.add_argument(
        "--reuse", action="store_true", help="with --keep: reuse the fleet and runs found in DIR"
    )
    ap.add_argument("--one", nargs=2, metavar=("EXECUTOR", "WAREHOUSE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], Path(args.one[1]))))
        return
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="fleetscale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        done = work / "prepared.json"
        if args.reuse and done.is_file():
            prep = json.loads(done.read_text())
        else:
            prep = prepare(args, work)
            done.write_text(json.dumps(prep))
        print(f"prepared: {json.dumps(prep)}", flush=True)
        runs = []
        for spec in args.executors.split(","):
            saved = work / f"{spec}.json"
            if args.reuse and saved.is_file():
                runs.append(json.loads(saved.read_text()))
                continue
            path = work / f"{spec}.duckdb"
            shutil.copy(work / "base.duckdb", path)
            res = subprocess.run(
                [sys.executable, __file__, "--one", spec, str(path)],
                capture_output=True,
                text=True,
            )
            if res.returncode:
                raise SystemExit(f"{spec} failed:\n{res.stderr[-4000:]}")
            runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
            saved.write_text(json.dumps(runs[-1]))
            print(f"{spec}: {json.dumps(runs[-1])}", flush=True)
        # the driver's reads are measured on the first processed warehouse still on disk
        # (with --reuse, a run saved earlier may have been cleaned away)
        done_paths = [work / f"{s}.duckdb" for s in args.executors.split(",")]
        kept = [p for p in done_paths if p.is_file()]
        if not kept:
            raise SystemExit(f"no processed warehouse left in {work}: run one executor again")
        share = driver_share(kept[0])
        print()
        print(report(args, prep, runs, share))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
