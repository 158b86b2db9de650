"""Hand-built charging histories with known truth, written as `sessions` + `signals` rows.

Each vehicle follows one habit; every session's plug-in/out, charge start/end and energies
are known exactly, so tests can check what the charging stage recovers. Signals are sampled
once a minute from ten minutes before plug-in to ten minutes after plug-out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

__all__ = ["HABITS", "SESSIONS_DDL", "fleet_frames", "write_fleet"]

HABITS = ("overnight_home", "dc_fast_road_trip", "opportunistic_public", "always_full", "workplace")

SESSIONS_DDL = """
CREATE TABLE IF NOT EXISTS sessions (
    vehicle_id VARCHAR, session_id VARCHAR, kind VARCHAR, start_ts TIMESTAMPTZ,
    end_ts TIMESTAMPTZ, duration_s DOUBLE, soc_start_pct DOUBLE, soc_end_pct DOUBLE,
    energy_in_kwh DOUBLE, energy_out_kwh DOUBLE, charge_ah DOUBLE, discharge_ah DOUBLE,
    distance_km DOUBLE, odometer_start_km DOUBLE, odometer_end_km DOUBLE,
    battery_temp_mean_c DOUBLE, battery_temp_min_c DOUBLE, battery_temp_max_c DOUBLE,
    ambient_temp_c DOUBLE, peak_power_kw DOUBLE, charge_type VARCHAR, power_level_kw DOUBLE,
    charge_limit_pct DOUBLE, latitude DOUBLE, longitude DOUBLE, flags VARCHAR)
"""

_PATH = {
    "is_plugged_in": "Vehicle.Powertrain.TractionBattery.Charging.IsChargingCableConnected",
    "is_charging": "Vehicle.Powertrain.TractionBattery.Charging.IsCharging",
    "charger_power_kw": "Vehicle.Powertrain.TractionBattery.Charging.Power",
    "soc_bms_pct": "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
}
_HOME = (52.52, 13.40)
_WORK = (52.50, 13.30)
_START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday


def _plan(habit: str, days: int, rng: np.random.Generator) -> list[dict]:
    """Session plans (UTC; longitude 13.4 => local = UTC + 1 h)."""
    out = []
    for d in range(days):
        day = _START + timedelta(days=d)
        weekday = day.weekday()
        if habit in ("overnight_home", "always_full"):
            if d % 2:
                continue
            pin = day + timedelta(hours=17 + rng.uniform(0, 2))
            out.append(
                dict(
                    pin=pin,
                    delay_h=rng.uniform(0, 0.2),
                    pout=day + timedelta(hours=30 + rng.uniform(0, 1)),
                    kw=7.4,
                    dc=False,
                    soc_in=rng.uniform(30, 50),
                    soc_out=100.0 if habit == "always_full" else 80.0,
                    xy=_HOME,
                    cap=60.0,
                )
            )
        elif habit == "workplace":
            if weekday >= 5:
                continue
            pin = day + timedelta(hours=7 + rng.uniform(0, 1))
            out.append(
                dict(
                    pin=pin,
                    delay_h=0.05,
                    pout=day + timedelta(hours=15.5 + rng.uniform(0, 1)),
                    kw=11.0,
                    dc=False,
                    soc_in=rng.uniform(40, 60),
                    soc_out=80.0,
                    xy=_WORK,
                    cap=60.0,
                )
            )
        elif habit == "dc_fast_road_trip":
            if d % 3:
                continue
            pin = day + timedelta(hours=9 + rng.uniform(0, 8))
            dur = rng.uniform(0.4, 0.7)
            out.append(
                dict(
                    pin=pin,
                    delay_h=0.02,
                    pout=pin + timedelta(hours=dur + 0.1),
                    kw=90.0,
                    dc=True,
                    soc_in=rng.uniform(10, 25),
                    soc_out=None,
                    xy=(52.0 + rng.uniform(-1, 1), 13.0 + rng.uniform(-1, 1)),
                    cap=75.0,
                    dur=dur,
                )
            )
        else:  # opportunistic_public
            if rng.uniform() < 0.4:
                continue
            pin = day + timedelta(hours=10 + rng.uniform(0, 8))
            dur = rng.uniform(1.0, 2.5)
            out.append(
                dict(
                    pin=pin,
                    delay_h=0.02,
                    pout=pin + timedelta(hours=dur + 0.3),
                    kw=11.0,
                    dc=False,
                    soc_in=rng.uniform(30, 60),
                    soc_out=None,
                    xy=(52.4 + rng.uniform(-0.2, 0.2), 13.2 + rng.uniform(-0.2, 0.2)),
                    cap=50.0,
                    dur=dur,
                )
            )
    return out


def fleet_frames(n_vehicles: int = 5, days: int = 28, seed: int = 0):  # type: ignore[no-untyped-def]
    """Return (sessions, signals, truth) frames for ``n_vehicles`` (habits in turn)."""
    rng = np.random.default_rng(seed)
    sess, sigs, truth = [], [], []
    for i in range(n_vehicles):
        vid = f"T{i:02d}"
        habit = HABITS[i % len(HABITS)]
        for p in _plan(habit, days, rng):
            eff = 0.95 if p["dc"] else 0.90
            cs = p["pin"] + timedelta(hours=p["delay_h"])
            if p["soc_out"] is None:
                grid = p["kw"] * p["dur"]
                soc_out = min(p["soc_in"] + grid * eff / p["cap"] * 100, 100.0)
            else:
                soc_out = p["soc_out"]
            pack = (soc_out - p["soc_in"]) / 100 * p["cap"]
            grid = pack / eff
            ce = cs + timedelta(hours=grid / p["kw"])
            ce = min(ce, p["pout"] - timedelta(minutes=2))
            cs = cs.replace(second=0, microsecond=0)
            ce = ce.replace(second=0, microsecond=0)
            grid = p["kw"] * (ce - cs).total_seconds() / 3600
            pack = grid * eff
            soc_out = p["soc_in"] + pack / p["cap"] * 100
            pin = p["pin"].replace(second=0, microsecond=0)
            pout = p["pout"].replace(second=0, microsecond=0)
            sid = f"{vid}/charge/{int(cs.timestamp())}"
            sess.append(dict(
                vehicle_id=vid, session_id=sid, kind="charge", start_ts=cs, end_ts=ce,
                duration_s=(ce - cs).total_seconds(), soc_start_pct=p["soc_in"],
                soc_end_pct=soc_out, energy_in_kwh=pack, charge_type="DC" if p["dc"] else "AC",
                power_level_kw=p["kw"], latitude=p["xy"][0], longitude=p["xy"][1],
                battery_temp_min_c=15.0, battery_temp_mean_c=20.0, battery_temp_max_c=25.0,
            ))  # fmt: skip
            truth.append(
                dict(
                    vehicle_id=vid,
                    session_id=sid,
                    habit=habit,
                    plug_in_ts=pin,
                    plug_out_ts=pout,
                    charge_start_ts=cs,
                    charge_end_ts=ce,
                    grid_energy_kwh=grid,
                    pack_energy_kwh=pack,
                )
            )
            ts = pl.datetime_range(
                pin - timedelta(minutes=10),
                pout + timedelta(minutes=10),
                "1m",
                eager=True,
                time_zone="UTC",
            )
            t = ts.to_numpy()
            plugged = (t >= np.datetime64(pin.replace(tzinfo=None))) & (
                t < np.datetime64(pout.replace(tzinfo=None))
            )
            on = (t >= np.datetime64(cs.replace(tzinfo=None))) & (
                t < np.datetime64(ce.replace(tzinfo=None))
            )
            frac = np.clip(
                (t - np.datetime64(cs.replace(tzinfo=None)))
                / (np.datetime64(ce.replace(tzinfo=None)) - np.datetime64(cs.replace(tzinfo=None))),
                0,
                1,
            )
            soc = p["soc_in"] + frac * (soc_out - p["soc_in"])
            for key, vals in (
                ("is_plugged_in", plugged * 1.0),
                ("is_charging", on * 1.0),
                ("charger_power_kw", on * p["kw"]),
                ("soc_bms_pct", soc),
            ):
                sigs.append(
                    pl.DataFrame(
                        {
                            "vehicle_id": vid,
                            "ts": ts,
                            "signal": _PATH[key],
                            "value": vals.astype(float),
                        }
                    )
                )
    sessions = pl.DataFrame(sess)
    signals = pl.concat(sigs).unique(["vehicle_id", "ts", "signal"], keep="first")
    return sessions, signals, pl.DataFrame(truth)


def write_fleet(wh, n_vehicles: int = 5, days: int = 28, seed: int = 0) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    """Write a hand-built fleet into ``wh`` (sessions table created if absent); return truth."""
    sessions, signals, truth = fleet_frames(n_vehicles, days, seed)
    wh.execute(SESSIONS_DDL)
    for name, frame in (("sessions", sessions), ("signals", signals)):
        wh.con.register("_f", frame.to_arrow())
        wh.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _f")
        wh.con.unregister("_f")
    return truth
