"""Vehicle metadata as CSV (reader target ``vehicles``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from analytics.errors import FormatError
from analytics.ingest.base import ReadContext, open_text, strip_gz
from analytics.ingest.exports.vehicle_meta import normalise_vehicles

__all__ = ["READER", "VehiclesCsvReader"]


class VehiclesCsvReader:
    """``vehicles.csv``: one row per vehicle, header as in docs/exports.md."""

    format = "vehicles_csv"
    target = "vehicles"

    def detect(self, path: Path, head: bytes) -> bool:
        if not strip_gz(path).endswith(".csv"):
            return False
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff")
        cols = {c.strip().strip('"') for c in first.strip().split(",")}
        return {"vehicle_id", "make", "model"} <= cols and "signal" not in cols

    def read(self, path: Path, ctx: ReadContext) -> Iterator[pl.DataFrame]:
        try:
            with open_text(path) as fh:
                raw = pl.read_csv(fh.read().encode("utf-8"), infer_schema=False)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise FormatError(f"cannot read vehicle metadata {path}: {exc}") from exc
        raw = raw.rename({c: c.strip().lstrip("\ufeff") for c in raw.columns})
        yield normalise_vehicles(raw, ctx, str(path))


READER = VehiclesCsvReader()
