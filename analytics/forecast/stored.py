"""Forecast inputs from the tables the forecast stage stored, without the raw ``signals``.

:func:`analytics.forecast.api.prepare` computes degradation features from ``signals`` and
``sessions``; the stage stores them (``degradation_features``, ``degradation_exposure``,
``vehicle_cohorts``). A reader that does not want to recompute them (a notebook on the
serving snapshot, say) or has no ``signals`` at hand gets the same
:class:`~analytics.forecast.api.FleetData` from those tables, so it can refit, back-test and
run what-if scenarios read-only, in a fraction of the time.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from analytics.errors import ForecastError
from analytics.forecast.api import FleetData, read_soh
from analytics.forecast.design import build_histories
from analytics.forecast.features import vehicle_meta
from analytics.warehouse.db import Warehouse

__all__ = ["STORED_TABLES", "fleet_data_from_tables"]

STORED_TABLES = ("degradation_features", "degradation_exposure", "vehicle_cohorts")


def fleet_data_from_tables(wh: Warehouse, vehicle_ids: Sequence[str] | None = None) -> FleetData:
    """The forecast inputs of ``vehicle_ids`` (default: every vehicle with features) as stored
    by the last ``analytics forecast`` run."""
    missing = [t for t in STORED_TABLES if t not in wh.table_names()]
    if missing:
        raise ForecastError(
            f"the warehouse has no {', '.join(missing)}; run `analytics forecast` first"
        )
    if vehicle_ids is None:
        vids = wh.sql("SELECT DISTINCT vehicle_id FROM degradation_features ORDER BY 1")[
            "vehicle_id"
        ].to_list()
    else:
        vids = list(vehicle_ids)
    if not vids:
        raise ForecastError("no vehicle has stored degradation features; run `analytics forecast`")
    params = {"vids": vids}

    def table(name: str, order: str) -> pl.DataFrame:
        return wh.sql(
            f"SELECT * FROM {name} WHERE list_contains($vids, vehicle_id) ORDER BY {order}", params
        )

    features = table("degradation_features", "vehicle_id, date")
    exposure = table("degradation_exposure", "vehicle_id, date")
    cohorts = table("vehicle_cohorts", "vehicle_id")
    meta = vehicle_meta(wh, vids)
    return FleetData(
        features,
        exposure,
        meta,
        cohorts,
        read_soh(wh, vids),
        build_histories(features, exposure, meta),
    )
