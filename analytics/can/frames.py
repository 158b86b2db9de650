"""A batch of raw CAN frames held as columns: what every log reader yields and the decoder eats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Frames", "dlc_to_length", "pack_payloads"]

_FD_LENGTHS = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64], dtype=np.uint8)


def dlc_to_length(dlc: np.ndarray, fd: np.ndarray | bool) -> np.ndarray:
    """Payload length in bytes from the DLC code (CAN FD codes 9..15 mean 12..64 bytes)."""
    dlc = np.asarray(dlc, dtype=np.uint8) & 0x0F
    fd_len = _FD_LENGTHS[dlc]
    classic = np.minimum(dlc, 8)
    return np.where(fd, fd_len, classic).astype(np.uint8)


@dataclass
class Frames:
    """Columns of ``n`` frames; ``data`` is ``(n, width)`` uint8 (bytes past ``length`` are
    never read: text formats leave them 0, MF4 whatever the logger stored).

    ``channel`` indexes ``channels`` (the names as the log spells them: ``can0``, ``1``...).
    ``ts_us`` is UTC epoch microseconds.
    """

    ts_us: np.ndarray
    channel: np.ndarray
    channels: list[str]
    can_id: np.ndarray
    extended: np.ndarray
    length: np.ndarray
    data: np.ndarray

    def __len__(self) -> int:
        return int(self.ts_us.shape[0])

    @classmethod
    def empty(cls, channels: Sequence[str] = ()) -> Frames:
        return cls(
            np.zeros(0, np.int64),
            np.zeros(0, np.uint16),
            list(channels),
            np.zeros(0, np.uint32),
            np.zeros(0, bool),
            np.zeros(0, np.uint8),
            np.zeros((0, 8), np.uint8),
        )

    def take(self, idx: np.ndarray) -> Frames:
        """The frames at ``idx`` (an index or boolean array)."""
        return Frames(
            self.ts_us[idx],
            self.channel[idx],
            self.channels,
            self.can_id[idx],
            self.extended[idx],
            self.length[idx],
            self.data[idx],
        )

    def key(self) -> np.ndarray:
        """Arbitration id with bit 31 set for extended ids (the DBC convention)."""
        return self.can_id.astype(np.uint32) | (self.extended.astype(np.uint32) << np.uint32(31))


def pack_payloads(
    payloads: Sequence[bytes], width: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Byte strings to a zero-padded ``(n, width)`` matrix plus their lengths (for tests, encoders)."""
    lengths = np.fromiter((len(p) for p in payloads), dtype=np.uint8, count=len(payloads))
    w = width or max(8, int(lengths.max()) if len(lengths) else 8)
    out = np.zeros((len(payloads), w), dtype=np.uint8)
    for i, p in enumerate(payloads):  # only for small test/encoder batches
        out[i, : len(p)] = np.frombuffer(p, dtype=np.uint8)
    return out, lengths
