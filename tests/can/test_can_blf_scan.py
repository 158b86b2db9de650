"""BLF objects are found by an aligned signature scan, with the byte-wise scan as fallback:
classic and CAN FD frames (CAN FD 64 objects are not padded to 4 bytes), payloads that
contain the ``LOBJ`` signature, and a file that spans several parse buffers all come back
exactly as python-can wrote them."""

from __future__ import annotations

import can
import numpy as np
import pytest

from analytics.can.formats import blf
from analytics.can.formats.common import ParseStats
from analytics.ingest.issues import IssueCollector


def _messages(n: int, seed: int) -> list[can.Message]:
    rng = np.random.default_rng(seed)
    out = []
    t = 1_700_000_000.0
    for i in range(n):
        t += float(rng.uniform(0.0001, 0.01))
        fd = bool(rng.integers(0, 3) == 0)
        length = int(rng.choice([0, 1, 5, 8, 12, 20, 48, 64])) if fd else int(rng.integers(0, 9))
        data = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
        if i % 17 == 0 and length >= 4:
            data = b"LOBJ" + data[4:]  # a signature inside a payload is not an object
        ext = bool(rng.integers(0, 2))
        out.append(
            can.Message(
                timestamp=t,
                arbitration_id=int(rng.integers(0, 0x1FFFFFFF if ext else 0x7FF)),
                is_extended_id=ext,
                is_fd=fd,
                bitrate_switch=fd,
                data=data,
                channel=int(rng.integers(0, 2)),
            )
        )
    return out


@pytest.mark.parametrize("buffer_bytes", [blf._BUFFER_BYTES, 4096])
def test_blf_round_trip_with_fd_frames(tmp_path, monkeypatch, buffer_bytes):
    monkeypatch.setattr(blf, "_BUFFER_BYTES", buffer_bytes)
    msgs = _messages(3000, seed=5)
    path = tmp_path / "mixed.blf"
    with can.BLFWriter(path) as w:
        for m in msgs:
            w.on_message_received(m)
    stats = ParseStats(IssueCollector())
    frames = list(blf.iter_frames(path, stats))
    ts = np.concatenate([f.ts_us for f in frames])
    ids = np.concatenate([f.can_id for f in frames])
    lengths = np.concatenate([f.length for f in frames])
    assert len(ts) == len(msgs)
    assert stats.issues.count() == 0, stats.issues.items()
    assert ids.tolist() == [m.arbitration_id for m in msgs]
    assert lengths.tolist() == [len(m.data) for m in msgs]
    assert np.allclose(ts / 1e6, [m.timestamp for m in msgs], atol=2e-5)
    datas = [bytes(f.data[i, : f.length[i]]) for f in frames for i in range(len(f))]
    assert datas == [bytes(m.data) for m in msgs]


def test_gap_in_the_aligned_chain_falls_back_to_the_bytewise_scan(tmp_path, monkeypatch):
    """An object the aligned scan misses (as an unpadded one would be) leaves a gap in the
    chain; the parser then scans every offset and still returns every frame."""
    msgs = _messages(500, seed=9)
    path = tmp_path / "gap.blf"
    with can.BLFWriter(path) as w:
        for m in msgs:
            w.on_message_received(m)
    aligned, any_offset = blf._candidates, blf._any_offset_candidates
    used = []

    def missing_some(buf, n):
        cand = aligned(buf, n)
        return np.delete(cand, slice(3, None, 10))

    def bytewise(buf, n):
        used.append(n)
        return any_offset(buf, n)

    monkeypatch.setattr(blf, "_candidates", missing_some)
    monkeypatch.setattr(blf, "_any_offset_candidates", bytewise)
    frames = list(blf.iter_frames(path, ParseStats(IssueCollector())))
    assert used, "the fallback scan did not run"
    ids = np.concatenate([f.can_id for f in frames])
    assert ids.tolist() == [m.arbitration_id for m in msgs]


@pytest.mark.parametrize("buffer_bytes", [blf._BUFFER_BYTES, 4096])
def test_frames_after_an_odd_sized_object_are_kept(tmp_path, monkeypatch, buffer_bytes):
    """python-can pads an object by ``size % 4`` bytes, so after an odd-sized one (a marker
    with a short text here) no object is 4-byte aligned any more."""
    monkeypatch.setattr(blf, "_BUFFER_BYTES", buffer_bytes)
    msgs = _messages(400, seed=3)
    path = tmp_path / "marker.blf"
    with can.BLFWriter(path) as w:
        for i, m in enumerate(msgs):
            w.on_message_received(m)
            if i == 150:
                w.log_event("ab", m.timestamp)  # 95-byte object: 3 padding bytes
    stats = ParseStats(IssueCollector())
    frames = list(blf.iter_frames(path, stats))
    ids = np.concatenate([f.can_id for f in frames])
    assert ids.tolist() == [m.arbitration_id for m in msgs]
    assert stats.issues.count() == 0, stats.issues.items()
