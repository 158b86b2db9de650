"""Decode raw logs to Parquet without the warehouse: every signal of every message.

One file per message (``<Message>.parquet``; with several DBCs or buses ``<BUS>_<Message>``),
columns ``ts`` (UTC), ``channel``, then one column per DBC signal with its DBC name; a
multiplexed signal is null on the frames whose multiplexer does not select it. Written in
row groups as the log streams by, so memory stays bounded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from analytics.can.busdecoder import BusDecoder, parse_dbc_specs
from analytics.can.formats.common import ParseStats
from analytics.errors import FormatError
from analytics.ingest.base import detect_reader, get_reader
from analytics.ingest.issues import IssueCollector

__all__ = ["DecodeSummary", "decode_logs"]


@dataclass
class DecodeSummary:
    """What ``decode_logs`` did, per run."""

    frames: int = 0
    decoded: int = 0
    skipped: int = 0
    files: dict[str, int] = field(default_factory=dict)  # parquet path -> rows
    issues: IssueCollector = field(default_factory=IssueCollector)
    duration_s: float = 0.0


class _Sinks:
    def __init__(self, out_dir: Path, prefix_bus: bool) -> None:
        self.out_dir = out_dir
        self.prefix_bus = prefix_bus
        self.writers: dict[tuple[str, int], Any] = {}
        self.rows: dict[str, int] = {}

    def write(self, key: tuple[str, int], name: str, table: pa.Table) -> None:
        import pyarrow.parquet as pq

        w = self.writers.get(key)
        if w is None:
            safe = re.sub(r"[^\w.-]", "_", name)
            path = self.out_dir / f"{safe}.parquet"
            w = pq.ParquetWriter(path, table.schema, compression="zstd")
            self.writers[key] = w
            self.rows[str(path)] = 0
        w.write_table(table)
        self.rows[str(w.where)] += table.num_rows

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def decode_logs(
    paths: Sequence[str | Path],
    dbc: Sequence[str],
    out_dir: str | Path,
    fmt: str | None = None,
    progress: Any = None,
) -> DecodeSummary:
    """Decode every message of every log to Parquet in ``out_dir``."""
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    specs = parse_dbc_specs(dbc, ())
    summary = DecodeSummary()
    dec = BusDecoder(specs, summary.issues)
    stats = ParseStats(summary.issues)
    sinks = _Sinks(out, prefix_bus=len(specs) > 1)
    try:
        for p in map(Path, paths):
            reader = get_reader(fmt) if fmt else detect_reader(p)
            if not hasattr(reader, "frames"):
                raise FormatError(f"{p}: {reader.format} is not a raw CAN log format")
            for frames in reader.frames(p, stats):
                summary.frames += len(frames)
                for chan, idx, d in dec.messages(frames):
                    plan = d.plan
                    ok = d.valid
                    sel = idx[ok]
                    cols: dict[str, Any] = {
                        "ts": pa.array(frames.ts_us[sel], pa.timestamp("us", tz="UTC")),
                        "channel": pa.array(np.full(sel.size, chan, dtype=object), pa.string()),
                    }
                    pos = np.flatnonzero(ok)
                    remap = np.full(d.n, -1)
                    remap[pos] = np.arange(pos.size)
                    for s in plan.signals:
                        full = d.column(s.name)[ok]
                        mask = np.isnan(full) if s.mux_signal is not None else None
                        cols[s.name] = pa.array(full, pa.float64(), mask=mask)
                    name = plan.name if not sinks.prefix_bus else f"{chan}_{plan.name}"
                    sinks.write(
                        (chan if sinks.prefix_bus else "", plan.frame_id), name, pa.table(cols)
                    )
                if progress is not None:
                    progress.update(len(frames))
        dec.finish()
    finally:
        sinks.close()
    summary.decoded = dec.decoded
    summary.skipped = dec.skipped + stats.skipped
    summary.files = sinks.rows
    summary.duration_s = time.perf_counter() - started
    return summary
