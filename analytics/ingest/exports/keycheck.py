"""Summarise a clean long Parquet file in one streaming pass, without DuckDB passes.

Exports are almost always written in time order per vehicle and signal. Streaming the key
and value columns batch by batch, this pass proves that times strictly increase within every
(vehicle, signal) series (so no key repeats) and collects per series the row count, value
bounds and time bounds — everything the loader's first validation pass would compute. Any
irregularity (unsorted series, missing or pre-2000 times, non-finite values, rows without a
vehicle) answers ``None``: the loader then runs its exact passes in DuckDB. Memory is bounded
by one batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["batches_summary", "hashed_keys_increasing", "parquet_summary"]

_BATCH = 1 << 20
_EARLIEST_US = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
_TO_US = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": None}


def _local_codes(column) -> tuple[np.ndarray, list]:  # type: ignore[no-untyped-def]
    """Per-batch dictionary codes and the dictionary's values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    enc = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    return enc.indices.to_numpy(zero_copy_only=False), enc.dictionary.to_pylist()


def _times_us(col, ts_type) -> np.ndarray | None:  # type: ignore[no-untyped-def]
    import pyarrow as pa

    if pa.types.is_timestamp(ts_type):
        scale = _TO_US[ts_type.unit]
        raw = col.cast(pa.int64()).to_numpy(zero_copy_only=False)
        return raw // 1000 if scale is None else raw * scale
    if pa.types.is_integer(ts_type):  # epoch milliseconds
        return col.cast(pa.int64()).to_numpy(zero_copy_only=False) * 1000
    return None


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat()


def parquet_summary(
    path: Path, has_vehicle: bool, vehicle_id: str | None
) -> list[tuple[Any, ...]] | None:
    """Rows ``(vehicle, signal, '', n, 0, 0, vmin, vmax, t0, t1)`` or None (not provably clean)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path, read_dictionary=["vehicle_id", "signal"])
        schema = pf.schema_arrow
        ts_type = schema.field("ts").type
        if not (pa.types.is_timestamp(ts_type) or pa.types.is_integer(ts_type)):
            return None  # text times: several spellings of one instant are possible
        if not (
            pa.types.is_floating(schema.field("value").type)
            or pa.types.is_integer(schema.field("value").type)
        ):
            return None
        cols = ["signal", "ts", "value"] + (["vehicle_id"] if has_vehicle else [])
        return batches_summary(pf.iter_batches(batch_size=_BATCH, columns=cols), vehicle_id)
    except Exception:  # unreadable here: the exact passes in DuckDB decide
        return None


def batches_summary(batches: Iterable[Any], vehicle_id: str | None) -> list[tuple[Any, ...]] | None:
    """:func:`parquet_summary` over Arrow record batches ``signal, ts, value[, vehicle_id]``."""
    import pyarrow as pa

    acc: dict[tuple[str, str], list] = {}
    for batch in batches:
        names = batch.schema.names
        has_vehicle = "vehicle_id" in names
        if any(batch.column(c).null_count for c in ("signal", "ts", "value")):
            return None
        ts = _times_us(batch.column("ts"), batch.schema.field("ts").type)
        value = batch.column("value").cast(pa.float64()).to_numpy(zero_copy_only=False)
        if ts is None or len(ts) == 0:
            if ts is None:
                return None
            continue
        if ts.min() < _EARLIEST_US or not np.isfinite(value).all():
            return None
        s_idx, s_names = _local_codes(batch.column("signal"))
        if has_vehicle:
            vcol = batch.column("vehicle_id")
            if vcol.null_count:
                if vehicle_id is None:
                    return None
                vcol = vcol.cast(pa.string()).fill_null(vehicle_id)
            v_idx, v_names = _local_codes(vcol)
        else:
            if vehicle_id is None:
                return None
            v_idx, v_names = np.zeros(len(ts), dtype=np.int64), [vehicle_id]
        if "" in v_names or "" in s_names:
            return None
        if not _accumulate(acc, v_idx, v_names, s_idx, s_names, ts, value):
            return None
    return [
        (veh, sig, "", int(n), 0, 0, float(lo), float(hi), _iso(t0), _iso(t1))
        for (veh, sig), (n, lo, hi, t0, t1) in acc.items()
    ]


def _accumulate(
    acc: dict,
    v_idx: np.ndarray,
    v_names: list,
    s_idx: np.ndarray,
    s_names: list,
    ts: np.ndarray,
    value: np.ndarray,
) -> bool:
    """Add one batch to the per-series summary; False when a series is not strictly increasing."""
    key = v_idx.astype(np.int64) * len(s_names) + s_idx
    if key.max() < 32_767:
        key = key.astype(np.int16)  # numpy sorts 16-bit keys by radix
    order = np.argsort(key, kind="stable")
    k, t, v = key[order], ts[order], value[order]
    same = k[1:] == k[:-1]
    if np.any((np.diff(t) <= 0) & same):
        return False
    starts = np.flatnonzero(np.r_[True, ~same])
    ends = np.r_[starts[1:], len(k)] - 1
    vmin = np.minimum.reduceat(v, starts)
    vmax = np.maximum.reduceat(v, starts)
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        kk = int(k[a])
        name = (v_names[kk // len(s_names)], s_names[kk % len(s_names)])
        prev = acc.get(name)
        if prev is None:
            acc[name] = [b - a + 1, vmin[i], vmax[i], int(t[a]), int(t[b])]
            continue
        if t[a] <= prev[4]:
            return False
        prev[0] += b - a + 1
        prev[1], prev[2] = min(prev[1], vmin[i]), max(prev[2], vmax[i])
        prev[4] = int(t[b])
    return True


def hashed_keys_increasing(con: Any, table: str) -> bool | None:
    """True when, in ``table``'s row order, times strictly increase per (vehicle, signal).

    Streams two numbers per row out of DuckDB (a 64-bit hash of vehicle and signal, and the
    time in microseconds); rows without a time are ignored (they are never stored). ``None``
    when the order does not prove uniqueness: the loader then counts duplicates exactly.
    """
    reader = con.sql(
        f"SELECT hash(vehicle_id, signal) AS k, epoch_us(ts) AS t FROM {table} WHERE ts IS NOT NULL"
    ).to_arrow_reader(_BATCH)
    last: dict[int, int] = {}
    for batch in reader:
        keys = batch.column("k").to_numpy(zero_copy_only=False)
        ts = batch.column("t").to_numpy(zero_copy_only=False)
        if len(keys) == 0:
            continue
        uniq, code = np.unique(keys, return_inverse=True)
        if len(uniq) < 32_767:
            code = code.astype(np.int16)  # radix sort below
        order = np.argsort(code, kind="stable")
        k, t = code[order], ts[order]
        same = k[1:] == k[:-1]
        if np.any((np.diff(t) <= 0) & same):
            return None
        starts = np.flatnonzero(np.r_[True, ~same])
        ends = np.r_[starts[1:], len(k)] - 1
        for a, b in zip(starts, ends, strict=True):
            h = int(uniq[k[a]])
            prev = last.get(h)
            if prev is not None and t[a] <= prev:
                return None
            last[h] = int(t[b])
    return True
