"""Vectorised scanning of text logs whose lines share one layout: the text parsers' fast path.

A block of lines becomes a ``(lines, width)`` byte matrix (one gather of each line's first
``width`` bytes through a sliding-window view), so every field at a fixed offset is a column
slice and decoding digits or hex is a handful of whole-array operations. Functions return an
``ok`` flag instead of raising: a parser uses the fast path only when every line of a block has
the layout it expects, and hands anything else to its general, fully reporting path.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "HEX_LUT",
    "LineMatrix",
    "decimal_columns",
    "digits_to_int",
    "gather_rows",
    "hex_columns",
    "hex_run",
    "hex_value",
    "is_digit",
    "is_hex",
]

HEX_LUT = np.full(256, 16, np.uint8)  # 16 marks "not a hex digit"
for _i, _c in enumerate(b"0123456789abcdef"):
    HEX_LUT[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    HEX_LUT[_c] = 10 + _i

_DIGIT_F = np.full(256, np.nan)
_DIGIT_F[48:58] = np.arange(10.0)

MAX_WIDTH = 256  # longer lines go to the general path


def gather_rows(buf: np.ndarray, pos: np.ndarray, width: int) -> np.ndarray:
    """``(len(pos), width)`` bytes of ``buf`` starting at each offset, gathered in one step
    through a sliding-window view (``buf`` must extend ``width`` bytes past every offset)."""
    return sliding_window_view(buf, width)[pos]


class LineMatrix:
    """The lines of a text block, for column-wise access.

    ``m`` is an ``(n, width)`` uint8 matrix whose row ``i`` holds line ``i``, its newline at
    column ``length[i]``, then the bytes of the following lines: a parser must not read a
    line past its newline (check ``length``). ``window`` gathers other column ranges.
    """

    _FRONT = 16  # blanks before the block: windows may start up to 16 bytes before a line

    def __init__(self, pad: np.ndarray, starts: np.ndarray, length: np.ndarray) -> None:
        self._pad = pad
        self._starts = starts
        self.length = length
        self._m: np.ndarray | None = None

    @classmethod
    def of(cls, block: bytes) -> LineMatrix | None:
        """None when the block is empty or has a line longer than ``MAX_WIDTH``."""
        buf = np.frombuffer(block, np.uint8)
        ends = np.flatnonzero(buf == 10)
        if buf.size and buf[-1] != 10:
            ends = np.append(ends, buf.size)
        if ends.size == 0:
            return None
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        length = ends - starts
        if int(length.max()) + 1 > MAX_WIDTH:
            return None
        pad = np.zeros(cls._FRONT + buf.size + MAX_WIDTH + 1, np.uint8)
        pad[: cls._FRONT] = 32
        pad[cls._FRONT : cls._FRONT + buf.size] = buf
        pad[cls._FRONT + buf.size] = 10
        return cls(pad, starts, length)

    @property
    def m(self) -> np.ndarray:
        if self._m is None:
            self._m = self.window(0, int(self.length.max()) + 1)
        return self._m

    def window(self, offset: np.ndarray | int, width: int) -> np.ndarray:
        """``(n, width)`` bytes starting at each line's ``offset`` (``offset`` >= -16; before
        the block's start and after its end the bytes read as blanks and a newline)."""
        if width > MAX_WIDTH:
            raise ValueError(f"window wider than {MAX_WIDTH}")
        return gather_rows(self._pad, self._starts + offset + self._FRONT, width)

    def __len__(self) -> int:
        return int(self.length.size)

    def line(self, i: int, offset: int = 0) -> bytes:
        """Line ``i`` from column ``offset`` to its end, as bytes."""
        at = int(self._starts[i]) + self._FRONT
        return bytes(self._pad[at + offset : at + int(self.length[i])])

    def at(self, pos: np.ndarray) -> np.ndarray:
        """The byte at a per-line position."""
        return self._pad[self._starts + np.clip(pos, -self._FRONT, MAX_WIDTH) + self._FRONT]

    def same(self, j: int, char: str) -> bool:
        return bool((self.m[:, j] == ord(char)).all())


def decimal_columns(m: np.ndarray) -> tuple[np.ndarray, bool]:
    """The digits in every column of ``m`` as one integer per row (up to 15 digits: exact in
    float64, so the sum runs as one BLAS product), and whether every byte is a digit."""
    if m.shape[1] > 15:
        raise ValueError("at most 15 digits at once")
    if m.shape[1] == 0:
        return np.zeros(m.shape[0], np.int64), True
    v = _DIGIT_F[m] @ (10.0 ** np.arange(m.shape[1] - 1, -1, -1))
    if np.isnan(v).any():  # a non-digit (NaN propagates through the sum)
        return np.zeros(m.shape[0], np.int64), False
    return v.astype(np.int64), True


_U = np.uint64


def digits_to_int(parts: list[np.ndarray]) -> tuple[np.ndarray, bool]:
    """Up to 16 decimal digits spread over column blocks (``[seconds, fraction]``) as one
    integer per row, parsed eight digits at a time inside uint64 words (SWAR)."""
    n = parts[0].shape[0]
    total = sum(p.shape[1] for p in parts)
    if total > 16:
        raise ValueError("at most 16 digits at once")
    digits = np.full((n, 16), 48, np.uint8)
    pos = 16 - total
    for p in parts:
        digits[:, pos : pos + p.shape[1]] = p
        pos += p.shape[1]
    u = digits.view("<u8")
    f0, three = _U(0xF0F0F0F0F0F0F0F0), _U(0x3030303030303030)
    if not (((u & f0) == three) & (((u + _U(0x0606060606060606)) & f0) == three)).all():
        return np.zeros(n, np.int64), False
    v = u - three
    v = v * _U(10) + (v >> _U(8))
    mask = _U(0x000000FF000000FF)
    v = (
        (v & mask) * _U(100 + (1000000 << 32)) + ((v >> _U(16)) & mask) * _U(1 + (10000 << 32))
    ) >> _U(32)
    v &= _U(0xFFFFFFFF)
    return (v[:, 0].astype(np.int64) * 100_000_000 + v[:, 1].astype(np.int64)), True


def is_digit(c: np.ndarray) -> np.ndarray:
    """Elementwise: is the byte an ASCII decimal digit."""
    return (c - 48) < 10


def hex_value(c: np.ndarray) -> np.ndarray:
    """The value of ASCII hex digits (meaningless for other bytes)."""
    return (c & 15) + 9 * (c >> 6)


def is_hex(c: np.ndarray) -> np.ndarray:
    """Elementwise: is the byte an ASCII hex digit (either case)."""
    return ((c - 48) < 10) | (((c | 0x20) - 97) < 6)


def hex_run(chars: np.ndarray, nchars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hex text in the rows of ``chars`` to bytes (``(n, width // 2)``; past a row's length the
    bytes are meaningless), and per row whether its first ``nchars`` characters are hex and the
    next is not (``chars`` must hold one column more than the longest text)."""
    first_bad = np.argmin(is_hex(chars), axis=1)
    c = chars[:, : chars.shape[1] - 1]
    nib = (c & 15) + 9 * (c >> 6)
    return (nib[:, 0::2] << 4) | nib[:, 1::2], first_bad == nchars


def hex_columns(m: np.ndarray) -> tuple[np.ndarray, bool]:
    """The hex digits in every column of ``m`` (at most 8) as one uint32 per row."""
    nib = HEX_LUT[m]
    if nib.size and int(nib.max()) > 15:
        return np.zeros(m.shape[0], np.uint32), False
    v = np.zeros(m.shape[0], np.uint32)
    for k in range(m.shape[1]):
        v = (v << np.uint32(4)) | nib[:, k]
    return v, True
