"""Report generation time for one vehicle from a 500-vehicle warehouse.

The warehouse is generated directly in the derived tables (``analytics.reports.synthetic``:
sessions, SoH, observations, forecasts, milestones, charging tables, and 3-hourly cell and
odometer signals), since running the full pipeline for 500 vehicles takes far longer than the
thing measured. Baseline, measured in the same run: the same reports from a 20-vehicle
warehouse, so the ratio shows how generation scales with fleet size.

Target: under 1 s per report for JSON and HTML.

    .venv/bin/python benchmarks/report_speed.py [--vehicles 500] [--days 730] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def _build(path: Path, vehicles: int, days: int) -> float:
    from analytics.reports.synthetic import populate
    from analytics.warehouse import open_warehouse

    t0 = time.perf_counter()
    with open_warehouse(path) as wh:
        populate(wh, vehicles=vehicles, days=days, seed=11)
        wh.con.execute("CHECKPOINT")
    return time.perf_counter() - t0


def _time_reports(path: Path, sample: list[str], repeat: int) -> dict[tuple[str, str], list[float]]:
    from analytics.reports.build import KINDS, build_report
    from analytics.reports.html import render_html
    from analytics.reports.issue import render
    from analytics.reports.pdf import render_pdf
    from analytics.reports.schema import validate_report
    from analytics.warehouse import open_warehouse

    key = b"benchmark-key-0123456789"
    out: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeat):
        for vid in sample:
            for kind in KINDS:
                t0 = time.perf_counter()
                with open_warehouse(
                    path, read_only=True
                ) as wh:  # a fresh connection, as the CLI does
                    report = build_report(wh, vid, kind, key=key)
                validate_report(report)
                render(report, "json")
                t_json = time.perf_counter() - t0
                t1 = time.perf_counter()
                render_html(report)
                t_html = t_json + time.perf_counter() - t1
                t2 = time.perf_counter()
                render_pdf(report)
                t_pdf = t_json + time.perf_counter() - t2
                for fmt, t in (("json", t_json), ("html", t_html), ("pdf", t_pdf)):
                    out.setdefault((kind, fmt), []).append(t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=500)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--baseline-vehicles", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.duckdb", Path(tmp) / "small.duckdb"
        t_big = _build(big, args.vehicles, args.days)
        t_small = _build(small, args.baseline_vehicles, args.days)
        print(
            f"warehouses: {args.vehicles} vehicles x {args.days} days built in {t_big:.1f}s "
            f"({big.stat().st_size / 1e6:.0f} MB); baseline {args.baseline_vehicles} vehicles in {t_small:.1f}s"
        )
        sample = ["V0001", "V0007", "V0013"]
        # warm-up: imports, font loading, first-query planning
        _time_reports(small, sample[:1], 1)
        res_big = _time_reports(big, sample, args.repeat)
        res_small = _time_reports(small, sample, args.repeat)
    print(
        f"\nper report, median (max) over {len(sample)} vehicles x {args.repeat} runs; json = query + build + schema check + serialise"
    )
    print(
        f"{'kind':<10} {'format':<6} {args.vehicles:>5}-vehicle s   {args.baseline_vehicles:>3}-vehicle s   ratio   target"
    )
    worst_med = worst_max = 0.0
    for (kind, fmt), times in sorted(res_big.items()):
        base = res_small[kind, fmt]
        med, mx, bmed = statistics.median(times), max(times), statistics.median(base)
        target = "< 1 s" if fmt in ("json", "html") else "—"
        if fmt in ("json", "html"):
            worst_med, worst_max = max(worst_med, med), max(worst_max, mx)
        print(
            f"{kind:<10} {fmt:<6} {med:>7.3f} ({mx:.3f})   {bmed:>9.3f}    {med / bmed:>5.2f}   {target}"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nmachine: {os.cpu_count()} cores, load average {load:.1f} during the run")
    print(
        f"slowest JSON/HTML median {worst_med:.3f} s (single worst run {worst_max:.3f} s) -> "
        f"target {'met' if worst_med < 1.0 else 'MISSED'} (judged on the median per kind and format)"
    )


if __name__ == "__main__":
    main()
