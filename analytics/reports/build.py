"""Assemble a report (finance, insurance or utility) for one vehicle from the warehouse alone."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from analytics.errors import ReportError
from analytics.reports.canonical import fingerprint, normalise
from analytics.reports.data import TableReader, VehicleData, last_data_date, load_vehicle_data
from analytics.reports.params import ReportParams
from analytics.reports.privacy import pseudonymise, redact_identifiers
from analytics.reports.sections import common, finance, insurance, utility
from analytics.reports.valuation import book_value, residual_adjustment
from analytics.warehouse.db import Warehouse

__all__ = ["KINDS", "SCHEMA_ID", "build_report", "resolve_vehicle"]

KINDS = ("finance", "insurance", "utility")
SCHEMA_ID = "analytics-report/1"
TITLES = {
    "finance": "Battery health certificate and lender report",
    "insurance": "Battery risk report for insurers",
    "utility": "Charging flexibility report for utilities",
}


def resolve_vehicle(reader: TableReader, vehicle: str, key: bytes | None = None) -> str:
    """The vehicle id for ``vehicle`` (an id, a VIN, or a pseudonym when the key is known)."""
    present = [
        f"SELECT 1 FROM {t} WHERE vehicle_id = $v"
        for t in ("vehicles", "soh")
        if reader.has(t, "vehicle_id")
    ]
    if (
        present
        and reader.wh.con.sql(
            " UNION ALL ".join(present) + " LIMIT 1", params={"v": vehicle}
        ).fetchall()
    ):
        return vehicle
    ids: set[str] = set()
    for table in ("vehicles", "soh", "sessions"):
        if reader.has(table, "vehicle_id"):
            ids |= {
                r[0]
                for r in reader.wh.con.sql(f"SELECT DISTINCT vehicle_id FROM {table}").fetchall()
            }
    if vehicle in ids:
        return vehicle
    if reader.has("vehicles", "vin"):
        row = reader.wh.con.sql(
            "SELECT vehicle_id FROM vehicles WHERE upper(vin) = upper($v)", params={"v": vehicle}
        ).fetchall()
        if row:
            return row[0][0]
    if key is not None and vehicle.startswith("veh-"):
        for vid in ids:
            if pseudonymise(vid, key) == vehicle:
                return vid
    row = reader.wh.con.sql(
        "SELECT 1 FROM signals WHERE vehicle_id = $v LIMIT 1", params={"v": vehicle}
    ).fetchall()
    if row:
        return vehicle
    sample = ", ".join(sorted(ids)[:8]) or "none"
    raise ReportError(
        f"unknown vehicle {vehicle!r}; the warehouse knows {len(ids)} vehicles (e.g. {sample}); see `analytics info`"
    )


def _rows(frame: pl.DataFrame, cols: list[str]) -> list[list[Any]]:
    """Rows as lists, dates as ISO strings (column-wise: fast for long series)."""
    data = [frame[c].to_list() for c in cols]
    data[0] = [d.isoformat() for d in data[0]]
    return [list(r) for r in zip(*data, strict=True)]


def _series(data: VehicleData) -> dict[str, Any]:
    """Weekly SoH history and the monthly forecast, for the charts."""
    soh = data.soh.filter(pl.col("soh_pct").is_not_null()) if data.soh.height else data.soh
    soh_cols = ["date", "soh_pct", "soh_low_pct", "soh_high_pct", "energy_soh_pct"]
    fc_cols = ["date", "soh_pct", "soh_low_pct", "soh_high_pct"]
    out: dict[str, Any] = {"soh_weekly": [], "forecast_monthly": []}
    if soh.height:
        keep = soh.with_row_index("i").filter(
            (pl.col("i") % 7 == 0) | (pl.col("i") == soh.height - 1)
        )
        out["soh_weekly"] = _rows(keep, soh_cols)
    fc = finance._baseline(data.forecasts)
    if fc.height:
        out["forecast_monthly"] = _rows(fc.sort("date"), fc_cols)
    out["columns"] = {"soh_weekly": soh_cols, "forecast_monthly": fc_cols}
    return out


def _provenance(
    wh: Warehouse, data: VehicleData, idents: list[str | None], alias: str, extra: dict[str, Any]
) -> dict[str, Any]:
    from analytics import __version__

    src = data.sources
    files = []
    for r in src.iter_rows(named=True) if src.height else []:
        name = redact_identifiers(r["path"].replace("\\", "/").split("/")[-1], idents, alias)
        files.append(
            {"file": name, "sha256": r["sha256"], "format": r["format"], "rows": r["rows_written"]}
        )
    digest = hashlib.sha256("\n".join(sorted(f["sha256"] for f in files)).encode()).hexdigest()
    runs = []
    for r in data.runs.iter_rows(named=True) if data.runs.height else []:
        try:
            p = json.loads(redact_identifiers(r["parameters"] or "{}", idents, alias))
        except ValueError:
            p = {"raw": r["parameters"]}
        if isinstance(p, dict):
            p.pop("vehicles", None)
        runs.append(
            {
                "stage": r["stage"],
                "date": r["started_at"].date().isoformat() if r["started_at"] else None,
                "package_version": r["package_version"],
                "parameters": p,
            }
        )
    methods = {}
    if data.soh.height and data.soh["method"].drop_nulls().len():
        methods["soh"] = data.soh["method"].drop_nulls()[-1]
    if data.forecasts.height and "model" in data.forecasts.columns:
        methods["forecast"] = data.forecasts["model"][0]
    st = data.table("charging_stress")
    if st.height and "method" in st.columns:
        methods["treatment_score"] = st["method"][0]
    return {
        "package": {"name": "ev-battery-analytics", "version": __version__},
        "schema_version": _schema_version(wh),
        "as_of": data.as_of.isoformat(),
        "sources": files[:200],
        "sources_count": len(files),
        "sources_digest_sha256": digest,
        "pipeline_runs": runs,
        "methods": methods,
        **extra,
    }


def _schema_version(wh: Warehouse) -> int | None:
    rows = wh.con.sql("SELECT max(version) FROM schema_version").fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def build_report(
    wh: Warehouse,
    vehicle: str,
    kind: str,
    *,
    as_of: date | None = None,
    params: ReportParams | None = None,
    key: bytes,
    key_source: str = "",
    include_location: bool = False,
    reveal_vin: bool = False,
    issued_on: date | None = None,
) -> dict[str, Any]:
    """Build the report as a JSON-ready dict with its fingerprint."""
    if kind not in KINDS:
        raise ReportError(f"unknown report kind {kind!r}; choose one of {', '.join(KINDS)}")
    params = params or ReportParams()
    reader = TableReader(wh)
    vid = resolve_vehicle(reader, vehicle, key)
    if as_of is None:
        as_of = last_data_date(reader, vid)
        if as_of is None:
            raise ReportError(
                f"vehicle {vehicle!r} has no data yet; ingest its telemetry and run the pipeline"
            )
    data = load_vehicle_data(reader, vid, as_of)
    v = data.vehicle
    alias = vid if reveal_vin else pseudonymise(vid, key)
    idents = [vid, v.get("vin")]
    ctx = common.vehicle_context(data)
    soh = common.state_of_health(data)
    anomalies, events = insurance.anomalies(data, params)
    integ = insurance.integrity(data)
    suff = common.sufficiency(data, soh, len(integ["flags"]))
    bv, _ = book_value(params, common.finite(v.get("price_new_eur")), ctx["age_years"])
    sections: dict[str, Any] = {"state_of_health": soh}
    extra: dict[str, Any] = {}
    if kind == "finance":
        cohort = pl.DataFrame()
        if reader.has("soh") and reader.has("sessions") and reader.has("vehicles"):
            model = v.get("model")
            cohort = reader.named(
                "cohort.sql",
                {
                    "asof": as_of,
                    "end": as_of + timedelta(days=1),
                    "model": model,
                    "chem": None if model else v.get("chemistry"),
                },
            )
        pct = finance.cohort_percentile(cohort, data, params, soh, ctx)
        loan_end = finance.loan_end_date(params, as_of)
        valuation, vnotes = residual_adjustment(
            params,
            soh=soh.get("capacity_soh"),
            cohort_median_pct=pct.get("cohort_median_soh_pct"),
            price_new_eur=common.finite(v.get("price_new_eur")),
            age_years=ctx["age_years"],
        )
        sections |= {
            "usable_range": finance.usable_range(data, params, soh),
            "cohort": pct,
            "degradation_rate": finance.degradation_rate(data),
            "forecast_at_loan_end": finance.forecast_at(data, loan_end, "the loan end"),
            "milestones": finance.milestones(data),
            "residual_value": {
                "status": "ok"
                if valuation["adjustment_eur"]
                else ("partial" if valuation["adjustment_pct"] else "missing"),
                "notes": vnotes,
                **valuation,
            },
        }
    elif kind == "insurance":
        fleet = pl.DataFrame()
        if reader.has("charging_stress", "treatment_score", "period"):
            fleet = reader.frame(
                "SELECT vehicle_id, treatment_score FROM charging_stress WHERE period = 'all'"
            )
        sections |= {
            "treatment": insurance.treatment(data, fleet),
            "anomalies": anomalies,
            "data_integrity": integ,
            "replacement_exposure": insurance.replacement_exposure(data, params, ctx),
        }
    else:
        value_per_point = None if bv is None else bv * params.value_per_soh_point_pct / 100
        managed, tariff_info = utility.managed_charging(data, params, value_per_point)
        if tariff_info:
            extra["tariff"] = tariff_info
        sections |= {
            "archetypes": utility.archetypes(data),
            "plug_in_windows": utility.plug_windows(data, params),
            "flexibility": utility.flexibility(data, params),
            "managed_charging": managed,
        }
    vehicle_block = {
        "id": alias,
        "id_scheme": "vehicle_id" if reveal_vin else "hmac-sha256 pseudonym",
        "key_id": None if reveal_vin else hashlib.sha256(key).hexdigest()[:12],
        "make": v.get("make"),
        "model": v.get("model"),
        "model_year": v.get("model_year"),
        "chemistry": v.get("chemistry"),
        "nominal_capacity_kwh": common.finite(v.get("nominal_capacity_kwh")),
        "usable_capacity_kwh": common.finite(v.get("usable_capacity_kwh")),
        **ctx,
    }
    if reveal_vin:
        vehicle_block["vin"] = v.get("vin")
    if include_location:
        sections["location_trace"] = _location_trace(data)
    report: dict[str, Any] = {
        "report_schema": SCHEMA_ID,
        "kind": kind,
        "title": TITLES[kind],
        "as_of": as_of.isoformat(),
        "issued_on": (issued_on or datetime.now(UTC).date()).isoformat(),
        "vehicle": vehicle_block,
        "request": {
            "kind": kind,
            "as_of": as_of.isoformat(),
            "params": params.to_dict(),
            "include_location": include_location,
            "reveal_vin": reveal_vin,
        },
        "data_sufficiency": suff,
        "battery_passport": common.battery_passport(data, soh, events),
        "sections": sections,
        "series": _series(data),
        "privacy": {
            "vehicle_identifier": "revealed on request"
            if reveal_vin
            else f"pseudonymised with a keyed hash (key {key_source or 'configured'})",
            "location": "included on request" if include_location else "omitted",
            "time_resolution": "as recorded" if include_location else "day",
        },
        "provenance": _provenance(wh, data, idents, alias, extra),
    }
    report = normalise(report)
    report["fingerprint"] = {
        "algorithm": "sha256",
        "canonical_form": "sorted keys, no whitespace, floats %.6f, fingerprint member excluded",
        "value": fingerprint(report),
    }
    return report


def _location_trace(data: VehicleData) -> dict[str, Any]:
    cs = data.sessions.filter(pl.col("kind") == "charge") if data.sessions.height else data.sessions
    if cs.height == 0:
        return common.section("missing", ["no charge sessions with a location"])
    rows = [
        {
            "start": r["start_ts"].isoformat(),
            "end": r["end_ts"].isoformat(),
            "latitude": r["latitude"],
            "longitude": r["longitude"],
            "charge_type": r["charge_type"],
        }
        for r in cs.iter_rows(named=True)
    ]
    return common.section(
        "ok", ["included because --include-location was given"], charge_sessions=rows
    )
