"""Vectorised DBC decoding: all frames of one message at once, bit-exact with cantools.

``decode_message(plan, data, lengths)`` returns, for every signal, the physical values of the
frames that carry it (cantools ``decode_message(..., decode_choices=False, scaling=True)``
semantics): little/big endian, signed, IEEE float/double, scale and offset, choices kept as
numbers, multiplexing including extended multiplexing (a multiplexed branch is decoded only on
the rows whose multiplexer selects it). Frames shorter than the message are skipped and
counted, never decoded as zeros; frames whose multiplexer value selects no branch keep their
other signals and are counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.can.bits import BitField, Words

__all__ = [
    "DecodedMessage",
    "MessagePlan",
    "SignalPlan",
    "compile_database",
    "decode_message",
    "decode_words",
    "payload_words",
]


@dataclass(frozen=True)
class SignalPlan:
    """One signal, compiled from cantools."""

    name: str
    field: BitField
    signed: bool
    is_float: bool
    scale: float
    offset: float
    mux_signal: str | None
    mux_ids: tuple[int, ...]
    is_multiplexer: bool
    unit: str


@dataclass
class MessagePlan:
    """One message, compiled: its signals in decoding order (multiplexers before branches)."""

    name: str
    frame_id: int  # with bit 31 set for extended ids
    length: int
    is_fd: bool
    signals: list[SignalPlan]
    children: dict[str, dict[tuple[int, ...], list[SignalPlan]]] = field(default_factory=dict)
    mux_values: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def top(self) -> list[SignalPlan]:
        return [s for s in self.signals if s.mux_signal is None]

    @classmethod
    def from_cantools(cls, msg: Any) -> MessagePlan:
        plans = []
        for s in msg.signals:
            ids = tuple(int(i) for i in (s.multiplexer_ids or ()))
            plans.append(
                SignalPlan(
                    s.name,
                    BitField.from_dbc(s.start, s.length, s.byte_order == "little_endian"),
                    bool(s.is_signed),
                    bool(s.is_float),
                    float(s.scale),
                    float(s.offset),
                    s.multiplexer_signal if ids else None,
                    ids,
                    bool(s.is_multiplexer),
                    s.unit or "",
                )
            )
        fid = int(msg.frame_id) | (0x80000000 if msg.is_extended_frame else 0)
        plan = cls(msg.name, fid, int(msg.length), bool(msg.is_fd), plans)
        by_name = {p.name: p for p in plans}
        for p in plans:
            if (
                p.mux_signal is not None
                and p.mux_signal in by_name
                and by_name[p.mux_signal].is_multiplexer
            ):
                plan.children.setdefault(p.mux_signal, defaultdict(list))[p.mux_ids].append(p)
        for mux, branches in plan.children.items():
            plan.mux_values[mux] = np.array(sorted({i for ids in branches for i in ids}), np.int64)
        return plan


@dataclass
class DecodedMessage:
    """Decoded values: ``values[name]`` for the frames ``rows[name]`` (indices into the input)."""

    plan: MessagePlan
    n: int
    valid: np.ndarray  # bool per input frame: long enough to decode
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)
    short_frames: int = 0
    long_frames: int = 0
    undefined_mux: int = 0

    def plan_float(self, name: str) -> bool:
        """True when ``name`` is an IEEE float signal (NaN there means "not available")."""
        return any(s.is_float for s in self.plan.signals if s.name == name)

    def column(self, name: str) -> np.ndarray:
        """Full-length float column, NaN where the frame does not carry the signal."""
        out = np.full(self.n, np.nan)
        if name in self.rows:
            out[self.rows[name]] = self.values[name]
        return out


def compile_database(db: Any) -> dict[int, MessagePlan]:
    """Plans for every message of a cantools database, keyed by id (bit 31 = extended)."""
    return {p.frame_id: p for p in (MessagePlan.from_cantools(m) for m in db.messages)}


def _physical(words: Words, s: SignalPlan) -> np.ndarray:
    raw = words.raw(s.field)
    n = s.field.length
    if s.is_float:
        if n == 32:
            with np.errstate(invalid="ignore"):  # signalling NaN payloads are data, not errors
                x = raw.astype(np.uint32).view(np.float32).astype(np.float64)
        elif n == 64:
            x = raw.view(np.float64)
        else:  # cantools rejects other float lengths; decode as integer
            x = raw.astype(np.float64)
    elif n > 53 and s.scale.is_integer() and s.offset.is_integer():
        # beyond 2**53 cantools' integer arithmetic is exact before the final rounding
        # (rare: VIN parts, 64-bit counters) Python integers, like cantools, then one rounding
        if s.signed:
            ival = ((raw << np.uint64(64 - n)).view(np.int64) >> np.int64(64 - n)).astype(object)
        else:
            ival = raw.astype(object)
        ival = ival * int(s.scale) + int(s.offset)
        return np.array([float(v) for v in ival], dtype=np.float64)
    elif s.signed:
        sh = np.uint64(64 - n)
        x = ((raw << sh).view(np.int64) >> np.int64(64 - n)).astype(np.float64)
    else:
        x = raw.astype(np.float64)
    if s.scale != 1.0 or s.offset != 0.0:
        x = x * s.scale + s.offset
    return x


def decode_message(plan: MessagePlan, data: np.ndarray, lengths: np.ndarray) -> DecodedMessage:
    """Decode all frames of one message; ``data`` is ``(n, width)`` uint8, ``lengths`` bytes."""
    n = data.shape[0]
    valid = lengths >= plan.length
    out = DecodedMessage(plan, n, valid)
    out.short_frames = int(n - valid.sum())
    out.long_frames = int((lengths > plan.length).sum())
    rows = np.flatnonzero(valid) if out.short_frames else np.arange(n)
    width = max(8, (plan.length + 7) // 8 * 8)
    sub = data[rows] if out.short_frames else data
    if sub.shape[1] < width:
        sub = np.pad(sub, ((0, 0), (0, width - sub.shape[1])))
    elif sub.shape[1] > width:
        sub = sub[:, :width]
    _decode_nodes(plan, plan.top, Words(sub), rows, out)
    return out


def payload_words(data: np.ndarray) -> np.ndarray:
    """``(n, width)`` payload bytes as ``(n, ceil(width/8))`` little-endian uint64 words."""
    if data.shape[1] % 8:
        data = np.pad(data, ((0, 0), (0, 8 - data.shape[1] % 8)))
    return np.ascontiguousarray(data).view("<u8")


def decode_words(plan: MessagePlan, words: np.ndarray, lengths: np.ndarray) -> DecodedMessage:
    """Like :func:`decode_message` on payloads given as LE words (see :func:`payload_words`)."""
    n = words.shape[0]
    valid = lengths >= plan.length
    out = DecodedMessage(plan, n, valid)
    out.short_frames = int(n - valid.sum())
    out.long_frames = int((lengths > plan.length).sum())
    k = max(1, (plan.length + 7) // 8)
    if out.short_frames:
        rows = np.flatnonzero(valid)
        sub = words[rows, :k]
    else:
        rows = np.arange(n)
        sub = words[:, :k]
    if sub.shape[1] < k:
        sub = np.pad(sub, ((0, 0), (0, k - sub.shape[1])))
    _decode_nodes(plan, plan.top, Words.from_le(sub), rows, out)
    return out


def _decode_nodes(
    plan: MessagePlan,
    signals: list[SignalPlan],
    words: Words,
    rows: np.ndarray,
    out: DecodedMessage,
) -> None:
    """Decode ``signals`` on ``rows``; recurse into the branches each multiplexer selects."""
    for s in signals:
        x = _physical(words, s)
        out.rows[s.name] = rows
        out.values[s.name] = x
        branches = plan.children.get(s.name)
        if not branches:
            continue
        sel = np.trunc(x).astype(np.int64)  # cantools: int(scaled value)
        known = np.isin(sel, plan.mux_values[s.name])
        out.undefined_mux += int(len(sel) - known.sum())
        for ids, members in branches.items():
            hit = (
                np.flatnonzero(sel == ids[0])
                if len(ids) == 1
                else np.flatnonzero(np.isin(sel, ids))
            )
            if hit.size == 0:
                for m in members:
                    _empty(m, out)
                continue
            _decode_nodes(plan, members, _SubWords(words, hit), rows[hit], out)


def _empty(s: SignalPlan, out: DecodedMessage) -> None:
    if s.name not in out.rows:
        out.rows[s.name] = np.zeros(0, np.int64)
        out.values[s.name] = np.zeros(0)


class _SubWords(Words):
    """The words of a subset of rows (gathered once per branch)."""

    def __init__(self, parent: Words, idx: np.ndarray) -> None:
        self.data = parent.data
        self.n = idx.size
        self._le = parent._le[idx]
        self._be = {}
