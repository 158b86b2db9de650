"""Vector BLF binary logs, parsed in bulk: containers are inflated, objects located with numpy.

A BLF file is a 144-byte header (``LOGG``, object count, start time as SYSTEMTIME) followed
by ``LOBJ`` log containers holding zlib-compressed object streams. We inflate containers into
a buffer of a few tens of MB, find every ``LOBJ`` signature at once, keep the candidates that
form the object chain (a candidate inside the span of an earlier object is payload, not a
header), and gather the fields of all CAN (1, 86), CAN FD (100) and CAN FD 64 (101) objects
with fancy indexing. Error frames (73) are counted. The header's object count is compared
with what was read: a cut file is reported (python-can's reader returns half the frames of a
halved file without a word).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from analytics.can.formats.common import ChannelTable, ParseStats, open_binary
from analytics.can.formats.textscan import gather_rows
from analytics.can.frames import Frames
from analytics.can.reader import CanLogReader
from analytics.errors import FormatError

__all__ = ["READER", "detect", "iter_frames"]

_HEADER = struct.Struct("<4sLBBBBBBBBQQLL8H8H")
_CONTAINER = struct.Struct("<4sHHLL")
_BUFFER_BYTES = 24 << 20
_SIG = np.frombuffer(b"LOBJ", np.uint8)
CAN_MESSAGE, CAN_ERROR, CAN_ERROR_EXT, CAN_MESSAGE2 = 1, 2, 73, 86
CAN_FD_MESSAGE, CAN_FD_MESSAGE_64, LOG_CONTAINER = 100, 101, 10
_CAN_TYPES = (CAN_MESSAGE, CAN_MESSAGE2, CAN_FD_MESSAGE, CAN_FD_MESSAGE_64)


def detect(path: Path, head: bytes) -> bool:
    return head[:4] == b"LOGG"


_PAD = 128  # zero bytes after the buffer: every fixed-size gather stays inside it
_LOBJ32 = int(np.frombuffer(b"LOBJ", "<u4")[0])


def _field(rows: np.ndarray, at: int, dtype: str) -> np.ndarray:
    """A little-endian field at byte ``at`` of every row."""
    size = np.dtype(dtype).itemsize
    return np.ascontiguousarray(rows[:, at : at + size]).view(dtype).ravel()


def _systemtime_us(fields: tuple[int, ...]) -> int | None:
    y, mo, _dow, d, h, mi, s, ms = fields
    try:
        return int(datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC).timestamp() * 1_000_000)
    except ValueError:
        return None


class _State:
    def __init__(self, start_us: int) -> None:
        self.start_us = start_us
        self.objects = 0
        self.chans = ChannelTable()


def iter_frames(path: Path, stats: ParseStats) -> Iterator[Frames]:
    with open_binary(path) as fh:
        head = fh.read(_HEADER.size)
        if len(head) < _HEADER.size or head[:4] != b"LOGG":
            raise FormatError(f"{path}: not a BLF file (no LOGG header)")
        h = _HEADER.unpack(head)
        header_size, file_size, object_count = h[1], h[10], h[12]
        start_us = _systemtime_us(h[14:22])
        if start_us is None:
            stats.note(
                "no_start_time",
                "BLF header without a valid start time; times are relative to 1970",
                severity="error",
            )
            start_us = 0
        fh.read(max(0, header_size - _HEADER.size))
        st = _State(start_us)
        pending = bytearray()
        truncated = None
        while True:
            try:
                base = fh.read(_CONTAINER.size)
            except (EOFError, OSError) as exc:
                truncated = f"compressed stream ends early: {exc}"
                break
            if not base:
                break
            if len(base) < _CONTAINER.size or base[:4] != b"LOBJ":
                truncated = (
                    "file ends inside an object header"
                    if len(base) < _CONTAINER.size
                    else "bytes after the last object are not a BLF object"
                )
                break
            _, _, _, obj_size, obj_type = _CONTAINER.unpack(base)
            try:
                body = fh.read(obj_size - _CONTAINER.size)
                fh.read(obj_size % 4)
            except (EOFError, OSError) as exc:
                truncated = f"compressed stream ends early: {exc}"
                break
            if obj_type != LOG_CONTAINER:
                continue
            method = struct.unpack_from("<H", body)[0] if len(body) >= 2 else -1
            payload = body[16:]
            if len(body) < obj_size - _CONTAINER.size:
                truncated = "file ends inside a log container"
            if method == 2:
                try:
                    pending += zlib.decompressobj().decompress(payload)
                except zlib.error as exc:
                    truncated = f"corrupt compressed container: {exc}"
            elif method == 0:
                pending += payload
            else:
                stats.note("unknown_compression", f"container compression method {method}")
            if truncated:
                break
            if len(pending) >= _BUFFER_BYTES:
                fr, used = _parse(pending, st, stats)
                del pending[:used]
                if fr is not None:
                    yield fr
        fr, used = _parse(pending, st, stats, final=True)
        if fr is not None:
            yield fr
        leftover = len(pending) - used
    if leftover > 0:
        truncated = truncated or "the last object is incomplete"
    _check_count(path, st, object_count, file_size, truncated, stats)


def _check_count(
    path: Path,
    st: _State,
    object_count: int,
    file_size: int,
    truncated: str | None,
    stats: ParseStats,
) -> None:
    actual = path.stat().st_size
    if object_count and st.objects < object_count:
        stats.note(
            "truncated_file",
            f"header announces {object_count:,} objects, "
            f"{st.objects:,} found" + (f" ({truncated})" if truncated else ""),
            severity="error",
            count=object_count - st.objects,
        )
    elif truncated:
        stats.note("truncated_file", truncated, severity="error")
    elif object_count == 0 and file_size == 0:
        stats.note(
            "unfinalised_file",
            "BLF header was never finalised (object count 0); "
            "cannot tell whether the file is complete",
        )
    elif file_size and actual < file_size and not str(path).endswith(".gz"):
        stats.note(
            "truncated_file",
            f"header says {file_size:,} bytes, file has {actual:,}",
            severity="error",
        )


def _candidates(buf: np.ndarray, n: int) -> np.ndarray:
    """Offsets of ``LOBJ`` signatures: objects are 4-byte aligned, so one uint32 compare."""
    words = buf[: n // 4 * 4].view("<u4")
    return 4 * np.flatnonzero(words == _LOBJ32)


def _any_offset_candidates(buf: np.ndarray, n: int) -> np.ndarray:
    b = buf[:n]
    return np.flatnonzero(
        (b[:-3] == _SIG[0]) & (b[1:-2] == _SIG[1]) & (b[2:-1] == _SIG[2]) & (b[3:] == _SIG[3])
    )


def _chain(buf: np.ndarray, n: int, cand: np.ndarray) -> tuple[np.ndarray, ...]:
    """Of the signature candidates, the object headers that form the chain of objects."""
    cand = cand[cand + 16 <= n]
    head = gather_rows(buf, cand, 32)
    hsize = _field(head, 4, "<u2").astype(np.int64)
    hver = _field(head, 6, "<u2").astype(np.int64)
    size = _field(head, 8, "<u4").astype(np.int64)
    otype = _field(head, 12, "<u4").astype(np.int64)
    plausible = ((hver == 1) | (hver == 2)) & (hsize >= 32) & (size >= hsize) & (size < 1 << 24)
    cand, hsize, size, otype, head = (a[plausible] for a in (cand, hsize, size, otype, head))
    end = cand + size
    prev_end = np.concatenate([[0], np.maximum.accumulate(end)[:-1]])
    real = cand >= prev_end  # a signature inside an earlier object is payload
    return cand[real], hsize[real], size[real], otype[real], head[real], end[real]


def _unbroken(
    cand: np.ndarray, size: np.ndarray, otype: np.ndarray, end: np.ndarray, n: int
) -> bool:
    """True when the objects found tile the buffer from its start: each begins where the one
    before ends, and the last runs past the buffer's end or leaves less than a header."""
    if cand.size == 0:
        return n < 16
    nxt = _next_start(end, size, otype)
    if cand[0] != 0 or (cand[1:] != nxt[:-1]).any():
        return False
    return bool(end[-1] > n or nxt[-1] > n - 16)


def _next_start(end: np.ndarray, size: np.ndarray, otype: np.ndarray) -> np.ndarray:
    """Where the next object starts: after ``size % 4`` padding bytes (none after CAN FD 64)."""
    return end + np.where(otype == CAN_FD_MESSAGE_64, 0, size % 4)


def _parse(
    pending: bytearray, st: _State, stats: ParseStats, final: bool = False
) -> tuple[Frames | None, int]:
    """Parse the complete objects in ``pending``; return frames and bytes consumed."""
    n = len(pending)
    if n < 16:
        return None, 0
    buf = np.zeros(n + _PAD, np.uint8)
    buf[:n] = np.frombuffer(pending, np.uint8)
    cand, hsize, size, otype, head, end = _chain(buf, n, _candidates(buf, n))
    if not _unbroken(cand, size, otype, end, n):
        # some object is not 4-byte aligned (the ones after an odd-sized object never are)
        cand, hsize, size, otype, head, end = _chain(buf, n, _any_offset_candidates(buf, n))
    complete = end <= n
    if (~complete).any():
        used = int(cand[~complete][0])
    elif cand.size:
        used = min(n, int(_next_start(end[-1:], size[-1:], otype[-1:])[0]))
    else:
        used = 0
    cand, hsize, otype, head = cand[complete], hsize[complete], otype[complete], head[complete]
    st.objects += int(cand.size)
    stats.skip("error_frame", int(np.isin(otype, (CAN_ERROR, CAN_ERROR_EXT)).sum()))
    flags = _field(head, 16, "<u4")
    ts_raw = _field(head, 24, "<u8").astype(np.float64)
    ts_us = st.start_us + np.where(flags == 1, ts_raw * 10.0, np.round(ts_raw / 1000.0)).astype(
        np.int64
    )
    parts = []
    for kind in _CAN_TYPES:
        sel = otype == kind
        if sel.any():
            parts.append(_can_objects(buf, cand[sel] + hsize[sel], kind, ts_us[sel], stats))
    if not parts:
        return None, used
    ts = np.concatenate([p[0] for p in parts])
    if len(parts) == 1:
        chan, ids, length, keep, data = parts[0][1:]
    else:
        order = np.argsort(
            np.concatenate([cand[otype == k] for k in _CAN_TYPES if (otype == k).any()]),
            kind="stable",
        )
        ts = ts[order]
        chan, ids, length, keep = (
            np.concatenate([p[i] for p in parts])[order] for i in range(1, 5)
        )
        width = max(p[5].shape[1] for p in parts)
        data = np.concatenate([np.pad(p[5], ((0, 0), (0, width - p[5].shape[1]))) for p in parts])[
            order
        ]
    codes = st.chans.codes_int(chan.astype(np.int64))
    fr = st.chans.frames(ts, codes, ids & 0x1FFFFFFF, (ids & 0x80000000) != 0, data, length)
    if not keep.all():
        fr = fr.take(keep)
    return fr, used


def _can_objects(
    buf: np.ndarray, p: np.ndarray, kind: int, ts_us: np.ndarray, stats: ParseStats
) -> tuple[np.ndarray, ...]:
    """(ts, channel, id, length, keep, data) for objects of one type starting at ``p``."""
    if kind in (CAN_MESSAGE, CAN_MESSAGE2):
        body = gather_rows(buf, p, 16)
        chan = _field(body, 0, "<u2")
        fl = body[:, 2]
        length = np.minimum(body[:, 3], 8).astype(np.uint8)
        can_id = _field(body, 4, "<u4")
        data_at, width = 8, 8
        remote = (fl & 0x80) != 0
    elif kind == CAN_FD_MESSAGE:
        body = gather_rows(buf, p, 84)
        chan = _field(body, 0, "<u2")
        fl = body[:, 2]
        can_id = _field(body, 4, "<u4")
        length = np.minimum(body[:, 14], 64).astype(np.uint8)
        data_at, width = 20, 64
        remote = (fl & 0x80) != 0
    else:  # CAN_FD_MESSAGE_64
        body = gather_rows(buf, p, 104)
        chan = body[:, 0]
        length = np.minimum(body[:, 2], 64).astype(np.uint8)
        can_id = _field(body, 4, "<u4")
        fl = _field(body, 12, "<u4")
        data_at, width = 40, 64
        remote = (fl & 0x0010) != 0
    stats.skip("remote_frame", int(remote.sum()))
    data = np.array(body[:, data_at : data_at + width])
    data[np.arange(width)[None, :] >= length[:, None]] = 0
    return ts_us, chan.astype(np.uint16), can_id.astype(np.uint32), length, ~remote, data


READER = CanLogReader("blf", detect, iter_frames, (".blf",))
