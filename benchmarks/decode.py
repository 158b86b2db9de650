"""Raw CAN decoding speed: the python-can + cantools loop vs asammdf vs ours, in one run.

One generated log (default 2 M frames): a GM Global A car — the real multiplexed battery DBC
(``gm_global_a_high_voltage_management``: 96 cell voltages in 8-way multiplexed frames, on
channel 2) plus its powertrain bus (``gm_global_a_powertrain``, channel 1) where every other
message of the DBC is on the bus at its cycle time with live payloads, as on a real car.
Written as candump -L, ASC, BLF (python-can) and MF4 (asammdf), then timed:

(a) python-can ``LogReader`` + cantools ``decode_message`` per frame (the usual script),
(b) asammdf ``MDF(...).extract_bus_logging`` on the MF4,
(c) our decoder on frames already in memory (every signal of every message),
(d) our end-to-end ingest into DuckDB per format (parse + decode + map + load + commit),
plus MF4 file -> decoded columns (ours) against (b), and the peak memory of an ingest.

Usage: ``python benchmarks/decode.py [--frames 2000000] [--baseline-frames 300000]``.
The baseline loop is timed on its first ``--baseline-frames`` frames (it is linear).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "can"))

from can_highres import synthetic_highres  # noqa: E402

from analytics.can.dbc import load_dbc  # noqa: E402
from analytics.can.encode import DBC_DIR, build_frames  # noqa: E402
from analytics.can.frames import Frames  # noqa: E402
from analytics.can.writers import write_frames  # noqa: E402

PT, HV = DBC_DIR / "gm_global_a_powertrain.dbc", DBC_DIR / "gm_global_a_high_voltage_management.dbc"


def build_log(n_target: int, seed: int = 7) -> Frames:
    """GM battery layout from a synthetic drive/charge, plus the rest of the powertrain bus."""
    rng = np.random.default_rng(seed)
    pt = load_dbc(PT).db
    battery_ids = {"BECMBatteryVoltageCurrent", "ECMVehicleSpeed"}  # sent by the battery layout
    background = [m for m in pt.messages if m.length > 0 and m.name not in battery_ids]
    cycles = rng.choice([10, 20, 25, 50, 100, 100, 200, 1000], size=len(background))
    per_s = 72 + sum(1000.0 / c for c in cycles)
    seconds = int(n_target / per_s) + 2
    battery, _notes, _fd = build_frames(synthetic_highres(seconds, seed=seed), "gm", seed)
    t0 = int(battery.ts_us[0])
    parts = [battery]
    for msg, cyc in zip(background, cycles, strict=True):
        ts = (
            t0
            + np.arange(0, seconds * 1_000_000, int(cyc) * 1000)
            + int(rng.integers(0, cyc * 1000))
        )
        n = ts.size
        data = np.zeros((n, 64), np.uint8)
        base = rng.integers(0, 256, size=msg.length, dtype=np.uint8)
        data[:, : msg.length] = base
        data[:, 0] = (np.arange(n) % 256).astype(np.uint8)  # a live counter byte
        if msg.length > 2:
            data[:, 2] = rng.integers(0, 256, size=n, dtype=np.uint8)
        parts.append(
            Frames(
                ts.astype(np.int64),
                np.zeros(n, np.uint16),
                ["0", "1"],
                np.full(n, msg.frame_id, np.uint32),
                np.zeros(n, bool),
                np.full(n, msg.length, np.uint8),
                data,
            )
        )
    width = 64
    allf = Frames(
        np.concatenate([p.ts_us for p in parts]),
        np.concatenate([p.channel for p in parts]),
        ["0", "1"],
        np.concatenate([p.can_id for p in parts]),
        np.concatenate([p.extended for p in parts]),
        np.concatenate([p.length for p in parts]),
        np.concatenate([np.pad(p.data, ((0, 0), (0, width - p.data.shape[1]))) for p in parts]),
    )
    allf = allf.take(np.argsort(allf.ts_us, kind="stable"))
    return allf.take(slice(0, n_target))


def baseline(path: Path, limit: int) -> tuple[float, float]:
    """(a) python-can LogReader + cantools decode_message: (frames/s, read-only frames/s)."""
    import can
    import cantools

    dbs = {0: load_dbc(PT).db, 1: load_dbc(HV).db}
    t = time.perf_counter()
    n = 0
    with can.LogReader(path) as reader:
        for _msg in reader:
            n += 1
            if n >= limit:
                break
    read_rate = n / (time.perf_counter() - t)
    t = time.perf_counter()
    n = 0
    with can.LogReader(path) as reader:
        for msg in reader:
            n += 1
            ch = msg.channel  # "can0" (candump) or 0-based int (ASC, BLF)
            ch = ch if isinstance(ch, int) else int(str(ch or "0").removeprefix("can"))
            try:  # the loop everyone writes: unknown ids raise KeyError
                dbs[ch % 2].decode_message(msg.arbitration_id, msg.data, decode_choices=False)
            except (KeyError, cantools.database.DecodeError, ValueError):
                continue
            if n >= limit:
                break
    return n / (time.perf_counter() - t), read_rate


def our_decoder(frames: Frames) -> float:
    """(c) every signal of every message of frames in memory."""
    from analytics.can.busdecoder import BusDecoder, parse_dbc_specs
    from analytics.ingest.issues import IssueCollector

    dec = BusDecoder(parse_dbc_specs([f"0={PT}", f"1={HV}"]), IssueCollector())
    t = time.perf_counter()
    chunk = 1_000_000
    for a in range(0, len(frames), chunk):
        for _ in dec.messages(frames.take(slice(a, a + chunk))):
            pass
    return len(frames) / (time.perf_counter() - t)


def asammdf_extract(path: Path) -> float:
    """(b) asammdf extract_bus_logging with both DBCs (every signal)."""
    from asammdf import MDF

    t = time.perf_counter()
    with MDF(path) as mdf:
        out = mdf.extract_bus_logging({"CAN": [(str(PT), 1), (str(HV), 2)]})
        out.close()
    return time.perf_counter() - t


def ours_mf4_columns(path: Path) -> float:
    """MF4 file -> decoded columns (every signal), ours."""
    from analytics.can.busdecoder import BusDecoder, parse_dbc_specs
    from analytics.can.formats import mf4
    from analytics.can.formats.common import ParseStats
    from analytics.ingest.issues import IssueCollector

    t = time.perf_counter()
    issues = IssueCollector()
    dec = BusDecoder(parse_dbc_specs([f"1={PT}", f"2={HV}"]), issues)
    for fr in mf4.iter_frames(path, ParseStats(issues)):
        for _chan, _idx, d in dec.messages(fr):
            for s in d.plan.signals:
                d.column(s.name)
    return time.perf_counter() - t


def parse_only(path: Path, fmt: str) -> float:
    from analytics.can.formats import asc, blf, candump, mf4
    from analytics.can.formats.common import ParseStats
    from analytics.ingest.issues import IssueCollector

    mod = {"candump": candump, "asc": asc, "blf": blf, "mf4": mf4}[fmt]
    t = time.perf_counter()
    for _ in mod.iter_frames(path, ParseStats(IssueCollector())):
        pass
    return time.perf_counter() - t


_INGEST = """
import json, sys, time
from analytics.ingest import ingest_file
from analytics.warehouse import open_warehouse
path, dbc0, dbc1, db = sys.argv[1:5]
t0 = time.perf_counter()  # one-time start-up, reported apart: imports, DBC parsing
from analytics.can.dbc import load_dbc
from analytics.ingest.base import readers
readers()
import asammdf, can  # noqa: F401
load_dbc(dbc0.split("=", 1)[1]), load_dbc(dbc1.split("=", 1)[1])
wh = open_warehouse(db)
startup = time.perf_counter() - t0
t = time.perf_counter()
r = ingest_file(wh, path, vehicle_id="bench", options={"dbc": [dbc0, dbc1]})
dt = time.perf_counter() - t
wh.close()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork + exec
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0].split()[1]
print(json.dumps({"s": dt, "startup_s": startup, "status": r.status, "read": r.records_read, "rows": r.rows_written,
                  "rss_mb": int(hwm) / 1024}))
"""


def ingest(path: Path, fmt: str, tmp: Path) -> dict:
    """(d) end-to-end ingest in a fresh process (peak memory measured there)."""
    bus = {"candump": ("can0", "can1")}.get(fmt, ("1", "2"))
    db = tmp / f"w_{fmt}.duckdb"
    out = subprocess.run(
        [sys.executable, "-c", _INGEST, str(path), f"{bus[0]}={PT}", f"{bus[1]}={HV}", str(db)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=2_000_000)
    ap.add_argument("--baseline-frames", type=int, default=300_000)
    ap.add_argument("--formats", default="candump,asc,blf,mf4")
    args = ap.parse_args()
    fmts = args.formats.split(",")
    with tempfile.TemporaryDirectory(prefix="can-bench-") as td:
        tmp = Path(td)
        t = time.perf_counter()
        frames = build_log(args.frames)
        ids = len(np.unique(frames.key()))
        print(
            f"log: {len(frames):,} frames, {ids} ids on 2 channels, "
            f"{(frames.ts_us[-1] - frames.ts_us[0]) / 3.6e9:.2f} h (built in {time.perf_counter() - t:.0f}s)"
        )
        paths = {}
        for fmt in fmts:
            t = time.perf_counter()
            ext = {"candump": "log", "asc": "asc", "blf": "blf", "mf4": "mf4"}[fmt]
            paths[fmt] = tmp / f"gm.{ext}"
            write_frames(frames, paths[fmt], fmt, [False, False])
            print(
                f"  wrote {fmt}: {paths[fmt].stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t:.0f}s"
            )
        base_path = paths.get("candump") or next(iter(paths.values()))
        a_rate, read_rate = baseline(base_path, args.baseline_frames)
        rows = [("(a) python-can LogReader + cantools loop", a_rate, "")]
        rows.append(("    python-can LogReader alone (candump)", read_rate, "reading only"))
        c_rate = our_decoder(frames)
        rows.append(("(c) ours, decoder on frames in memory", c_rate, "every signal"))
        if "mf4" in paths:
            b_s = asammdf_extract(paths["mf4"])
            o_s = ours_mf4_columns(paths["mf4"])
            rows.append(
                ("(b) asammdf extract_bus_logging (MF4)", len(frames) / b_s, "every signal")
            )
            rows.append(
                (
                    "    ours, MF4 file -> decoded columns",
                    len(frames) / o_s,
                    f"{b_s / o_s:.1f}x asammdf",
                )
            )
        mem = {}
        for fmt in fmts:
            p = parse_only(paths[fmt], fmt)
            r = ingest(paths[fmt], fmt, tmp)
            mem[fmt] = r["rss_mb"]
            rows.append(
                (
                    f"(d) ours, {fmt} file -> DuckDB",
                    r["read"] / r["s"],
                    f"parse {p:.1f}s of {r['s']:.1f}s (+{r['startup_s']:.1f}s start-up); "
                    f"{r['rows']:,} rows; "
                    f"peak RSS {r['rss_mb']:.0f} MB for {paths[fmt].stat().st_size / 1e6:.0f} MB",
                )
            )
        print()
        print(f"{'path':<44} {'frames/s':>12} {'vs (a)':>8}  note")
        for name, rate, note in rows:
            print(f"{name:<44} {rate:>12,.0f} {rate / a_rate:>7.1f}x  {note}")
        print(
            "\npeak memory of an ingest (max RSS of the process): "
            + ", ".join(f"{k} {v:.0f} MB" for k, v in mem.items())
        )


if __name__ == "__main__":
    main()
