"""Bit-field extraction and insertion over many payloads at once (numpy, no per-frame loops).

A payload matrix ``(n, width)`` with ``width`` a multiple of 8 is viewed as ``width / 8``
little-endian 64-bit words per frame. A signal occupies at most two adjacent words, so any
signal of up to 64 bits is two shifts, an OR and a mask away — the same for every frame.

Bit numbering follows the DBC: little-endian (Intel) signals start at their least significant
bit, byte ``i`` bit ``j`` being bit ``8*i + j``; big-endian (Motorola) signals start at their
most significant bit in the "sawtooth" numbering, which we turn into a linear index where bit
0 is the most significant bit of byte 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BitField", "Words", "insert_raw", "pad_width"]

_U64 = np.uint64


def pad_width(nbytes: int) -> int:
    """Width in bytes (a multiple of 8, at least 8) holding ``nbytes``."""
    return max(8, (nbytes + 7) // 8 * 8)


@dataclass(frozen=True)
class BitField:
    """Where a signal's raw bits live: byte order, first bit (LE: lsb, BE: linear msb), length."""

    little_endian: bool
    first: int
    length: int

    @classmethod
    def from_dbc(cls, start: int, length: int, little_endian: bool) -> BitField:
        if little_endian:
            return cls(True, start, length)
        return cls(False, (start // 8) * 8 + (7 - start % 8), length)

    @property
    def last_byte(self) -> int:
        """Index of the last payload byte the signal touches."""
        if self.little_endian:
            return (self.first + self.length - 1) // 8
        return (self.first + self.length - 1) // 8

    @property
    def first_byte(self) -> int:
        return self.first // 8


class Words:
    """Lazily built 64-bit words of a payload matrix (LE words, and byte-swapped BE words)."""

    def __init__(self, data: np.ndarray) -> None:
        if data.shape[1] % 8:
            data = np.pad(data, ((0, 0), (0, 8 - data.shape[1] % 8)))
        self.data = np.ascontiguousarray(data)
        self.n = data.shape[0]
        self._le = self.data.view("<u8")
        self._be: dict[int, np.ndarray] = {}

    @classmethod
    def from_le(cls, le_words: np.ndarray) -> Words:
        """Wrap an ``(n, k)`` uint64 matrix of little-endian payload words (no copy)."""
        self = cls.__new__(cls)
        self.data = le_words
        self.n = le_words.shape[0]
        self._le = le_words
        self._be = {}
        return self

    def le(self, k: int) -> np.ndarray:
        if k >= self._le.shape[1]:
            return np.zeros(self.n, np.uint64)
        return self._le[:, k]

    def be(self, k: int) -> np.ndarray:
        w = self._be.get(k)
        if w is None:
            w = self.le(k).byteswap()
            self._be[k] = w
        return w

    def raw(self, f: BitField) -> np.ndarray:
        """Unsigned raw values (uint64) of the field for every frame."""
        length = f.length
        mask = _U64((1 << length) - 1) if length < 64 else _U64(0xFFFFFFFFFFFFFFFF)
        k, s = divmod(f.first, 64)
        if f.little_endian:
            v = self.le(k) >> _U64(s) if s else self.le(k).copy()
            if s and s + length > 64:
                v |= self.le(k + 1) << _U64(64 - s)
        else:
            end = f.first + length - 1
            if end < 64 * (k + 1):
                sh = 64 * (k + 1) - 1 - end
                v = self.be(k) >> _U64(sh) if sh else self.be(k).copy()
            else:
                r = end - 64 * (k + 1) + 1
                v = (self.be(k) << _U64(r)) | (self.be(k + 1) >> _U64(64 - r))
        if length < 64:
            v &= mask
        return v


def insert_raw(words: np.ndarray, f: BitField, raw: np.ndarray) -> None:
    """OR unsigned raw values into a ``(n, width/8)`` LE-word matrix (the encoder's inverse)."""
    length = f.length
    raw = raw.astype(np.uint64)
    if length < 64:
        raw &= _U64((1 << length) - 1)
    k, s = divmod(f.first, 64)
    if f.little_endian:
        words[:, k] |= raw << _U64(s) if s else raw
        if s and s + length > 64:
            words[:, k + 1] |= raw >> _U64(64 - s)
        return
    end = f.first + length - 1
    if end < 64 * (k + 1):
        sh = 64 * (k + 1) - 1 - end
        words[:, k] |= (raw << _U64(sh) if sh else raw).byteswap()
    else:
        r = end - 64 * (k + 1) + 1
        words[:, k] |= (raw >> _U64(r)).byteswap()
        words[:, k + 1] |= (raw << _U64(64 - r)).byteswap()
