"""Write frames with each format's own library: python-can (candump -L, ASC, BLF), asammdf (MF4).

python-can's writers take one ``can.Message`` at a time; that is their API, so building the
messages is a loop here (the writing side is not on the ingest hot path). MF4 is written in
one block through asammdf as a ``CAN_DataFrame`` bus-logging channel group, the structure
CANedge and Vector loggers produce.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from analytics.can.frames import Frames
from analytics.errors import ConfigError

__all__ = ["iter_messages", "write_frames", "write_mf4"]


def iter_messages(frames: Frames, fd: Sequence[bool], candump_names: bool = False):  # type: ignore[no-untyped-def]
    """python-can ``Message`` objects for the frames (channel: ``canN`` or the int index)."""
    import can

    ts = frames.ts_us / 1e6
    data = frames.data
    for i in range(len(frames)):
        ch = int(frames.channel[i])
        n = int(frames.length[i])
        is_fd = bool(fd[ch]) if ch < len(fd) else n > 8
        yield can.Message(
            timestamp=float(ts[i]),
            arbitration_id=int(frames.can_id[i]),
            is_extended_id=bool(frames.extended[i]),
            is_fd=is_fd or n > 8,
            bitrate_switch=is_fd or n > 8,
            data=data[i, :n].tobytes(),
            channel=f"can{ch}" if candump_names else ch,
            is_rx=True,
        )


def write_frames(frames: Frames, path: Path, fmt: str, fd: Sequence[bool]) -> None:
    """Write ``frames`` to ``path`` in ``fmt`` (candump, asc, blf, mf4)."""
    if fmt == "mf4":
        write_mf4(frames, path, fd)
        return
    import can

    if fmt == "candump":
        writer = can.CanutilsLogWriter(path)
    elif fmt == "asc":
        writer = can.ASCWriter(path)
    elif fmt == "blf":
        writer = can.BLFWriter(path)
    else:
        raise ConfigError(f"cannot write CAN log format {fmt!r}")
    try:
        for msg in iter_messages(frames, fd, candump_names=fmt == "candump"):
            writer.on_message_received(msg)
    finally:
        writer.stop()


def write_mf4(frames: Frames, path: Path, fd: Sequence[bool]) -> None:
    """MF4 4.10 with one ``CAN_DataFrame`` bus-logging group (BusChannel is 1-based)."""
    from asammdf import MDF, Signal
    from asammdf.blocks.v4_blocks import SourceInformation
    from asammdf.blocks.v4_constants import BUS_TYPE_CAN, SOURCE_BUS

    from analytics.can.frames import _FD_LENGTHS

    n = len(frames)
    dtype = np.dtype(
        [
            ("CAN_DataFrame.BusChannel", "<u1"),
            ("CAN_DataFrame.ID", "<u4"),
            ("CAN_DataFrame.IDE", "<u1"),
            ("CAN_DataFrame.DLC", "<u1"),
            ("CAN_DataFrame.DataLength", "<u1"),
            ("CAN_DataFrame.DataBytes", "(64,)u1"),
            ("CAN_DataFrame.Dir", "<u1"),
            ("CAN_DataFrame.EDL", "<u1"),
            ("CAN_DataFrame.BRS", "<u1"),
            ("CAN_DataFrame.ESI", "<u1"),
        ]
    )
    rec = np.zeros(n, dtype=dtype)
    rec["CAN_DataFrame.BusChannel"] = frames.channel + 1
    rec["CAN_DataFrame.ID"] = frames.can_id
    rec["CAN_DataFrame.IDE"] = frames.extended
    length = frames.length
    is_fd = np.asarray([bool(fd[c]) if c < len(fd) else False for c in range(len(fd) or 1)])
    edl = (length > 8) | (is_fd[np.minimum(frames.channel, len(is_fd) - 1)] if len(fd) else False)
    dlc = np.searchsorted(_FD_LENGTHS, length).astype(np.uint8)
    rec["CAN_DataFrame.DLC"] = dlc
    rec["CAN_DataFrame.DataLength"] = length
    w = min(64, frames.data.shape[1])
    rec["CAN_DataFrame.DataBytes"][:, :w] = frames.data[:, :w]
    rec["CAN_DataFrame.EDL"] = edl
    rec["CAN_DataFrame.BRS"] = edl
    start_us = int(frames.ts_us[0]) if n else 0
    mdf = MDF(version="4.10")
    mdf.header.start_time = datetime.fromtimestamp(start_us / 1e6, tz=UTC)
    src = SourceInformation(source_type=SOURCE_BUS, bus_type=BUS_TYPE_CAN)
    mdf.append(
        Signal(
            samples=rec,
            timestamps=(frames.ts_us - start_us) / 1e6,
            name="CAN_DataFrame",
            source=src,
        )
    )
    mdf.save(path, overwrite=True, compression=0)
    mdf.close()
