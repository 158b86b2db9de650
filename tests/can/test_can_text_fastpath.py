"""The numpy fast path of the candump parser agrees with the general (polars) path, line for
line; parallel block parsing keeps file order and reports like a sequential parse; prefetch
hands on chunks, errors and early stops."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.can.formats import candump
from analytics.can.formats.common import ChannelTable, ParseStats, parse_text_blocks
from analytics.can.formats.textscan import digits_to_int, hex_run
from analytics.can.prefetch import prefetch
from analytics.ingest.issues import IssueCollector

_HEX = "0123456789ABCDEFabcdef"


@st.composite
def _line(draw, ts_digits: int, frac_digits: int, channel: str) -> str:
    sec = draw(st.integers(0, 10**ts_digits - 1))
    frac = draw(st.integers(0, 10**frac_digits - 1))
    ts = f"({sec:0{ts_digits}d}.{frac:0{frac_digits}d})"
    ext = draw(st.booleans())
    fid = draw(st.integers(0, 0x1FFFFFFF if ext else 0x7FF))
    if ext and draw(st.integers(0, 9)) == 0:
        fid |= 0x20000000  # error frame
    ident = f"{fid:08X}" if ext else f"{fid:03X}"
    kind = draw(st.sampled_from(["data", "data", "data", "fd", "remote"]))
    if kind == "remote":
        body = "R" + draw(st.sampled_from(["", "0", "8"]))
    else:
        n = draw(
            st.sampled_from(
                [0, 1, 2, 3, 4, 5, 6, 7, 8] + ([12, 16, 32, 64] if kind == "fd" else [])
            )
        )
        payload = "".join(
            draw(st.sampled_from(_HEX)) + draw(st.sampled_from(_HEX)) for _ in range(n)
        )
        body = ("#" + draw(st.sampled_from("0123")) if kind == "fd" else "") + payload
    flag = draw(st.sampled_from(["", "", " R", " T"]))
    return f"{ts} {channel} {ident}#{body}{flag}"


_BROKEN = [
    "garbage",
    "(1.5) can0 123#GG",
    "(1.5) can0 12#11",
    "(1.5)  can0 123#11",
    "(1.5) can0 123#1",
    "(1.5) can0 123#11 X",
    "(1.5) can0 123456789#00",
    "(x.5) can0 123#11",
    "(1.5 can0 123#11",
    "",
]


@st.composite
def _blocks(draw) -> bytes:
    ts_digits = draw(st.integers(1, 11))
    frac_digits = draw(st.integers(1, 9))
    channels = draw(
        st.lists(
            st.sampled_from(["can0", "can1", "vcan0", "c", "chan_abc"]), min_size=1, max_size=3
        )
    )
    lines = draw(
        st.lists(
            st.sampled_from(channels).flatmap(lambda ch: _line(ts_digits, frac_digits, ch)),
            min_size=1,
            max_size=40,
        )
    )
    if draw(st.integers(0, 4)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(_BROKEN)))
    end = draw(st.sampled_from(["\n", ""]))
    return ("\n".join(lines) + end).encode()


def _issues(stats: ParseStats) -> list[tuple]:
    return sorted((i.reason, i.count, i.example, i.location) for i in stats.issues.items())


def _same(a, b) -> None:
    if a is None or b is None:
        assert (a is None or len(a) == 0) and (b is None or len(b) == 0)
        return
    assert [a.channels[c] for c in a.channel] == [b.channels[c] for c in b.channel]
    for f in ("ts_us", "can_id", "extended", "length"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    width = min(a.data.shape[1], b.data.shape[1])
    assert np.array_equal(a.data[:, :width], b.data[:, :width])
    assert not a.data[:, width:].any() and not b.data[:, width:].any()


def _paths_agree(parse, general) -> None:
    """The block parser (fast path where it applies) and the general path alone give the same
    frames, issues with their examples and locations, and skipped count."""
    fast_stats, slow_stats = ParseStats(IssueCollector()), ParseStats(IssueCollector())
    _same(parse(fast_stats), general(slow_stats))
    assert _issues(fast_stats) == _issues(slow_stats)
    assert fast_stats.skipped == slow_stats.skipped


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_blocks())
def test_fast_path_matches_general_path(block):
    _paths_agree(
        lambda st: candump._parse_block(block, 1, ChannelTable(), st),
        lambda st: candump._general_block(block, 1, ChannelTable(), st),
    )


def test_fast_path_takes_the_common_layout():
    lines = [
        "(1709623800.040000) can0 3E9#0E90000000000000 R",
        "(1709623800.040450) can1 1C3#00AD R",
        "(1709623800.041212) can0 18FF0A01#0043240342C946",
        "(1709623800.041300) can0 1C3#R",
        "(1709623800.041400) can0 123##1" + "AB" * 12,
    ]
    stats = ParseStats(IssueCollector())
    got = candump._fast_block(("\n".join(lines) + "\n").encode(), ChannelTable(), stats)
    assert got is not candump._SLOW
    assert got.ts_us.tolist() == [
        1709623800040000,
        1709623800040450,
        1709623800041212,
        1709623800041400,
    ]
    assert got.can_id.tolist() == [0x3E9, 0x1C3, 0x18FF0A01, 0x123]
    assert got.extended.tolist() == [False, False, True, False]
    assert got.length.tolist() == [8, 2, 7, 12]
    assert bytes(got.data[3, :12]) == b"\xab" * 12
    assert stats.issues.count("remote_frame") == 1


def test_swar_digits_and_hex_runs():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 10**16, 1000, dtype=np.int64)
    text = (
        np.frombuffer("".join(f"{v:016d}" for v in values).encode(), np.uint8)
        .reshape(-1, 16)
        .copy()
    )
    got, ok = digits_to_int([text[:, :10], text[:, 10:]])
    assert ok and np.array_equal(got, values)
    text[5, 3] = ord("a")
    assert not digits_to_int([text])[1]
    payload = rng.integers(0, 256, (50, 8), dtype=np.uint8)
    chars = np.frombuffer("".join(bytes(r).hex() + " " for r in payload).encode(), np.uint8)
    data, ok = hex_run(chars.reshape(50, 17), np.full(50, 16))
    assert ok.all() and np.array_equal(data, payload)
    ok = hex_run(chars.reshape(50, 17), np.full(50, 14))[1]
    assert not ok.any()  # the 15th character is hex, not the end of the run


def test_parallel_blocks_keep_order_and_report_like_one_thread(tmp_path, monkeypatch):
    lines = [
        f"({1700000000 + i}.{i % 1000000:06d}) can{i % 2} {i % 0x7FF:03X}#{i % 256:02X}"
        for i in range(5000)
    ]
    lines[1234] = "broken line"
    lines[4321] = "another broken line"
    path = tmp_path / "x.log"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr("analytics.can.formats.common.BLOCK_BYTES", 4096)
    runs = []
    for workers in (1, 2, 4):
        stats = ParseStats(IssueCollector())
        chans = ChannelTable()
        frames = list(
            parse_text_blocks(
                path, lambda b, l0, st, c=chans: candump._parse_block(b, l0, c, st), stats, workers
            )
        )
        ts = np.concatenate([f.ts_us for f in frames])
        names = [f.channels[c] for f in frames for c in f.channel]
        runs.append((ts.tolist(), names, _issues(stats), stats.skipped))
    assert runs[0] == runs[1] == runs[2]
    ts, _, issues, skipped = runs[0]
    assert ts == sorted(ts) and len(ts) == 4998 and skipped == 2
    assert issues == [("malformed_line", 2, "broken line", "line 1235")]


def test_prefetch_order_errors_and_early_stop():
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))

    def failing():
        yield 1
        raise ValueError("boom")

    got = []
    with pytest.raises(ValueError, match="boom"):
        for x in prefetch(failing()):
            got.append(x)
    assert got == [1]

    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    gen = prefetch(endless())
    assert [next(gen) for _ in range(5)] == [0, 1, 2, 3, 4]
    gen.close()
    assert closed.wait(5)


@st.composite
def _asc_line(draw, channel_width: int) -> str:
    t = draw(st.floats(0, 99999, allow_nan=False))
    ch = draw(st.integers(1, 9 if channel_width == 1 else 16))
    chan = draw(st.sampled_from([str(ch), str(ch), f"0{ch}"]))
    ext = draw(st.booleans())
    fid = draw(st.integers(0, 0x1FFFFFFF if ext else 0x7FF))
    ident = f"{fid:X}" + ("x" if ext else "")
    kind = draw(st.sampled_from(["d", "d", "d", "d", "r", "fd", "error", "event", "odd"]))
    direction = draw(st.sampled_from(["Rx", "Tx"]))
    if kind == "d":
        n = draw(st.integers(0, 8))
        data = " ".join(f"{draw(st.integers(0, 255)):02X}" for _ in range(n))
        tail = draw(st.sampled_from(["", "", "  Length = 228000 BitCount = 118 ID = 291"]))
        msg = f"{chan}  {ident:<15} {direction:<4} d {n:x} {data}".rstrip() + tail
    elif kind == "r":
        msg = f"{ch}  {ident:<15} {direction:<4} r" + draw(st.sampled_from(["", " 8", " 0"]))
    elif kind == "fd":
        n = draw(st.sampled_from([0, 8, 12, 64]))
        dlc = {0: 0, 8: 8, 12: 9, 64: 15}[n]
        data = " ".join("AB" for _ in range(n))
        msg = f"CANFD {ch:>3} {direction:<4} {ident:>8}  {'':>32} 1 0 {dlc:x} {n:>2} {data}"
    elif kind == "error":
        msg = f"{ch}  ErrorFrame"
    elif kind == "event":
        msg = f"{ch}  Statistic: D 0 R 0 XD 0 XR 0 E 0 O 0 B 0.00%"
    else:
        msg = draw(
            st.sampled_from(
                [
                    f"{ch}  {ident:<15} Rx   d 8 00 11",
                    "garbage",
                    f"{ch}  ZZZ  Rx d 1 00",
                    f"{ch}  123456789x      Rx   d 1 00",
                    f"7 {ch}  {ident:<15} Rx   d 1 00",
                    f"{ch}  {ident:<15} Rx   d 1 AA\rjunk",
                ]
            )
        )
    return f"{t: 9.6f} {msg}"


@st.composite
def _asc_blocks(draw) -> bytes:
    width = draw(st.sampled_from([1, 2]))
    lines = draw(st.lists(_asc_line(width), min_size=1, max_size=40))
    if draw(st.booleans()):
        lines = [
            "date Tue Mar 05 07:30:00.400 2024",
            "base hex  timestamps absolute",
            "Begin Triggerblock Tue Mar 05 07:30:00.400 2024",
            "   0.000000 Start of measurement",
            *lines,
        ]
    if draw(st.booleans()):
        lines.append("End TriggerBlock")
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return (eol.join(lines) + draw(st.sampled_from([eol, ""]))).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_asc_blocks())
def test_asc_fast_path_matches_general_path(block):
    from analytics.can.formats import asc

    hdr = asc._Header()
    hdr.scan(b"date Tue Mar 05 07:30:00.400 2024\nbase hex  timestamps absolute\n")
    _paths_agree(
        lambda st: asc._parse_block(block, 7, hdr, ChannelTable(), st),
        lambda st: asc._general_block(block, 7, hdr, ChannelTable(), st)[0],
    )


def test_asc_fast_path_takes_classic_frames_and_leaves_the_rest():
    from analytics.can.formats import asc

    lines = [
        "date Tue Mar 05 07:30:00.400 2024",
        "base hex  timestamps absolute",
        "Begin Triggerblock Tue Mar 05 07:30:00.400 2024",
        " 0.000000 Start of measurement",
        " 0.000450 1  1C3             Rx   d 8 00 AD 5B 5A CF 93 03 57",
        " 12.001212 2  18FF0A01x       Tx   d 3 00 43 24",
        " 12.002000 1  7FF             Rx   r",
        " 13.500000 CANFD   1 Rx      123                                   1 0 9 12 "
        + " ".join(["AB"] * 12),
        " 1643.999395 1  78A             Rx   d 0",
        "End TriggerBlock",
    ]
    block = ("\n".join(lines) + "\n").encode()
    hdr = asc._Header()
    hdr.scan(block)
    _, fit = asc._fast_lines(block, hdr)
    assert fit.tolist() == [False] * 4 + [True, True, False, False, True, False]
    stats = ParseStats(IssueCollector())
    got = asc._parse_block(block, 1, hdr, ChannelTable(), stats)
    start = 1709623800400000
    assert (got.ts_us - start).tolist() == [450, 12001212, 13500000, 1643999395]
    assert got.can_id.tolist() == [0x1C3, 0x18FF0A01, 0x123, 0x78A]
    assert got.length.tolist() == [8, 3, 12, 0]
    assert [got.channels[c] for c in got.channel] == ["1", "2", "1", "1"]
    assert stats.issues.count("remote_frame") == 1 and stats.skipped == 1


def test_ingest_counts_unmapped_messages_like_a_full_decode():
    """An ingest decodes only mapped messages (2 of the GM powertrain DBC's 49); its frame
    counts and issues (unknown ids, short and long frames) equal a decode of every message."""
    from analytics.can.busdecoder import BusDecoder, parse_dbc_specs
    from analytics.can.dbc import load_dbc
    from analytics.can.encode import DBC_DIR
    from analytics.can.frames import Frames

    dbc = DBC_DIR / "gm_global_a_powertrain.dbc"
    msgs = [m for m in load_dbc(dbc).db.messages if m.length > 0]
    rng = np.random.default_rng(2)
    n = 20_000
    which = rng.integers(0, len(msgs), n)
    ids = np.array([m.frame_id for m in msgs], np.uint32)[which]
    lengths = np.array([m.length for m in msgs], np.uint8)[which]
    ids[:300] = 0x7F0  # unknown
    lengths[300:600] = 1  # short
    lengths[600:900] = 64  # long
    frames = Frames(
        1_700_000_000_000_000 + np.arange(n, dtype=np.int64) * 1000,
        np.zeros(n, np.uint16),
        ["can0"],
        ids,
        np.zeros(n, bool),
        lengths,
        rng.integers(0, 256, (n, 64), dtype=np.uint8),
    )
    full, ingest = (BusDecoder(parse_dbc_specs([str(dbc)]), IssueCollector()) for _ in range(2))
    for _ in full.messages(frames):
        pass
    rows = ingest.long_rows(frames, "v")
    assert rows.height > 0
    assert (ingest.decoded, ingest.skipped) == (full.decoded, full.skipped)
    assert ingest.unknown == full.unknown and sum(ingest.unknown.values()) >= 300
    assert _issues_of(ingest) == _issues_of(full)
    assert {r for r, _d, _c in _issues_of(full)} == {"short_frame", "long_frame"}


def _issues_of(dec) -> list[tuple]:
    return sorted(
        (i.reason, i.detail, i.count)
        for i in dec.issues.items()
        if i.reason in ("short_frame", "long_frame")
    )
