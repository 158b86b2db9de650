"""Shared pieces of the bulk log parsers: block reading, hex payloads, channel tables."""

from __future__ import annotations

import gzip
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO

import numpy as np
import polars as pl
import pyarrow as pa

from analytics.can.frames import Frames
from analytics.ingest.issues import IssueCollector

__all__ = [
    "BLOCK_BYTES",
    "ChannelTable",
    "ParseStats",
    "binary_to_matrix",
    "hex_to_matrix",
    "hex_to_valid",
    "iter_text_blocks",
    "open_binary",
    "parse_text_blocks",
    "text_lines",
]

BLOCK_BYTES = 8 << 20  # text parsed per block: bounded memory on multi-GB logs


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, transparently decompressing gzip."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def iter_text_blocks(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[bytes, int]]:
    """Whole lines in blocks of about ``block_bytes``; yields (block, first line number)."""
    line_no = 1
    tail = b""
    with open_binary(path) as fh:
        while True:
            try:
                buf = fh.read(block_bytes)
            except (EOFError, OSError) as exc:  # truncated gzip: keep what was read
                buf = b""
                truncated = exc
            else:
                truncated = None
            if not buf:
                if tail:
                    yield tail, line_no
                if truncated is not None:
                    raise EOFError(str(truncated))
                return
            buf = tail + buf
            cut = buf.rfind(b"\n")
            if cut < 0:
                tail = buf
                continue
            block, tail = buf[: cut + 1], buf[cut + 1 :]
            yield block, line_no
            line_no += int(np.count_nonzero(np.frombuffer(block, np.uint8) == 10))


BlockParser = Callable[[bytes, int, "ParseStats"], "Frames | None"]


def parse_text_blocks(
    path: Path, parse: BlockParser, stats: ParseStats, workers: int | None = None
) -> Iterator[Frames]:
    """Parse a text log's blocks on several threads and yield their frames in file order.

    ``parse(block, first_line, block_stats)`` must depend on nothing but its arguments (and a
    thread-safe ``ChannelTable``). Each block reports into its own ``ParseStats``, merged into
    ``stats`` in file order, so counts and first examples do not depend on thread timing. A
    truncated gzip stream keeps every block read before the cut and is noted as an error.
    """
    workers = workers or min(2, os.cpu_count() or 1)
    pending: deque[tuple[Future, ParseStats]] = deque()

    def done() -> Frames | None:
        fut, local = pending.popleft()
        frames = fut.result()
        stats.merge(local)
        return frames

    with ThreadPoolExecutor(workers, thread_name_prefix="parse") as pool:
        try:
            for block, line0 in iter_text_blocks(path):
                local = ParseStats(IssueCollector())
                pending.append((pool.submit(parse, block, line0, local), local))
                while len(pending) > workers:
                    frames = done()
                    if frames is not None and len(frames):
                        yield frames
        except EOFError as exc:
            truncated: EOFError | None = exc
        else:
            truncated = None
        while pending:
            frames = done()
            if frames is not None and len(frames):
                yield frames
    if truncated is not None:
        stats.note("truncated_file", f"compressed stream ends early: {truncated}", severity="error")


def text_lines(block: bytes) -> pl.DataFrame:
    """The non-blank lines of a text block: ``row`` (0-based line number in the block) and
    ``l`` (the line, trailing ``\\r`` removed, invalid UTF-8 replaced).

    Unlike a CSV reader, this never guesses a column count from the first line, so a short or
    corrupt line at the start of a block is just one more line to judge.
    """
    text = block.decode("utf-8", "replace")
    lines = pl.Series("l", text.split("\n") if text else [], pl.String)
    if text.endswith("\n"):
        lines = lines.head(len(lines) - 1)
    df = pl.DataFrame({"l": lines}).with_row_index("row")
    return df.with_columns(pl.col("l").str.strip_suffix("\r")).filter(
        pl.col("l").str.strip_chars() != ""
    )


def hex_to_matrix(hex_expr: pl.Expr, df: pl.DataFrame) -> tuple[np.ndarray | None, np.ndarray]:
    """Hex payload strings to a ``(n, width)`` matrix: pad to one width, decode, reshape.

    Padding in polars keeps the byte copy a single reshape instead of a scatter.
    """
    h = df.select(hex_expr.alias("h"), hex_expr.str.len_bytes().alias("n"))
    lengths = (h["n"].to_numpy() // 2).astype(np.int64)
    width = max(8, int(lengths.max()) if lengths.size else 8)
    width = 8 if width <= 8 else (64 if width > 32 else (32 if width > 16 else 16))
    padded = h.select(pl.col("h").str.pad_end(2 * width, "0").str.decode("hex", strict=False))
    if padded["h"].null_count():
        return None, lengths.astype(np.uint8)
    return binary_to_matrix(padded["h"], width)[0], lengths.astype(np.uint8)


def hex_to_valid(hex_col: pl.Series) -> np.ndarray:
    """True where a hex string decodes."""
    return hex_col.str.decode("hex", strict=False).is_not_null().to_numpy()


def binary_to_matrix(col: pl.Series, width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A polars Binary column to a zero-padded ``(n, width)`` uint8 matrix plus lengths."""
    arr = col.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_binary())
    n = len(arr)
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    lengths = np.diff(offsets)
    w = width or max(8, int(lengths.max()) if n else 8)
    lengths = np.minimum(lengths, w)
    if n and data_buf is not None and lengths.min() == lengths.max() == w:
        flat = np.frombuffer(data_buf, dtype=np.uint8, count=n * w, offset=int(offsets[0]))
        return flat.reshape(n, w).copy(), lengths.astype(np.uint8)
    out = np.zeros((n, w), np.uint8)
    if n and data_buf is not None:
        flat = np.frombuffer(data_buf, dtype=np.uint8)
        total = int(lengths.sum())
        rows = np.repeat(np.arange(n), lengths)
        starts = np.repeat(offsets[:-1], lengths)
        pos_in_row = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        out[rows, pos_in_row] = flat[starts + pos_in_row]
    return out, lengths.astype(np.uint8)


class ChannelTable:
    """Stable channel codes across the chunks of one file."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self._lock = threading.Lock()  # blocks of one file are parsed on several threads

    def code(self, name: str) -> int:
        """The code of one channel name (registered on first sight)."""
        return self._register(name)

    def _register(self, name: str) -> int:
        code = self._index.get(name)
        if code is None:
            with self._lock:
                code = self._index.get(name)
                if code is None:  # the name first: a code is never without one
                    code = len(self.names)
                    self.names.append(name)
                    self._index[name] = code
        return code

    def codes(self, names: pl.Series) -> np.ndarray:
        """Channel names to uint16 codes (new names get new codes)."""
        uniq = names.unique().to_list()
        lut = [self._register(str(u)) for u in uniq]
        return names.replace_strict(uniq, lut, return_dtype=pl.UInt16).to_numpy()

    def codes_int(self, numbers: np.ndarray) -> np.ndarray:
        """Numeric channels (``1``, ``2``...) to codes, without leaving numpy."""
        uniq = np.unique(numbers)
        lut = np.array([self._register(str(int(u))) for u in uniq], np.uint16)
        return lut[np.searchsorted(uniq, numbers)]

    def frames(
        self,
        ts_us: np.ndarray,
        chan: np.ndarray,
        can_id: np.ndarray,
        ext: np.ndarray,
        data: np.ndarray,
        lengths: np.ndarray,
    ) -> Frames:
        return Frames(
            ts_us.astype(np.int64),
            chan,
            self.names,
            can_id.astype(np.uint32),
            ext.astype(bool),
            lengths.astype(np.uint8),
            data,
        )


class ParseStats:
    """What a parser skipped (error/remote frames, malformed lines, truncation), by reason."""

    def __init__(self, issues: IssueCollector) -> None:
        self.issues = issues
        self.skipped = 0

    def skip(
        self,
        reason: str,
        count: int,
        example: str | None = None,
        location: str | None = None,
        severity: str = "warning",
        detail: str | None = None,
    ) -> None:
        if count <= 0:
            return
        self.skipped += count
        self.issues.add(
            reason,
            count=count,
            example=example,
            location=location,
            severity=severity,
            detail=detail,
        )

    def merge(self, other: ParseStats) -> None:
        """Add what another (per-block) ``ParseStats`` recorded."""
        self.issues.extend(other.issues.items())
        self.skipped += other.skipped

    def note(
        self,
        reason: str,
        example: str | None = None,
        severity: str = "warning",
        count: int = 1,
        detail: str | None = None,
    ) -> None:
        """Record a problem that is not a count of skipped frames (e.g. a truncated file)."""
        self.issues.add(reason, count=count, example=example, severity=severity, detail=detail)
