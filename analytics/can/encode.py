"""Encode a vehicle's 1 Hz telemetry into raw CAN logs in a real or demo DBC layout.

``write_can_logs(highres, layout, out_dir, stem)`` turns the simulator's 1 Hz wide frame (``ts``
plus catalog key columns) into the frames a logger on that car would record: every mapped
message at its cycle time (from the DBC's ``GenMsgCycleTime`` or the layout), fast signals
interpolated between the 1 Hz samples, cell-level signals synthesised between the reported
min and max, multiplexed messages cycling through their groups. Frames are packed with the
same bit-field code the decoder uses (checked against cantools ``encode_message`` in the
tests) and written with the formats' own libraries: python-can's candump ``-L``, ASC and BLF
writers, and asammdf for MF4 bus logging (``CAN_DataFrame`` channel group).

Values a layout cannot carry are noted, not hidden: ``notes`` lists saturated signals (with
the count clipped), catalog columns the layout has no signal for, and mapped signals whose
column is missing (sent as the DBC's "not available" raw value, or the message is left out).
Only the time the car is awake (ignition on or charging) is logged, as a logger on the bus
would see it: chassis and cluster messages (speed, odometer, outside temperature, position)
only with the ignition on, battery messages also while charging; a day the car sleeps
through gives an empty log (noted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analytics.can.bits import insert_raw, pad_width
from analytics.can.dbc import load_dbc
from analytics.can.decode import MessagePlan, compile_database
from analytics.can.frames import Frames
from analytics.can.signal_map import MappedSignal, default_map_path, load_signal_map
from analytics.errors import ConfigError

__all__ = ["DBC_DIR", "LAYOUTS", "Bus", "Layout", "build_frames", "write_can_logs"]

DBC_DIR = Path(__file__).resolve().parents[2] / "dbc"
FORMATS = ("candump", "asc", "blf", "mf4")
DRIVE_KEYS = frozenset(
    {"speed_kmh", "odometer_km", "ambient_temp_c", "latitude_deg", "longitude_deg", "range_m"}
)
_EXT = {"candump": "log", "asc": "asc", "blf": "blf", "mf4": "mf4"}


@dataclass(frozen=True)
class Bus:
    """One bus of a layout: its DBC (file in ``dbc/``), CAN FD or classic, default cycle."""

    dbc: str
    fd: bool = False
    default_cycle_ms: int = 100
    cycle_ms: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Layout:
    """A vehicle's CAN layout: one or more buses (channel 0, 1, ...)."""

    name: str
    buses: tuple[Bus, ...]
    description: str


LAYOUTS: dict[str, Layout] = {
    "demo": Layout(
        "demo",
        (Bus("demo_ev.dbc"),),
        "project demo EV: classic CAN plus one CAN FD message, 96-cell multiplexed voltages",
    ),
    "gm": Layout(
        "gm",
        (
            Bus(
                "gm_global_a_powertrain.dbc",
                cycle_ms=(("BECMBatteryVoltageCurrent", 100), ("ECMVehicleSpeed", 100)),
            ),
            Bus(
                "gm_global_a_high_voltage_management.dbc",
                default_cycle_ms=1000,
                cycle_ms=(
                    ("Battery_Module_1", 200),
                    ("Battery_Module_2", 200),
                    ("Battery_Module_3", 200),
                    ("Battery_Module_4", 200),
                    ("Battery_temp", 500),
                    ("Pack_Stats", 500),
                ),
            ),
        ),
        "GM Global A (Bolt EV era): powertrain bus current/voltage + BECM high-voltage bus",
    ),
    "vw_meb": Layout(
        "vw_meb",
        (
            Bus(
                "vw_meb.dbc",
                fd=True,
                default_cycle_ms=1000,
                cycle_ms=(("MEB_HVEM_01", 100), ("ESP_21", 50)),
            ),
        ),
        "VW MEB CAN FD (opendbc); no pack current or BMS SoC in this layout",
    ),
    "ford": Layout(
        "ford",
        (
            Bus(
                "ford_lincoln_base_pt.dbc",
                fd=True,
                default_cycle_ms=100,
                cycle_ms=(
                    ("Battery_Traction_4_FD1", 1000),
                    ("EngineClimateData", 1000),
                    ("Cluster_Info1_FD1", 1000),
                ),
            ),
        ),
        "Ford/Lincoln CAN FD powertrain bus Battery_Traction_* messages",
    ),
}


def _awake(highres: pl.DataFrame) -> np.ndarray:
    cols = [c for c in ("is_ignition_on", "is_charging") if c in highres.columns]
    if not cols:
        return np.ones(highres.height, bool)
    m = np.zeros(highres.height, bool)
    for c in cols:
        m |= highres[c].fill_null(0).to_numpy().astype(float) > 0.5
    return m


def _cycle_ms(bus: Bus, msg: Any) -> int:
    override = dict(bus.cycle_ms).get(msg.name)
    return int(override or msg.cycle_time or bus.default_cycle_ms)


def _raw_limits(s: Any) -> tuple[int, int]:
    n = s.field.length
    return (-(1 << (n - 1)), (1 << (n - 1)) - 1) if s.signed else (0, (1 << n) - 1)


class _Encoder:
    """Builds the frames of one bus."""

    def __init__(
        self,
        layout: str,
        bus: Bus,
        channel: int,
        highres: pl.DataFrame,
        notes: list[str],
        seed: int,
    ) -> None:
        self.layout, self.bus, self.channel, self.notes = layout, bus, channel, notes
        self.dbc = load_dbc(DBC_DIR / bus.dbc)
        self.plans = compile_database(self.dbc.db)
        map_path = default_map_path(self.dbc.path)
        if map_path is None:
            raise ConfigError(f"no signal map shipped for {bus.dbc}")
        self.mapped = load_signal_map(map_path).bind(self.plans)
        self.t_s = highres["ts"].dt.epoch("us").to_numpy() / 1e6
        self.df = highres
        self.awake = _awake(highres)
        self.driving = _awake(
            highres.select([c for c in highres.columns if c in ("ts", "is_ignition_on")])
        )
        self.rng = np.random.default_rng(seed + channel)

    def column(self, key: str, t: np.ndarray) -> np.ndarray | None:
        if key not in self.df.columns:
            return None
        y = self.df[key].cast(pl.Float64).to_numpy()
        ok = ~np.isnan(y)
        if not ok.any():
            return None
        if key.startswith("is_"):  # states: previous value
            idx = np.clip(np.searchsorted(self.t_s, t, side="right") - 1, 0, len(y) - 1)
            return np.where(ok[idx], y[idx], np.nan)
        return np.interp(t, self.t_s[ok], y[ok])

    def frames(self) -> list[Frames]:
        out = []
        for fid, maps in self.mapped.items():
            plan = self.plans[fid]
            msg = self.dbc.db.get_message_by_frame_id(fid & 0x1FFFFFFF)
            fr = self._message(plan, maps, _cycle_ms(self.bus, msg))
            if fr is not None:
                out.append(fr)
        return out

    def _times(self, cycle_ms: int, drive_only: bool = False) -> np.ndarray:
        awake = self.driving if drive_only else self.awake
        t0, t1 = self.t_s[0], self.t_s[-1] + 1.0
        phase = self.rng.uniform(0, cycle_ms / 1e3)
        t = np.arange(t0 + phase, t1, cycle_ms / 1e3)
        idx = np.clip(np.searchsorted(self.t_s, t, side="right") - 1, 0, len(self.t_s) - 1)
        t = t[awake[idx]]
        return t + self.rng.uniform(0, 2e-4, t.size)  # logger timestamp jitter

    def _message(self, plan: MessagePlan, maps: list[MappedSignal], cycle_ms: int) -> Frames | None:
        # chassis and cluster messages sleep while the car charges; battery ones do not
        t = self._times(cycle_ms, drive_only=all(m.key in DRIVE_KEYS for m in maps))
        if t.size == 0:
            return None
        by_sig = {s.name: s for s in plan.signals}
        self._invalid: dict[str, int] = {}
        phys: dict[str, np.ndarray] = {}
        groups: dict[tuple[str, str], list[MappedSignal]] = {}
        for m in maps:
            if m.aggregate:
                groups.setdefault((m.path, m.aggregate), []).append(m)
                continue
            val = self.column(m.key, t)
            if val is None:
                if m.invalid_phys is None and not by_sig[m.signal].is_float:
                    self.notes.append(
                        f"{self.layout}: {m.key} not provided; message {plan.name} left out"
                    )
                    return None
                self.notes.append(
                    f"{self.layout}: {m.key} not provided; {m.message}.{m.signal} sent as 'not available'"
                )
                val = np.full(t.size, np.nan)  # floats: NaN; integers: the invalid raw
            phys[m.signal] = (val - m.offset) / m.scale
            if m.invalid_phys is not None:
                sp = by_sig[m.signal]
                self._invalid[m.signal] = round((m.invalid_phys - sp.offset) / sp.scale)
        self._cells(groups, t, phys)
        mux_val = self._mux_cycle(plan, t.size)
        words = np.zeros((t.size, pad_width(plan.length) // 8), np.uint64)
        for s in plan.signals:
            sel = np.ones(t.size, bool)
            if s.mux_signal is not None:
                sel = np.isin(mux_val.get(s.mux_signal, np.full(t.size, -1)), s.mux_ids)
            if s.name in mux_val:
                raw = mux_val[s.name].astype(np.float64)
            elif s.name in phys:
                raw = self._to_raw(plan, s, phys[s.name], by_sig)
            else:
                continue
            if not sel.all():
                raw = np.where(sel, raw, 0)
            insert_raw(words, s.field, self._bits(s, raw))
        data = words.view(np.uint8)[:, : max(plan.length, 8)]
        ext = bool(plan.frame_id & 0x80000000)
        n = t.size
        return Frames(
            (t * 1e6).astype(np.int64),
            np.full(n, self.channel, np.uint16),
            [],
            np.full(n, plan.frame_id & 0x1FFFFFFF, np.uint32),
            np.full(n, ext),
            np.full(n, plan.length, np.uint8),
            np.ascontiguousarray(data),
        )

    def _mux_cycle(self, plan: MessagePlan, n: int) -> dict[str, np.ndarray]:
        out = {}
        for mux, values in plan.mux_values.items():
            if plan.signals and any(s.name == mux and s.mux_signal is None for s in plan.signals):
                out[mux] = values[np.arange(n) % len(values)]
        for mux, values in plan.mux_values.items():  # second level: cycle within each parent
            if mux not in out:
                out[mux] = values[(np.arange(n) // max(1, len(out))) % len(values)]
        return out

    def _cells(
        self,
        groups: dict[tuple[str, str], list[MappedSignal]],
        t: np.ndarray,
        phys: dict[str, np.ndarray],
    ) -> None:
        """Synthesise per-cell values spread between the min and max columns."""
        done: set[str] = set()
        for (_path, agg), members in groups.items():
            if agg not in ("min", "max"):
                continue
            key = members[0].key
            lo_key = key.replace("_max_", "_min_")
            hi_key = key.replace("_min_", "_max_")
            names = [m.signal for m in members if m.signal not in done]
            if not names:
                continue
            lo, hi = self.column(lo_key, t), self.column(hi_key, t)
            if lo is None or hi is None:
                self.notes.append(
                    f"{self.layout}: {lo_key}/{hi_key} not provided; cell signals not sent"
                )
                continue
            frac = self.rng.uniform(0.05, 0.95, len(names))
            frac[0], frac[-1] = 0.0, 1.0
            m = members[0]
            for name, f in zip(names, frac, strict=True):
                phys[name] = ((lo + (hi - lo) * f) - m.offset) / m.scale
                done.add(name)

    def _to_raw(self, plan: MessagePlan, s: Any, value: np.ndarray, by_sig: dict) -> np.ndarray:
        if s.is_float:
            return (value - s.offset) / s.scale
        raw = np.round((value - s.offset) / s.scale)
        lo, hi = _raw_limits(s)
        bad = np.isnan(raw)
        clipped = int(((raw < lo) | (raw > hi)).sum())
        if clipped:
            self.notes.append(
                f"{self.layout}: {plan.name}.{s.name} saturates: {clipped} of {raw.size} values "
                f"outside [{lo * s.scale + s.offset:g}, {hi * s.scale + s.offset:g}] clipped"
            )
        raw = np.clip(raw, lo, hi)
        if bad.any():  # not available: the map's invalid raw, else all ones
            raw[bad] = self._invalid.get(s.name, hi if not s.signed else lo)
        return raw

    @staticmethod
    def _bits(s: Any, raw: np.ndarray) -> np.ndarray:
        n = s.field.length
        if s.is_float:
            if n == 32:
                return raw.astype(np.float32).view(np.uint32).astype(np.uint64)
            return raw.astype(np.float64).view(np.uint64)
        return raw.astype(np.int64).view(np.uint64)


def build_frames(
    highres: pl.DataFrame, layout: str, seed: int = 0
) -> tuple[Frames, list[str], list[bool]]:
    """All frames of a layout for one 1 Hz frame, time-sorted; plus notes and per-bus FD flags."""
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown CAN layout {layout!r}; known: {', '.join(LAYOUTS)}")
    if highres.height == 0 or "ts" not in highres.columns:
        raise ConfigError("highres frame needs a ts column and at least one row")
    highres = highres.sort("ts")
    lay = LAYOUTS[layout]
    notes: list[str] = []
    parts: list[Frames] = []
    carried: set[str] = set()
    for ch, bus in enumerate(lay.buses):
        enc = _Encoder(layout, bus, ch, highres, notes, seed)
        parts += enc.frames()
        carried |= {m.key for ms in enc.mapped.values() for m in ms}
    missing = sorted(c for c in highres.columns if c != "ts" and c not in carried)
    if missing:
        notes.append(f"{layout}: layout has no signal for {', '.join(missing)} (not carried)")
    frames = _concat(parts, len(lay.buses))
    if len(frames) == 0:
        notes.append(f"{layout}: the car is asleep (no ignition, no charging) all day: empty log")
    if len(frames):  # start on a whole millisecond: ASC and BLF headers keep milliseconds only
        frames.ts_us -= frames.ts_us[0] % 1000
    return frames, sorted(set(notes)), [b.fd for b in lay.buses]


def _concat(parts: list[Frames], n_channels: int) -> Frames:
    chans = [str(i) for i in range(n_channels)]
    if not parts:
        return Frames.empty(chans)
    width = max(p.data.shape[1] for p in parts)
    data = np.concatenate([np.pad(p.data, ((0, 0), (0, width - p.data.shape[1]))) for p in parts])
    fr = Frames(
        np.concatenate([p.ts_us for p in parts]),
        np.concatenate([p.channel for p in parts]),
        chans,
        np.concatenate([p.can_id for p in parts]),
        np.concatenate([p.extended for p in parts]),
        np.concatenate([p.length for p in parts]),
        data,
    )
    return fr.take(np.argsort(fr.ts_us, kind="stable"))


def write_can_logs(
    highres: pl.DataFrame,
    layout: str,
    out_dir: Path,
    stem: str,
    formats: Sequence[str] = FORMATS,
) -> list[dict]:
    """Write one log per format; each dict: path, format, layout, dbc, frames, notes."""
    from analytics.can.writers import write_frames

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ConfigError(f"unknown CAN log format(s) {unknown}; known: {', '.join(FORMATS)}")
    seed = sum(stem.encode()) + 7919 * len(stem)
    frames, notes, fd = build_frames(highres, layout, seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lay = LAYOUTS[layout]
    results = []
    for fmt in formats:
        path = out_dir / f"{stem}.{_EXT[fmt]}"
        write_frames(frames, path, fmt, fd)
        buses = [_bus_label(fmt, i) for i in range(len(lay.buses))]
        dbc = [
            f"{b}={DBC_DIR / bus.dbc}" if len(lay.buses) > 1 else str(DBC_DIR / bus.dbc)
            for b, bus in zip(buses, lay.buses, strict=True)
        ]
        results.append(
            {
                "path": str(path),
                "format": fmt,
                "layout": layout,
                "dbc": dbc,
                "frames": len(frames),
                "notes": notes,
            }
        )
    return results


def _bus_label(fmt: str, channel: int) -> str:
    """How a log format names channel ``channel`` (0-based), as ``--dbc BUS=`` expects it."""
    return f"can{channel}" if fmt == "candump" else str(channel + 1)
