"""What the car reports: BMS errors, sensor noise, quantisation and logger artefacts.

The true per-sample state (:mod:`analytics.simulate.render`) becomes decoded, car-reported
telemetry in the canonical long layout (vehicle_id, ts, signal = VSS path, value):

- BMS SoC = true SoC + the BMS error carried by the event loop (coulomb-counting gain and
  offset, uncounted parking drain, capacity-estimate lag; reset by OCV at rest where the curve
  is steep and at full charge, so LFP drifts further);
- BMS capacity / SoH (models that report it) follows the true capacity with a lag and a bias;
- current sensor gain / offset / noise, voltage and temperature noise, cell-voltage spread;
- quantisation as telematics platforms deliver it (0.1 % SoC, 0.1 V, 0.1 A, 0.5 °C, 1 mV);
- logger gaps (hours to days missing), dropped samples, and occasional clock jumps (a
  stretch of samples stamped one hour off, as after a wrong time-zone / DST setting).
"""

from __future__ import annotations

from datetime import UTC
from functools import lru_cache

import numpy as np
import polars as pl

from analytics.simulate.engine import CHARGE, DRIVE, PARK, VehicleRun
from analytics.simulate.render import SampleTable, render_samples

__all__ = ["EXPORT_SAMPLING", "SIGNAL_SCHEDULE", "reported_wide", "telemetry_long"]

# sampling periods (s) of the decoded export: drive, AC charge, DC charge, parked
EXPORT_SAMPLING = {"drive_s": 60.0, "ac_charge_s": 120.0, "dc_charge_s": 30.0, "park_s": 3600.0}

# key -> {kind: every n-th sample}; keys are catalog keys
_D, _C, _P = DRIVE, CHARGE, PARK
SIGNAL_SCHEDULE: dict[str, dict[int, int]] = {
    "speed_kmh": {_D: 1},
    "soc_bms_pct": {_D: 1, _C: 1, _P: 1},
    "pack_voltage_v": {_D: 1, _C: 1, _P: 1},
    "pack_current_a": {_D: 1, _C: 1, _P: 1},
    "pack_power_w": {_D: 2, _C: 2},
    "battery_temp_avg_c": {_D: 2, _C: 2, _P: 1},
    "battery_temp_min_c": {_D: 8, _C: 4, _P: 6},
    "battery_temp_max_c": {_D: 8, _C: 4, _P: 6},
    "cell_voltage_min_v": {_D: 8, _C: 4, _P: 6},
    "cell_voltage_max_v": {_D: 8, _C: 4, _P: 6},
    "ambient_temp_c": {_D: 8, _C: 8, _P: 1},
    "odometer_km": {_D: 2, _C: 8, _P: 6},
    "latitude_deg": {_D: 8, _C: 16, _P: 12},
    "longitude_deg": {_D: 8, _C: 16, _P: 12},
    "energy_remaining_kwh": {_D: 8, _C: 8, _P: 6},
    "battery_range_m": {_D: 8, _C: 8, _P: 6},
    "charged_energy_total_kwh": {_D: 8, _C: 2, _P: 6},
    "consumed_energy_total_kwh": {_D: 8, _C: 2, _P: 6},
    "charged_throughput_total_ah": {_D: 8, _C: 2, _P: 6},
    "consumed_throughput_total_ah": {_D: 8, _C: 2, _P: 6},
    "is_ignition_on": {_D: 16, _C: 16, _P: 6},
    "is_charging": {_C: 4, _P: 3},
    "is_plugged_in": {_C: 8, _P: 3},
    "charge_limit_pct": {_C: 16, _P: 12},
    "charger_power_kw": {_C: 2},
    "charge_current_ac_a": {_C: 4},
    "charge_current_dc_a": {_C: 4},
    "charge_voltage_ac_v": {_C: 8},
    "charge_voltage_dc_v": {_C: 8},
    "charge_added_energy_kwh": {_C: 4},
    "soh_bms_pct": {_P: 24, _C: 24},
    "net_capacity_kwh": {_P: 24, _C: 24},
}
_BMS_ONLY = {"soh_bms_pct", "net_capacity_kwh"}


@lru_cache(maxsize=1)
def _paths() -> dict[str, str]:
    from analytics.catalog import load_catalog

    cat = load_catalog()
    return {key: cat.get(key).path for key in SIGNAL_SCHEDULE}


def _quant(x: np.ndarray, step: float) -> np.ndarray:
    return np.round(x / step) * step


def reported_wide(run: VehicleRun, samples: SampleTable | None = None) -> dict[str, np.ndarray]:
    """Car-reported values (catalog keys -> arrays) at every sample; ``ts_s`` holds times."""
    spec = run.spec
    s = samples or render_samples(
        run,
        EXPORT_SAMPLING["drive_s"],
        EXPORT_SAMPLING["ac_charge_s"],
        EXPORT_SAMPLING["dc_charge_s"],
        EXPORT_SAMPLING["park_s"],
    )
    ev = run.events
    rng = np.random.default_rng(spec.seed + 31337)
    e = s.event
    n = s.ts_s.size
    bms = spec.bms
    model = spec.model
    err = ev["bms_err_start"][e] + (ev["bms_err_end"][e] - ev["bms_err_start"][e]) * s.frac
    soc_bms = np.clip(s.soc_pct + err, 0.0, 100.0)
    q_bms = ev["q_bms_ah"][e]
    v_nom = model.nominal_voltage_v
    cur = s.current_a * (1 + bms.current_gain) + bms.current_offset_a + rng.normal(0, 0.15, n)
    volt = s.voltage_v + rng.normal(0, bms.voltage_noise_v, n)
    temp = s.temp_c + bms.temp_offset_c
    spread_t = 0.8 + 0.04 * np.abs(s.current_a) ** 0.8
    ncell = spec.pack.cells_series
    imb = spec.pack.cell_imbalance_mv / 1000.0 * (1 + 3 * np.exp(-s.soc_pct / 8.0))
    cell_mean = s.voltage_v / ncell
    ir_spread = 0.05 * np.abs(s.current_a) * spec.pack.r0_ohm / ncell
    frac = s.frac
    active = ev["kind"][e] != PARK
    ah_out = ev["ah_out_cum"][e] + np.where(ev["kind"][e] == DRIVE, ev["ah"][e] * frac, 0.0)
    ah_in = ev["ah_in_cum"][e] + np.where(ev["kind"][e] == CHARGE, -ev["ah"][e] * frac, 0.0)
    kwh_out = ev["kwh_out_cum"][e] + np.where(
        ev["kind"][e] == DRIVE, ev["terminal_kwh"][e] * frac, 0.0
    )
    kwh_in = ev["kwh_in_cum"][e] + np.where(
        ev["kind"][e] == CHARGE, -ev["terminal_kwh"][e] * frac, 0.0
    )
    park = ev["kind"][e] == PARK
    ah_out = ah_out + np.where(park, ev["ah"][e] * frac, 0.0)
    kwh_out = kwh_out + np.where(park, ev["terminal_kwh"][e] * frac, 0.0)
    odo = ev["odo_start"][e] + ev["distance_km"][e] * frac
    charging = ev["kind"][e] == CHARGE
    dc = charging & (ev["charge_type"][e] == 2)
    energy_kwh = q_bms * v_nom / 1000.0
    # location: home / work / public fixed points, drives move between them
    loc = ev["location"][e].astype(np.int64)
    lat_pts = np.array([spec.home_lat_lon[0], spec.work_lat_lon[0], spec.home_lat_lon[0] + 0.03])
    lon_pts = np.array([spec.home_lat_lon[1], spec.work_lat_lon[1], spec.home_lat_lon[1] - 0.05])
    prev_loc = np.where(e > 0, ev["location"][np.maximum(e - 1, 0)], 0).astype(np.int64)
    is_drive = ev["kind"][e] == DRIVE
    lat = np.where(
        is_drive, lat_pts[prev_loc] + (lat_pts[loc] - lat_pts[prev_loc]) * frac, lat_pts[loc]
    )
    lon = np.where(
        is_drive, lon_pts[prev_loc] + (lon_pts[loc] - lon_pts[prev_loc]) * frac, lon_pts[loc]
    )
    plugged = charging.copy()
    pin, pout = _plug_intervals(ev)
    if pin.size:
        k = np.searchsorted(pin, s.ts_s, side="right") - 1
        plugged = (k >= 0) & (s.ts_s < pout[np.maximum(k, 0)])
    charger_kw = np.where(
        charging, np.abs(volt * s.current_a) / 1000.0 / np.where(dc, 0.985, 0.9), 0
    )
    ac_v = np.where(charging & ~dc, 230.0 + rng.normal(0, 2, n), 0.0)
    phases = np.where(ev["charger_kw"][e] > 7.5, 3.0, 1.0)
    soh_bms = 100.0 * q_bms / model.nominal_capacity_ah + bms.soh_bias_pct
    added = np.where(charging, -ev["terminal_kwh"][e] * frac, 0.0)
    out = {
        "ts_s": s.ts_s,
        "kind": ev["kind"][e],
        "speed_kmh": _quant(s.speed_kmh, 0.1),
        "soc_bms_pct": _quant(soc_bms, 0.1),
        "pack_voltage_v": _quant(volt, 0.1),
        "pack_current_a": _quant(cur, 0.1),
        "pack_power_w": _quant(volt * cur, 10.0),
        "battery_temp_avg_c": _quant(temp + rng.normal(0, 0.2, n), 0.5),
        "battery_temp_min_c": _quant(temp - spread_t, 0.5),
        "battery_temp_max_c": _quant(temp + spread_t, 0.5),
        "cell_voltage_min_v": _quant(cell_mean - imb - ir_spread, 0.001),
        "cell_voltage_max_v": _quant(cell_mean + 0.3 * imb + ir_spread, 0.001),
        "ambient_temp_c": _quant(
            np.interp(
                (s.ts_s - s.ts_s[0] + (s.ts_s[0] - _t0(run))) / 3600.0,
                np.arange(run.ambient_c.size),
                run.ambient_c,
            ),
            0.5,
        ),
        "odometer_km": _quant(odo, 0.1),
        "latitude_deg": np.round(lat, 5),
        "longitude_deg": np.round(lon, 5),
        "energy_remaining_kwh": _quant(soc_bms / 100.0 * energy_kwh, 0.1),
        "battery_range_m": _quant(soc_bms / 100.0 * energy_kwh / 0.17 * 1000.0, 1000.0),
        "charged_energy_total_kwh": _quant(kwh_in * (1 + bms.current_gain), 0.1),
        "consumed_energy_total_kwh": _quant(kwh_out * (1 + bms.current_gain), 0.1),
        "charged_throughput_total_ah": _quant(ah_in * (1 + bms.current_gain), 0.1),
        "consumed_throughput_total_ah": _quant(ah_out * (1 + bms.current_gain), 0.1),
        "is_ignition_on": is_drive.astype(float),
        "is_charging": charging.astype(float),
        "is_plugged_in": plugged.astype(float),
        "charge_limit_pct": np.where(charging, ev["target_soc"][e], spec.profile.charge_limit_pct),
        "charger_power_kw": _quant(charger_kw, 0.1),
        "charge_current_ac_a": np.where(
            charging & ~dc, _quant(charger_kw * 1000 / np.maximum(ac_v, 1) / phases, 0.1), 0.0
        ),
        "charge_current_dc_a": np.where(dc, _quant(-cur, 0.1), 0.0),
        "charge_voltage_ac_v": _quant(ac_v, 0.1),
        "charge_voltage_dc_v": np.where(dc, _quant(volt, 0.1), 0.0),
        "charge_added_energy_kwh": _quant(added, 0.01),
        "soh_bms_pct": _quant(soh_bms, 1.0 if model.make != "Tesla" else 0.1),
        "net_capacity_kwh": _quant(energy_kwh * (1 + bms.soh_bias_pct / 100.0), 0.1),
    }
    del active
    return out


def _t0(run: VehicleRun) -> float:
    from datetime import datetime

    d = run.start
    return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()


def _plug_intervals(ev: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    c = np.flatnonzero(ev["kind"] == CHARGE)
    pin = ev["plug_in_s"][c]
    pout = np.maximum(ev["plug_out_s"][c], ev["end_s"][c])
    order = np.argsort(pin)
    return pin[order], pout[order]


def _logger_mask(run: VehicleRun, ts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Keep-mask after logger gaps (whole stretches missing)."""
    lg = run.spec.logger
    t0, t1 = float(ts[0]), float(ts[-1])
    n_gaps = rng.poisson(lg.gap_rate_per_day * (t1 - t0) / 86400.0)
    keep = np.ones(ts.size, dtype=bool)
    for _ in range(n_gaps):
        start = rng.uniform(t0, t1)
        dur = float(np.clip(rng.lognormal(np.log(4 * 3600.0), 1.0), 600.0, 5 * 86400.0))
        keep &= ~((ts >= start) & (ts < start + dur))
    return keep


def _clock_jumps(run: VehicleRun, ts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    lg = run.spec.logger
    t0, t1 = float(ts[0]), float(ts[-1])
    out = ts.copy()
    for _ in range(rng.poisson(lg.clock_jump_per_year * (t1 - t0) / (365 * 86400.0))):
        start = rng.uniform(t0, t1)
        dur = float(rng.uniform(2 * 3600.0, 3 * 86400.0))
        sel = (ts >= start) & (ts < start + dur)
        out[sel] += float(rng.choice([-3600.0, 3600.0]))
    return out


def telemetry_long(run: VehicleRun) -> pl.DataFrame:
    """Decoded car-reported telemetry of one vehicle in the canonical long layout."""
    wide = reported_wide(run)
    rng = np.random.default_rng(run.spec.seed + 4242)
    ts = wide["ts_s"]
    kind = wide["kind"].astype(np.int64)
    keep = _logger_mask(run, ts, rng)
    ts_rep = _clock_jumps(run, ts, rng)
    paths = _paths()
    # running sample counter per kind to thin signals to every n-th sample
    counter = np.zeros(ts.size, dtype=np.int64)
    for k in (DRIVE, CHARGE, PARK):
        sel = kind == k
        counter[sel] = np.arange(int(sel.sum()))
    ts_parts, sig_parts, val_parts = [], [], []
    names = []
    for j, (key, sched) in enumerate(SIGNAL_SCHEDULE.items()):
        if key in _BMS_ONLY and not run.spec.model.bms_reports_soh:
            continue
        mask = np.zeros(ts.size, dtype=bool)
        for k, every in sched.items():
            mask |= (kind == k) & (counter % every == 0)
        mask &= keep
        vals = wide[key]
        mask &= np.isfinite(vals)
        idx = np.flatnonzero(mask)
        ts_parts.append(ts_rep[idx])
        val_parts.append(vals[idx])
        sig_parts.append(np.full(idx.size, len(names), dtype=np.int32))
        names.append(paths[key])
        del j
    ts_all = np.concatenate(ts_parts)
    sig_all = np.concatenate(sig_parts)
    val_all = np.concatenate(val_parts)
    drop = rng.random(ts_all.size) < run.spec.logger.drop_fraction
    ts_all, sig_all, val_all = ts_all[~drop], sig_all[~drop], val_all[~drop]
    order = np.lexsort((sig_all, ts_all))
    us = (ts_all[order] * 1e6).astype(np.int64)
    signal = pl.Series("signal", names, dtype=pl.String).gather(sig_all[order])
    return pl.DataFrame(
        {
            "vehicle_id": pl.Series([run.spec.vehicle_id], dtype=pl.String).gather(
                np.zeros(us.size, dtype=np.int64)
            ),
            "ts": pl.Series("ts", us).cast(pl.Datetime("us", "UTC")),
            "signal": signal,
            "value": val_all[order],
        }
    )
