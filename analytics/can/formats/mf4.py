"""ASAM MDF4 bus logging (``CAN_DataFrame`` channel groups, as CANedge and Vector write them).

asammdf reads the raw channel arrays of every CAN bus-logging group fragment by fragment
(bounded memory); we take ``BusChannel``, ``ID``, ``IDE``, ``DataLength``/``DLC``,
``DataBytes`` and the time stamps as numpy arrays — no per-frame objects. ``CAN_RemoteFrame``
and ``CAN_ErrorFrame`` groups are counted and skipped. A file asammdf cannot open (an
unfinalised or truncated MF4 raises "incomplete block") is a :class:`FormatError` naming the
cause: no partial file is ingested silently.
"""

from __future__ import annotations

import gzip
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from analytics.can.formats.common import ChannelTable, ParseStats
from analytics.can.frames import Frames, dlc_to_length
from analytics.can.reader import CanLogReader
from analytics.errors import FormatError
from analytics.ingest.base import is_gzip, strip_gz

__all__ = ["READER", "detect", "iter_frames"]

_FRAGMENT_BYTES = 32 << 20


def detect(path: Path, head: bytes) -> bool:
    return head[:3] == b"MDF"


def _u64(fh, at: int) -> int:  # type: ignore[no-untyped-def]
    fh.seek(at)
    raw = fh.read(8)
    return int.from_bytes(raw, "little") if len(raw) == 8 else -1


def validate_structure(path: Path) -> str | None:
    """Walk the data-group chain and data blocks; return what is wrong, or ``None``.

    Done before asammdf opens the file, so a cut file is reported cleanly.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        ident = fh.read(64)
        if len(ident) < 64 or ident[:3] not in (b"MDF", b"Unf"):
            return "no MDF identification block"
        if not ident[8:9].startswith(b"4"):
            return None  # MDF 3: leave it to asammdf
        fh.seek(64)
        if fh.read(4) != b"##HD":
            return "no header block"
        dg, seen = _u64(fh, 64 + 24), 0
        while dg and seen < 100_000:
            seen += 1
            if dg < 0 or dg + 24 > size:
                return f"data group at byte {dg} lies beyond the end of the file ({size} bytes)"
            fh.seek(dg)
            if fh.read(4) != b"##DG":
                return f"no data group block at byte {dg}"
            data = _u64(fh, dg + 24 + 16)
            if data > 0:
                fh.seek(data)
                tag = fh.read(4)
                length = _u64(fh, data + 8)
                if tag[:2] != b"##" or length < 0 or data + length > size:
                    return (
                        f"data block at byte {data} ({tag!r}, {length} bytes) runs past the "
                        f"end of the file ({size} bytes): the file is truncated"
                    )
            dg = _u64(fh, dg + 24)
    return None


def _open(path: Path):  # type: ignore[no-untyped-def]
    from asammdf import MDF

    problem = validate_structure(path)
    if problem:
        raise FormatError(
            f"{path}: damaged MF4: {problem}. Nothing was ingested from it; "
            "recover the complete file from the logger and ingest again."
        )
    logging.getLogger("asammdf").setLevel(logging.ERROR)
    try:
        mdf = MDF(path, process_bus_logging=False)
    except Exception as exc:  # asammdf raises many types for damaged files
        raise FormatError(
            f"{path}: cannot read MF4 ({type(exc).__name__}: {str(exc)[:160]}); the file is "
            "truncated or was not finalised by the logger. Finalise it with the logger vendor's "
            "tool (e.g. CANedge mdf4 converters) and ingest again."
        ) from exc
    mdf.configure(read_fragment_size=_FRAGMENT_BYTES)
    return mdf


def _groups(mdf) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    out = []
    for i, grp in enumerate(mdf.groups):
        names = {ch.name for ch in grp.channels}
        for kind in ("CAN_DataFrame", "CAN_RemoteFrame", "CAN_ErrorFrame"):
            if kind in names or f"{kind}.ID" in names:
                out.append((i, kind))
                break
    return out


def iter_frames(path: Path, stats: ParseStats) -> Iterator[Frames]:
    if is_gzip(path):  # asammdf needs a seekable file: inflate to a temporary copy
        with tempfile.TemporaryDirectory(prefix="analytics-mf4-") as tmp:
            plain = Path(tmp) / strip_gz(path)
            with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
                try:
                    shutil.copyfileobj(src, dst, 8 << 20)
                except (EOFError, OSError) as exc:
                    raise FormatError(f"{path}: compressed MF4 ends early ({exc})") from exc
            yield from _iter_plain(plain, stats)
        return
    yield from _iter_plain(path, stats)


def _iter_plain(path: Path, stats: ParseStats) -> Iterator[Frames]:
    mdf = _open(path)
    try:
        start_us = int(mdf.header.start_time.timestamp() * 1_000_000)
        chans = ChannelTable()
        groups = _groups(mdf)
        if not groups:
            raise FormatError(
                f"{path}: MF4 without CAN bus-logging groups (CAN_DataFrame); "
                "is this a decoded measurement rather than a raw bus log?"
            )
        for gi, kind in groups:
            try:
                for sig in mdf.iter_get(kind, group=gi, raw=True):
                    if kind != "CAN_DataFrame":
                        reason = "remote_frame" if kind == "CAN_RemoteFrame" else "error_frame"
                        stats.skip(reason, len(sig.timestamps))
                        continue
                    fr = _frames(sig, start_us, chans)
                    if fr is not None and len(fr):
                        yield fr
            except FormatError:
                raise
            except Exception as exc:
                raise FormatError(
                    f"{path}: MF4 group {gi} cannot be read ({type(exc).__name__}: "
                    f"{str(exc)[:160]}); the file is damaged or truncated"
                ) from exc
    finally:
        mdf.close()


def _field(samples: np.ndarray, name: str) -> np.ndarray | None:
    names = samples.dtype.names or ()
    for cand in (f"CAN_DataFrame.{name}", name):
        if cand in names:
            return samples[cand]
    return None


def _frames(sig, start_us: int, chans: ChannelTable) -> Frames | None:  # type: ignore[no-untyped-def]
    s = sig.samples
    if s.size == 0:
        return None
    ids = _field(s, "ID").astype(np.uint32)
    ide = _field(s, "IDE")
    ext = (ids & 0x80000000) != 0
    if ide is not None:
        ext |= ide.astype(bool)
    data = _field(s, "DataBytes")
    if data.ndim == 1:  # variable-length byte records
        data = np.stack([np.frombuffer(bytes(x), np.uint8) for x in data])
    length = _field(s, "DataLength")
    if length is None:
        dlc = _field(s, "DLC")
        edl = _field(s, "EDL")
        length = dlc_to_length(dlc, edl.astype(bool) if edl is not None else False)
    length = np.minimum(length.astype(np.uint8), data.shape[1])
    bus = _field(s, "BusChannel")
    bus = bus.astype(np.int64) if bus is not None else np.ones(s.size, np.int64)
    ts = start_us + np.round(np.asarray(sig.timestamps, np.float64) * 1e6).astype(np.int64)
    mat = data if data.dtype == np.uint8 else data.astype(np.uint8)  # a strided view: no copy
    codes = chans.codes_int(bus)
    return chans.frames(ts, codes, ids & 0x1FFFFFFF, ext, mat, length)


READER = CanLogReader("mf4", detect, iter_frames, (".mf4", ".mdf"))
