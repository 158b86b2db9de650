"""Physics consistency: energy conservation and charge counting against the truth."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.simulate.engine import CHARGE, DRIVE
from analytics.simulate.fleet import Fleet
from analytics.simulate.render import drive_trace_1hz


def _drives(fleet: Fleet, per_vehicle: int = 4):
    for run in fleet.runs:
        idx = np.flatnonzero(run.events["kind"] == DRIVE)[:per_vehicle]
        for e in idx:
            yield run, int(e)


def test_fleet_covers_every_chemistry(small_fleet: Fleet) -> None:
    assert set(small_fleet.vehicles["chemistry"]) == {"NMC", "NCA", "LFP"}


def test_energy_conservation_second_by_second(small_fleet: Fleet) -> None:
    """Pack energy (OCV x current) = traction + aux + losses within 0.5 %, where the
    left side is integrated at 1 Hz and the right side comes from the truth sessions."""
    sessions = small_fleet.sessions
    n = 0
    for run, e in _drives(small_fleet):
        tr = drive_trace_1hz(run, e)
        pack_kwh = float((tr.ocv_v * tr.current_a).sum()) / 3.6e6
        row = sessions.filter(
            (sessions["vehicle_id"] == run.spec.vehicle_id) & (sessions["kind"] == "drive")
        ).row(int((run.events["kind"][:e] == DRIVE).sum()), named=True)
        budget = row["traction_kwh"] + row["aux_kwh"] + row["loss_kwh"]
        assert pack_kwh == pytest.approx(budget, rel=0.005)
        # the terminal energy is exactly traction + aux, the rest is ohmic/RC loss
        terminal = float((tr.voltage_v * tr.current_a).sum()) / 3.6e6
        assert terminal == pytest.approx(row["traction_kwh"] + row["aux_kwh"], rel=1e-6)
        loss_1hz = float((tr.current_a**2 * tr.r0_ohm + tr.v_rc_v * tr.current_a).sum()) / 3.6e6
        assert pack_kwh == pytest.approx(terminal + loss_1hz, rel=1e-9)
        n += 1
    assert n >= 10


def test_ah_from_current_equals_soc_change_times_capacity(small_fleet: Fleet) -> None:
    for run, e in _drives(small_fleet):
        ev = run.events
        tr = drive_trace_1hz(run, e)
        ah = float(tr.current_a.sum()) / 3600.0
        expected = (ev["soc_start"][e] - ev["soc_end"][e]) / 100.0 * ev["cap_ah"][e]
        assert ah == pytest.approx(expected, rel=0.005)


def test_charge_ah_from_1hz_current(small_fleet: Fleet) -> None:
    """Integrating the 1 Hz pack current of a day's charges gives SoC gain x capacity."""
    checked = 0
    for run in small_fleet.runs:
        ev = run.events
        for e in np.flatnonzero(ev["kind"] == CHARGE)[:2]:
            day = small_fleet.config.start + __import__("datetime").timedelta(
                days=int(
                    (ev["start_s"][e] - small_fleet.day_bounds(small_fleet.config.start)[0])
                    // 86400
                )
            )
            _t0, t1 = small_fleet.day_bounds(day)
            if ev["end_s"][e] > t1:
                continue
            hr = small_fleet.highres(run.spec.vehicle_id, day)
            ts = hr["ts"].dt.epoch("us").to_numpy() / 1e6
            sel = (ts >= ev["start_s"][e]) & (ts <= ev["end_s"][e])
            # car-reported current carries the sensor gain/offset: undo nothing, allow 1.5 %
            ah = -float(hr["pack_current_a"].to_numpy()[sel].sum()) / 3600.0
            expected = (ev["soc_end"][e] - ev["soc_start"][e]) / 100.0 * ev["cap_ah"][e]
            assert ah == pytest.approx(expected, rel=0.015, abs=0.3)
            checked += 1
    assert checked >= 3


def test_soc_stays_physical_and_temperatures_plausible(small_fleet: Fleet) -> None:
    s = small_fleet.sessions
    assert s["soc_start_pct"].min() >= 0 and s["soc_end_pct"].max() <= 100.0001
    assert s["battery_temp_end_c"].max() < 50 and s["battery_temp_end_c"].min() > -40
    drives = s.filter(s["kind"] == "drive")
    kwh_per_km = drives["energy_kwh"].sum() / drives["distance_km"].sum()
    assert 0.11 < kwh_per_km < 0.3  # realistic pack-side consumption
