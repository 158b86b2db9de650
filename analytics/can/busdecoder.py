"""Decode frame batches with one DBC per bus and turn mapped signals into catalog long rows.

``BusDecoder`` holds the compiled DBCs (``--dbc [BUS=]FILE``; a DBC without ``BUS=`` applies
to every channel), the signal maps bound to them, and the running counts of what could not
be decoded (unknown ids, short frames, undefined multiplexer values, implausible times). It
is the shared engine of ``analytics ingest`` (mapped signals -> warehouse) and ``analytics
decode`` (every signal -> Parquet).
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from analytics.can.dbc import DbcLoad, load_dbc
from analytics.can.decode import (
    DecodedMessage,
    MessagePlan,
    compile_database,
    decode_words,
    payload_words,
)
from analytics.can.frames import Frames
from analytics.can.signal_map import MappedSignal, default_map_path, load_signal_map, to_catalog
from analytics.errors import ConfigError, DbcError
from analytics.ingest.issues import IssueCollector

__all__ = ["BusDecoder", "DbcSpec", "parse_dbc_specs"]

log = logging.getLogger(__name__)
_MIN_TS_US = 788_918_400_000_000  # 1995-01-01: earlier times are counter resets, not dates


@dataclass
class DbcSpec:
    """One ``--dbc`` argument: an optional bus name and the loaded DBC with its mapping."""

    bus: str | None
    dbc: DbcLoad
    plans: dict[int, MessagePlan]
    mapped: dict[int, list[MappedSignal]] = field(default_factory=dict)
    map_paths: list[str] = field(default_factory=list)

    def matches(self, channel: str) -> bool:
        if self.bus is None:
            return True
        if channel == self.bus:
            return True
        digits = re.sub(r"\D", "", channel)
        return self.bus.isdigit() and digits != "" and int(digits) == int(self.bus)


def parse_dbc_specs(specs: Sequence[str], signal_maps: Sequence[str] = ()) -> list[DbcSpec]:
    """Load ``[BUS=]FILE`` arguments with their signal maps (explicit ones, else shipped ones)."""
    if not specs:
        raise DbcError("raw CAN logs need a DBC: pass --dbc FILE (or --dbc BUS=FILE per bus)")
    maps = [load_signal_map(m) for m in signal_maps]
    out = []
    for spec in specs:
        bus, file = None, spec
        if "=" in spec and not Path(spec).exists():
            bus, file = spec.split("=", 1)
            bus = bus.strip() or None
        if not Path(file).is_file():
            raise ConfigError(f"DBC file not found: {file}")
        dbc = load_dbc(file)
        plans = compile_database(dbc.db)
        ds = DbcSpec(bus, dbc, plans)
        used = maps
        if not maps:
            default = default_map_path(dbc.path)
            used = [load_signal_map(default)] if default else []
        for m in used:
            for fid, lst in m.bind(plans).items():
                ds.mapped.setdefault(fid, []).extend(lst)
            ds.map_paths.append(str(m.path))
        out.append(ds)
    return out


class BusDecoder:
    """Decodes :class:`Frames` chunks; keeps the counts of what it could not decode."""

    def __init__(self, specs: list[DbcSpec], issues: IssueCollector) -> None:
        self.specs = specs
        self.issues = issues
        self.unknown: Counter[tuple[str, int]] = Counter()
        self.decoded = 0
        self.skipped = 0
        self.frames = 0
        self.started = time.perf_counter()
        self._agg_pending: dict[tuple[str, str, float], list[tuple[np.ndarray, np.ndarray]]] = {}
        self._warned_channels: set[str] = set()

    def manifest(self) -> str:
        """``[BUS=]FILE sha256=...`` per DBC, for the ``sources.dbc`` column."""
        return "; ".join(
            f"{s.bus + '=' if s.bus else ''}{s.dbc.path} sha256={s.dbc.sha256[:16]}"
            + (f" map={','.join(s.map_paths)}" if s.map_paths else "")
            for s in self.specs
        )

    def _plans_for(
        self, channel: str
    ) -> tuple[dict[int, MessagePlan], dict[int, list[MappedSignal]]]:
        plans: dict[int, MessagePlan] = {}
        mapped: dict[int, list[MappedSignal]] = {}
        chosen = [s for s in self.specs if s.bus is not None and s.matches(channel)]
        chosen = chosen or [s for s in self.specs if s.bus is None]
        for s in chosen:
            for fid, p in s.plans.items():
                plans.setdefault(fid, p)
            for fid, m in s.mapped.items():
                mapped.setdefault(fid, m)
        return plans, mapped

    def messages(
        self, frames: Frames, mapped_only: bool = False
    ) -> Iterator[tuple[str, np.ndarray, DecodedMessage]]:
        """Decode a chunk: yields (channel, frame indices, decoded message) per message.

        ``mapped_only``: messages with no signal mapped to the catalog are counted (decoded or
        short) but not decoded nor yielded: an ingest needs only the mapped ones.
        """
        self.frames += len(frames)
        ok_ts = frames.ts_us >= _MIN_TS_US
        if not ok_ts.all():
            bad = int((~ok_ts).sum())
            i = int(np.flatnonzero(~ok_ts)[0])
            self.issues.add(
                "bad_timestamp",
                count=bad,
                example=f"{frames.ts_us[i] / 1e6:.6f} s since 1970",
                detail="time stamps before 1995 (logger clock not set or reset)",
            )
            self.skipped += bad
        keys = frames.key()
        words = payload_words(frames.data)
        for code in np.unique(frames.channel):
            chan = frames.channels[int(code)] if int(code) < len(frames.channels) else str(code)
            plans, mapped = self._plans_for(chan)
            sel = np.flatnonzero((frames.channel == code) & ok_ts)
            if not plans:
                if chan not in self._warned_channels:
                    self._warned_channels.add(chan)
                    self.issues.add(
                        "no_dbc_for_channel",
                        count=1,
                        detail=chan,
                        example=f"channel {chan} matches no --dbc BUS=; its frames are skipped",
                    )
                self.unknown[(chan, -1)] += sel.size
                self.skipped += sel.size
                continue
            k = keys[sel]
            uniq = np.unique(k)
            codes = np.searchsorted(uniq, k)
            known = np.array([int(u) in plans for u in uniq.tolist()], bool)
            if mapped_only:
                # messages nobody maps only need counting: lengths against the DBC's
                wanted = known & np.array([int(u) in mapped for u in uniq.tolist()], bool)
                self._count_lengths(chan, uniq, codes, ~wanted, known, frames.length[sel], plans)
                if not wanted.any():
                    continue
                take = wanted[codes]
                sel, k, codes = sel[take], k[take], codes[take]
                known = wanted
            # small dense codes: numpy's stable sort is a radix sort for 16-bit keys
            order = np.argsort(
                codes.astype(np.uint16 if uniq.size < 65536 else np.uint32), kind="stable"
            )
            srt = sel[order]
            sizes = np.bincount(codes, minlength=uniq.size)
            ends = np.cumsum(sizes)
            starts = ends - sizes
            kmax = (
                max((plans[int(u)].length + 7) // 8 for u in uniq[known].tolist())
                if known.any()
                else 1
            )
            # one gather per chunk and channel of only the words needed; messages are slices
            rows = srt[np.repeat(known, sizes)]
            wsorted, lsorted = words[rows, : max(1, kmax)], frames.length[rows]
            pos = np.cumsum(np.where(known, sizes, 0)) - np.where(known, sizes, 0)
            for j, (key, a, b) in enumerate(
                zip(uniq.tolist(), starts.tolist(), ends.tolist(), strict=True)
            ):
                if b == a:
                    continue
                if not known[j]:
                    self.unknown[(chan, int(key))] += b - a
                    self.skipped += b - a
                    continue
                plan = plans[int(key)]
                p0, p1 = int(pos[j]), int(pos[j]) + (b - a)
                dec = decode_words(plan, wsorted[p0:p1], lsorted[p0:p1])
                self._count(plan, dec)
                yield chan, srt[a:b], dec

    def _count_lengths(
        self,
        chan: str,
        uniq: np.ndarray,
        codes: np.ndarray,
        which: np.ndarray,
        known: np.ndarray,
        lengths: np.ndarray,
        plans: dict[int, MessagePlan],
    ) -> None:
        """Count the frames of the ids ``which`` (by ``uniq`` index) without decoding them:
        unknown ids, and decoded / short / long frames of known ones."""
        need = np.array(
            [plans[int(u)].length if kn else 0 for u, kn in zip(uniq.tolist(), known, strict=True)]
        )
        counts = np.bincount(codes, minlength=uniq.size)
        short = np.bincount(codes, weights=lengths < need[codes], minlength=uniq.size)
        long = np.bincount(codes, weights=lengths > need[codes], minlength=uniq.size)
        for j in np.flatnonzero(which & (counts > 0)).tolist():
            key, n = int(uniq[j]), int(counts[j])
            if not known[j]:
                self.unknown[(chan, key)] += n
                self.skipped += n
                continue
            dec = DecodedMessage(plans[key], n, np.zeros(0, bool))
            dec.short_frames, dec.long_frames = int(short[j]), int(long[j])
            self._count(plans[key], dec)

    def _count(self, plan: MessagePlan, dec: DecodedMessage) -> None:
        self.decoded += dec.n - dec.short_frames
        if dec.short_frames:
            self.skipped += dec.short_frames
            self.issues.add(
                "short_frame",
                count=dec.short_frames,
                detail=plan.name,
                example=f"{plan.name} ({plan.frame_id & 0x1FFFFFFF:#x}) needs {plan.length} bytes",
            )
        if dec.long_frames:
            self.issues.add(
                "long_frame",
                count=dec.long_frames,
                severity="info",
                detail=plan.name,
                example=f"payload longer than the {plan.length} bytes of {plan.name}; "
                "decoded from its first bytes (check the DBC matches the bus)",
            )
        if dec.undefined_mux:
            self.issues.add(
                "undefined_multiplexer",
                count=dec.undefined_mux,
                detail=plan.name,
                example=f"{plan.name}: multiplexer value with no signals defined",
            )

    def long_rows(self, frames: Frames, vehicle_id: str, final: bool = False) -> pl.DataFrame:
        """Mapped signals of a chunk as catalog long rows (aggregated cell signals included)."""
        parts: list[tuple[np.ndarray, str, np.ndarray]] = []
        aggs: dict[tuple[str, str, float], list[tuple[np.ndarray, np.ndarray]]] = {}
        for chan, idx, dec in self.messages(frames, mapped_only=True):
            _, mapped = self._plans_for(chan)
            for m in mapped.get(dec.plan.frame_id, ()):
                rows = dec.rows.get(m.signal)
                if rows is None or rows.size == 0:
                    continue
                val = dec.values[m.signal]
                ts = frames.ts_us[idx[rows]]
                if m.invalid_phys is not None or dec.plan_float(m.signal):
                    keep = ~np.isnan(val)
                    if m.invalid_phys is not None:
                        keep &= val != m.invalid_phys
                    if not keep.all():
                        self.issues.add(
                            "not_available",
                            count=int((~keep).sum()),
                            severity="info",
                            detail=f"{m.message}.{m.signal}",
                        )
                        val, ts = val[keep], ts[keep]
                val = to_catalog(val, m)
                if m.aggregate:
                    aggs.setdefault((m.path, m.aggregate, m.window_s), []).append((ts, val))
                else:
                    parts.append((ts, m.path, val))
        parts += self._aggregate(aggs, final)
        return _long(parts, vehicle_id)

    def _aggregate(self, aggs: dict, final: bool) -> list[tuple[np.ndarray, str, np.ndarray]]:
        """min/max/mean per window; the last (maybe incomplete) window waits for the next chunk."""
        out = []
        keys = set(aggs) | set(self._agg_pending)
        for key in sorted(keys):
            path, how, window_s = key
            chunks = self._agg_pending.pop(key, []) + aggs.get(key, [])
            if not chunks:
                continue
            ts = np.concatenate([c[0] for c in chunks])
            val = np.concatenate([c[1] for c in chunks])
            w_us = int(window_s * 1e6)
            win = ts // w_us
            if not final and win.size:
                last = win.max()
                hold = win == last
                self._agg_pending[key] = [(ts[hold], val[hold])]
                ts, val, win = ts[~hold], val[~hold], win[~hold]
            if win.size == 0:
                continue
            w, v = _window_stat(win, val, how)
            out.append((w * w_us, path, v))
        return out

    def finish(self) -> None:
        """Report unknown ids and a DBC that matches too little of the log."""
        if self.unknown:
            total = sum(self.unknown.values())
            top = ", ".join(
                f"{ch}:{'?' if fid < 0 else hex(fid & 0x1FFFFFFF)}{'x' if fid > 0 and fid & 0x80000000 else ''}"
                f" ({n:,})"
                for (ch, fid), n in self.unknown.most_common(5)
            )
            self.issues.add(
                "unknown_id",
                count=total,
                example=top,
                detail=f"{len(self.unknown)} ids not in the DBC(s)",
            )
        seen = self.decoded + sum(self.unknown.values())
        if seen and self.decoded / seen < 0.5:
            share = 100.0 * self.decoded / seen
            msg = (
                f"only {share:.1f} % of frames match the DBC(s) "
                f"{', '.join(s.dbc.name for s in self.specs)}; is it the right DBC for this "
                "bus (and --dbc BUS=FILE for the right channel)?"
            )
            log.warning(msg)
            self.issues.add(
                "dbc_mismatch", count=seen - self.decoded, severity="error", example=msg
            )


def _window_stat(win: np.ndarray, val: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """min / max / mean of ``val`` per window number, windows in ascending order."""
    if win.size > 1 and (np.diff(win) < 0).any():
        order = np.argsort(win, kind="stable")
        win, val = win[order], val[order]
    cut = np.flatnonzero(np.diff(win)) + 1
    starts = np.concatenate([[0], cut])
    if how == "min":
        v = np.minimum.reduceat(val, starts)
    elif how == "max":
        v = np.maximum.reduceat(val, starts)
    else:
        v = np.add.reduceat(val, starts) / np.diff(np.append(starts, win.size))
    return win[starts], v


def _long(parts: list[tuple[np.ndarray, str, np.ndarray]], vehicle_id: str) -> pl.DataFrame:
    """Long rows ``vehicle_id, ts, signal, value`` from (time stamps, path, values) parts."""
    if not parts:
        return pl.DataFrame(
            schema={
                "vehicle_id": pl.String,
                "ts": pl.Datetime("us", "UTC"),
                "signal": pl.String,
                "value": pl.Float64,
            }
        )
    paths = sorted({p for _, p, _ in parts})
    code = {p: i for i, p in enumerate(paths)}
    n = [t.size for t, _, _ in parts]
    ts = np.concatenate([t for t, _, _ in parts])
    val = np.concatenate([v for _, _, v in parts])
    sig = np.repeat(np.array([code[p] for _, p, _ in parts], np.uint32), n)
    return pl.DataFrame(
        {
            "vehicle_id": pl.repeat(vehicle_id, ts.size, eager=True, dtype=pl.String),
            "ts": pl.Series(ts.astype(np.int64)).cast(pl.Datetime("us", "UTC")),
            "signal": pl.Series(sig).replace_strict(
                list(range(len(paths))), paths, return_dtype=pl.String
            ),
            "value": val.astype(np.float64),
        }
    )
