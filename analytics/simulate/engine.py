"""Event-level simulation of one vehicle: trips, parking, charging, BMS error, ageing.

The loop walks a vehicle's timeline event by event (a few per day) with scalar physics:
trips use the per-block power sums of :mod:`analytics.simulate.drive` expanded to third
order in the pack current, so losses, Ah and energy of a trip cost O(blocks), not O(seconds);
charges integrate a 24-step SoC grid; parks relax the pack temperature towards the low-passed
ambient in closed form. Ageing is advanced per parking chunk (calendar) and per day (cycle).
Everything is drawn from the vehicle's own seeded stream, so results do not depend on how
vehicles are spread over processes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np

from analytics.chemistry import ocv_slope_v_per_pct
from analytics.simulate import ageing as ag
from analytics.simulate.behaviour import HOME, PUBLIC, plan_day
from analytics.simulate.charging import simulate_charge
from analytics.simulate.climate import CLIMATES, ambient_hourly_c
from analytics.simulate.drive import aux_power_w
from analytics.simulate.pack import OcvLookup, pack_ocv_v, resistance_factor_scalar
from analytics.simulate.vehicle import VehicleSpec

__all__ = ["CHARGE", "DRIVE", "PARK", "VehicleRun", "simulate_vehicle"]

# Longest leg, in % of capacity, driven without a stop: from a fast charge to 80 % a driver
# arrives with a comfortable reserve.
_MAX_LEG_PCT = 55.0

DRIVE, CHARGE, PARK = 0, 1, 2
EVENT_COLUMNS = (
    "kind",
    "start_s",
    "end_s",
    "soc_start",
    "soc_end",
    "temp_start",
    "temp_end",
    "ambient_c",
    "ah",
    "terminal_kwh",
    "chem_kwh",
    "loss_kwh",
    "traction_kwh",
    "aux_kwh",
    "grid_kwh",
    "distance_km",
    "odo_start",
    "cap_ah",
    "r_growth",
    "location",
    "charge_type",
    "charger_kw",
    "target_soc",
    "plug_in_s",
    "plug_out_s",
    "bms_err_start",
    "bms_err_end",
    "q_bms_ah",
    "ah_out_cum",
    "ah_in_cum",
    "kwh_out_cum",
    "kwh_in_cum",
    "peak_kw",
    "aux_w",
    "seq",
)
DAY_COLUMNS = (
    "day",
    "capacity_ah",
    "capacity_soh_pct",
    "energy_soh_pct",
    "resistance_mohm",
    "resistance_growth_pct",
    "efc",
    "odometer_km",
    "q_bms_ah",
    "cal_loss_pct",
    "cyc_loss_pct",
    "knee_loss_pct",
    "battery_temp_mean_c",
    "soc_mean_pct",
)


@dataclass
class VehicleRun:
    """What the event loop produces for one vehicle."""

    spec: VehicleSpec
    start: date
    days: int
    events: dict[str, np.ndarray]
    daily: dict[str, np.ndarray]
    drive_blocks: list[list[int]]
    charge_knots: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    ambient_c: np.ndarray  # hourly
    park_temp_c: np.ndarray  # hourly low-pass of ambient (parked pack equilibrium)


@dataclass
class _State:
    t: float
    soc: float
    temp: float
    cap: float
    r_growth: float = 1.0
    l_cal: float = 0.0
    l_cyc: float = 0.0
    l_knee: float = 0.0
    r_cal: float = 0.0
    r_cyc: float = 0.0
    knee_day: float = -1.0
    knee_efc: float = 0.0
    efc: float = 0.0
    odo: float = 0.0
    ah_out: float = 0.0
    ah_in: float = 0.0
    kwh_out: float = 0.0
    kwh_in: float = 0.0
    bms_err: float = 0.0
    q_bms: float = 0.0
    branch: str = "discharge"
    last_full_s: float = 0.0
    day_ah: float = 0.0
    day_ah_stress: float = 0.0
    day_cmax: float = 0.0
    day_tsum: float = 0.0
    day_vsum: float = 0.0
    day_min_soc: float = 100.0
    day_max_soc: float = 0.0
    day_temp_int: float = 0.0
    day_soc_int: float = 0.0
    day_time: float = 0.0
    ev: dict[str, list[float]] = field(default_factory=dict)


def _epoch(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()


class _Sim:
    def __init__(self, spec: VehicleSpec, start: date, days: int) -> None:
        self.spec = spec
        self.start = start
        self.days = days
        self.t0 = _epoch(start)
        self.t_end = self.t0 + days * 86400.0
        self.rng = np.random.default_rng(spec.seed + 7919)
        self.model = spec.model
        self.pack = spec.pack
        self.chem = spec.model.chemistry
        self.offset_h = CLIMATES[spec.climate].utc_offset_h
        amb = ambient_hourly_c(spec.climate, start, days + 2)
        tau_h = self.pack.heat_capacity_j_k / self.pack.ua_park_w_k / 3600.0
        a = math.exp(-1.0 / tau_h)
        from scipy.signal import lfilter

        lp, _ = lfilter([1 - a], [1, -a], amb, zi=[amb[:48].mean() * a])
        self.ambient = amb
        self.lp = lp
        self.tau_park_s = tau_h * 3600.0
        self._decay = np.exp(-np.arange(200) * 3600.0 / self.tau_park_s)
        scal, scyc = ag.EV_SCALE[self.chem]
        self.k_cal = scal * spec.cal_multiplier
        self.k_cyc = scyc * spec.cyc_multiplier
        self.q_nom = spec.model.nominal_capacity_ah
        soc_grid = np.linspace(0, 100, 101)
        self.v_mean_new = float(pack_ocv_v(self.pack, soc_grid).mean())
        self.e_ref_new = self._energy_ref(self.q_nom, 1.0)
        self._ocv = OcvLookup(self.pack)
        self._cal_cache: dict[int, tuple[float, float, float, float]] = {}
        self.st = _State(
            t=self.t0,
            soc=float(self.rng.uniform(60, 90)),
            temp=float(lp[0]),
            cap=spec.initial_capacity_ah,
        )
        self.st.q_bms = spec.initial_capacity_ah
        self.st.last_full_s = self.t0
        self.ev: dict[str, list[float]] = {c: [] for c in EVENT_COLUMNS}
        self.daily: dict[str, list[float]] = {c: [] for c in DAY_COLUMNS}
        self.next_day = 1
        self.blocks: list[list[int]] = []
        self.knots: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    # ------------------------------------------------------------------ helpers
    def _energy_ref(self, cap_ah: float, growth: float) -> float:
        r = (self.pack.r0_ohm + self.pack.r1_ohm) * growth
        return cap_ah * (self.v_mean_new - cap_ah / 3.0 * r) / 1000.0

    def lp_at(self, t: float) -> float:
        h = (t - self.t0) / 3600.0
        i = min(max(int(h), 0), self.lp.size - 2)
        f = h - i
        return float(self.lp[i] * (1 - f) + self.lp[i + 1] * f)

    def amb_at(self, t: float) -> float:
        h = (t - self.t0) / 3600.0
        i = min(max(int(h), 0), self.ambient.size - 2)
        f = h - i
        return float(self.ambient[i] * (1 - f) + self.ambient[i + 1] * f)

    def ocv(self, soc: float, branch: str) -> float:
        return self._ocv(soc, branch)

    def _emit(self, **kw: float) -> None:
        st = self.st
        base = {
            "cap_ah": st.cap,
            "r_growth": st.r_growth,
            "q_bms_ah": st.q_bms,
            "ah_out_cum": st.ah_out,
            "ah_in_cum": st.ah_in,
            "kwh_out_cum": st.kwh_out,
            "kwh_in_cum": st.kwh_in,
            "odo_start": st.odo,
        }
        base.update(kw)
        for c in EVENT_COLUMNS:
            self.ev[c].append(float(base.get(c, 0.0)))

    def _track(self, soc_a: float, soc_b: float, temp: float, dt: float) -> None:
        st = self.st
        st.day_min_soc = min(st.day_min_soc, soc_a, soc_b)
        st.day_max_soc = max(st.day_max_soc, soc_a, soc_b)
        st.day_temp_int += temp * dt
        st.day_soc_int += 0.5 * (soc_a + soc_b) * dt
        st.day_time += dt

    def _calendar(self, temps_c: np.ndarray | float, soc: float, dt_days: float) -> None:
        st = self.st
        key = int(soc * 2.0)  # coefficients cached on a 0.5 % SoC grid
        coef = self._cal_cache.get(key)
        if coef is None:
            coef = ag.calendar_coefficients(self.chem, key / 2.0)
            self._cal_cache[key] = coef
        aq, bq, ar, br = coef
        if isinstance(temps_c, float):
            inv = 1.0 / (temps_c + 273.15)
            gq = math.exp(bq * inv)
            gr = math.exp(br * inv)
        else:
            inv_t = 1.0 / (temps_c + 273.15)
            gq = float(np.exp(bq * inv_t).mean())
            gr = float(np.exp(br * inv_t).mean())
        q_rate = aq * gq * self.k_cal
        st.l_cal = ag.power_law_step(st.l_cal, q_rate, dt_days, ag.CAL_EXPONENT[self.chem])
        if self.chem == "NMC":
            st.r_cal = ag.power_law_step(st.r_cal, ar * gr * self.k_cal, dt_days, 0.75)
        elif self.chem == "LFP":
            st.r_cal += ar * gr * self.k_cal * dt_days

    def _cycle_throughput(self, ah: float, c_rate: float, temp: float, soc_mid: float) -> None:
        st = self.st
        stress = 1.0
        if c_rate > 1.0:
            stress += 0.5 * (c_rate - 1.0)
        if temp < 10.0:
            stress *= 1.0 + min((10.0 - temp) / 20.0, 1.0)
        st.day_ah += abs(ah)
        st.day_ah_stress += abs(ah) * stress
        st.day_cmax = max(st.day_cmax, c_rate)
        st.day_tsum += temp * abs(ah)
        st.day_vsum += self.ocv(soc_mid, "mean") / self.pack.cells_series * abs(ah)

    def _end_day(self, day_index: int) -> None:
        st = self.st
        chem = self.chem
        if st.day_ah > 0:
            efc = st.day_ah / (2.0 * self.q_nom)
            dod = max(st.day_max_soc - st.day_min_soc, 1.0) / 100.0
            v_avg = st.day_vsum / st.day_ah
            t_avg = st.day_tsum / st.day_ah
            c_rate = min(st.day_cmax, 3.0)
            rate = ag.cycle_rate(chem, v_avg, dod, c_rate, t_avg) * self.k_cyc
            stress = st.day_ah_stress / st.day_ah
            x = st.day_ah / self.q_nom * 2.15 if chem == "NMC" else efc
            st.l_cyc = ag.power_law_step(st.l_cyc, rate, x * stress, ag.CYC_EXPONENT[chem])
            st.r_cyc += ag.resistance_cycle_rate(chem, v_avg, dod, c_rate) * self.k_cyc * x
            st.efc += efc
        base_loss = st.l_cal + st.l_cyc
        if self.spec.has_knee and st.knee_day < 0 and base_loss >= self.spec.knee_onset_loss:
            st.knee_day, st.knee_efc = float(day_index), st.efc
        if st.knee_day >= 0:
            x = (day_index - st.knee_day) / 365.0 + (st.efc - st.knee_efc) / 100.0
            st.l_knee = self.spec.knee_coeff * x * x
        loss = min(base_loss + st.l_knee, 0.6)
        st.cap = self.spec.initial_capacity_ah * (1.0 - loss)
        if chem == "NCA":
            st.r_growth = 1.0 + 2.5 * loss
        else:
            st.r_growth = 1.0 + st.r_cal + st.r_cyc + 1.5 * st.l_knee
        st.q_bms += (st.cap - st.q_bms) / self.spec.bms.soh_lag_days
        tmean = st.day_temp_int / st.day_time if st.day_time else st.temp
        smean = st.day_soc_int / st.day_time if st.day_time else st.soc
        row = {
            "day": float(day_index - 1),
            "capacity_ah": st.cap,
            "capacity_soh_pct": 100.0 * st.cap / self.q_nom,
            "energy_soh_pct": 100.0 * self._energy_ref(st.cap, st.r_growth) / self.e_ref_new,
            "resistance_mohm": 1000.0 * self.pack.r0_ohm * st.r_growth,
            "resistance_growth_pct": 100.0 * (st.r_growth - 1.0),
            "efc": st.efc,
            "odometer_km": st.odo,
            "q_bms_ah": st.q_bms,
            "cal_loss_pct": 100 * st.l_cal,
            "cyc_loss_pct": 100 * st.l_cyc,
            "knee_loss_pct": 100 * st.l_knee,
            "battery_temp_mean_c": tmean,
            "soc_mean_pct": smean,
        }
        for c in DAY_COLUMNS:
            self.daily[c].append(float(row[c]))
        st.day_ah = st.day_ah_stress = st.day_cmax = st.day_tsum = st.day_vsum = 0.0
        st.day_min_soc, st.day_max_soc = st.soc, st.soc
        st.day_temp_int = st.day_soc_int = st.day_time = 0.0

    def _close_days(self, t: float) -> None:
        while self.next_day <= self.days and self.t0 + self.next_day * 86400.0 <= t:
            self._end_day(self.next_day)
            self.next_day += 1

    # ------------------------------------------------------------------ events
    def park(self, t1: float, location: int, plugged: bool) -> None:
        st = self.st
        t0 = st.t
        if t1 - t0 < 1.0:
            return
        soc0, temp0, err0 = st.soc, st.temp, st.bms_err
        e = self.ocv(st.soc, st.branch)
        drain_w = 0.0 if plugged else self.spec.park_drain_w
        lp0 = self.lp_at(t0)
        off0 = temp0 - lp0
        ah_total = 0.0
        chunk_start = t0
        while chunk_start < t1:
            boundary = self.t0 + math.floor((chunk_start - self.t0) / 86400.0 + 1) * 86400.0
            chunk_end = min(t1, boundary)
            dt = chunk_end - chunk_start
            h_a = int((chunk_start - self.t0) / 3600.0)
            h_b = max(math.ceil((chunk_end - self.t0) / 3600.0), h_a + 1)
            lp_h = self.lp[h_a:h_b]
            n_h = lp_h.shape[0]
            if n_h <= self._decay.shape[0]:
                decay = self._decay[:n_h]
            else:
                decay = np.exp(-np.arange(n_h) * 3600.0 / self.tau_park_s)
            shift = math.exp(-max(h_a * 3600.0 + self.t0 - t0, 0.0) / self.tau_park_s)
            temps = lp_h + (off0 * shift) * decay
            ah = drain_w * dt / e / 3600.0
            ah_total += ah
            soc_a = st.soc
            st.soc -= 100.0 * ah / st.cap
            st.ah_out += ah
            st.kwh_out += drain_w * dt / 3.6e6
            self._calendar(temps, 0.5 * (soc_a + st.soc), dt / 86400.0)
            self._track(soc_a, st.soc, float(temps.mean()), dt)
            st.t = chunk_end
            self._close_days(chunk_end)
            chunk_start = chunk_end
        st.temp = self.lp_at(t1) + off0 * math.exp(-(t1 - t0) / self.tau_park_s)
        # the BMS sleeps most of the time while parked: about 40 % of the drain goes uncounted
        st.bms_err += 40.0 * ah_total / st.cap
        self._emit(
            kind=PARK,
            start_s=t0,
            end_s=t1,
            soc_start=soc0,
            soc_end=st.soc,
            temp_start=temp0,
            temp_end=st.temp,
            ambient_c=self.amb_at(t0),
            ah=ah_total,
            terminal_kwh=drain_w * (t1 - t0) / 3.6e6,
            chem_kwh=e * ah_total / 1000.0,
            location=location,
            bms_err_start=err0,
            bms_err_end=st.bms_err,
            aux_w=drain_w,
            plug_in_s=1.0 if plugged else 0.0,
        )
        if t1 - t0 >= 2 * 3600.0:
            self._recalibrate_at_rest()

    def _recalibrate_at_rest(self) -> None:
        st = self.st
        slope_mv = 1000.0 * float(ocv_slope_v_per_pct(self.chem, st.soc))
        if slope_mv < 2.0:  # flat LFP plateau: the BMS cannot trust the voltage
            return
        sigma = max(self.spec.bms.recal_sigma_pct, 1.5 / slope_mv)
        st.bms_err = 0.15 * st.bms_err + float(self.rng.normal(0.0, sigma))

    def _bms_count(self, ah: float, dt: float) -> float:
        """BMS SoC change (%) for true charge ``ah`` (positive out) over ``dt`` seconds."""
        b = self.spec.bms
        counted = ah * (1.0 + b.current_gain) + b.current_offset_a * dt / 3600.0
        return -100.0 * counted / self.st.q_bms

    def drive(self, blocks: list[int], location: int) -> None:
        st = self.st
        mo = self.spec.drive.moments
        n = float(sum(mo.n_s[b] for b in blocks))
        s1 = float(sum(mo.s1[b] for b in blocks))
        s2 = float(sum(mo.s2[b] for b in blocks))
        s3 = float(sum(mo.s3[b] for b in blocks))
        l1 = float(sum(mo.l1[b] for b in blocks))
        x2 = float(sum(mo.x2[b] for b in blocks))
        dist = float(sum(mo.distance_km[b] for b in blocks))
        amb = self.amb_at(st.t)
        c = self.pack.heat_capacity_j_k
        ua = self.pack.ua_drive_w_k
        aux_w = aux_power_w(amb, self.model.heat_pump, self.spec.profile.aux_base_w)
        temp0 = st.temp
        heater_j = 0.0
        if temp0 < 5.0:
            heater_j = min(c * (8.0 - temp0) / 0.95, 4000.0 * n)
        cool_j = 0.0
        soc0 = st.soc
        temp_end = temp0
        for _ in range(5):
            pa = aux_w + (heater_j + cool_j) / n
            t1 = pa * pa
            sp1 = s1 + n * pa
            sp2 = s2 + 2 * pa * s1 + n * t1
            sp3 = s3 + 3 * pa * s2 + 3 * t1 * s1 + n * t1 * pa
            xp = x2 + pa * (s1 + l1) + n * t1
            soc_mid = soc0
            t_hi = min(temp_end, 35.0)
            for _ in range(2):
                e = self.ocv(soc_mid, "discharge")
                # Simpson average of the resistance over the trip's temperature path
                rf = (
                    resistance_factor_scalar(temp0, soc_mid)
                    + 4.0 * resistance_factor_scalar(0.5 * (temp0 + t_hi), soc_mid)
                    + resistance_factor_scalar(t_hi, soc_mid)
                ) / 6.0
                rf *= st.r_growth
                r0 = self.pack.r0_ohm * rf
                r1 = self.pack.r1_ohm * rf
                loss0 = r0 * sp2 / e**2 + 2 * r0 * r0 * sp3 / e**4
                loss1 = r1 * xp / e**2
                chem_j = sp1 + loss0 + loss1
                ah = chem_j / e / 3600.0
                soc_mid = soc0 - 50.0 * ah / st.cap
            temp_start = temp0 + heater_j * 0.95 / c
            t_eq = amb + (loss0 + loss1) / n / ua
            new_end = t_eq + (temp_start - t_eq) * math.exp(-n * ua / c)
            new_cool = c * max(new_end - 35.0, 0.0) / 2.5
            done = abs(new_cool - cool_j) < 1.0 and abs(min(new_end, 35.0) - t_hi) < 0.05
            cool_j = new_cool
            temp_end = new_end
            if done:
                break
        temp_end = min(temp_end, 35.0)
        t_start = st.t
        err0 = st.bms_err
        dsoc = 100.0 * ah / st.cap
        st.bms_err += self._bms_count(ah, n) + dsoc
        st.soc = soc0 - dsoc
        if st.soc < 12.0:
            # under load the voltage knee at low SoC is unmistakable: partial correction
            st.bms_err *= 0.4
        st.temp = temp_end
        terminal_kwh = (sp1) / 3.6e6
        peak_kw = (max(float(np.max(self.spec.drive.power_w[b])) for b in blocks) + pa) / 1000
        self._emit(
            kind=DRIVE,
            start_s=t_start,
            end_s=t_start + n,
            soc_start=soc0,
            soc_end=st.soc,
            temp_start=temp0,
            temp_end=temp_end,
            ambient_c=amb,
            ah=ah,
            terminal_kwh=terminal_kwh,
            chem_kwh=chem_j / 3.6e6,
            loss_kwh=(loss0 + loss1) / 3.6e6,
            traction_kwh=s1 / 3.6e6,
            aux_kwh=pa * n / 3.6e6,
            distance_km=dist,
            location=location,
            bms_err_start=err0,
            bms_err_end=st.bms_err,
            peak_kw=peak_kw,
            aux_w=pa,
            seq=float(len(self.blocks)),
        )
        self.blocks.append(list(blocks))
        st.ah_out += max(ah, 0.0)
        st.kwh_out += max(terminal_kwh, 0.0)
        st.odo += dist
        self._cycle_throughput(
            ah, abs(ah) / st.cap / (n / 3600.0), 0.5 * (temp0 + temp_end), 0.5 * (soc0 + st.soc)
        )
        self._calendar(0.5 * (temp0 + temp_end), 0.5 * (soc0 + st.soc), n / 86400.0)
        self._track(soc0, st.soc, 0.5 * (temp0 + temp_end), n)
        st.t = t_start + n
        st.branch = "discharge"
        self._close_days(st.t)

    def charge(
        self,
        dc: bool,
        kw: float,
        target: float,
        location: int,
        plug_in: float,
        latest_end: float | None,
    ) -> None:
        st = self.st
        soc0 = st.soc
        if target <= soc0 + 0.5:
            return
        amb = self.amb_at(st.t)
        kw_eff = kw if dc else min(kw, self.model.onboard_charger_kw)
        args = (self.model, self.pack, st.cap, st.r_growth)
        res = simulate_charge(*args, soc0, target, st.temp, amb, kw_eff, dc)
        if latest_end is not None and st.t + res.duration_s > latest_end:
            avail = latest_end - st.t
            if avail < 300.0:
                return
            soc_cut = float(np.interp(avail, res.knot_t_s, res.knot_soc))
            if soc_cut <= soc0 + 0.5:
                return
            res = simulate_charge(*args, soc0, soc_cut, st.temp, amb, kw_eff, dc)
        t_start = st.t
        err0 = st.bms_err
        dsoc = res.knot_soc[-1] - soc0
        st.bms_err += self._bms_count(-res.ah, res.duration_s) - dsoc
        st.soc = float(res.knot_soc[-1])
        if st.soc >= 99.5 or (self.chem == "LFP" and st.soc >= 96.0):
            # end-of-charge voltage rise: the BMS re-anchors its SoC (LFP: above the plateau)
            st.bms_err = float(self.rng.normal(0.0, 0.3 if st.soc >= 99.5 else 0.8))
        if st.soc >= 99.5:
            st.last_full_s = t_start + res.duration_s
        temp0 = st.temp
        st.temp = res.temp_end_c
        self._emit(
            kind=CHARGE,
            start_s=t_start,
            end_s=t_start + res.duration_s,
            soc_start=soc0,
            soc_end=st.soc,
            temp_start=temp0,
            temp_end=st.temp,
            ambient_c=amb,
            ah=-res.ah,
            terminal_kwh=-res.terminal_kwh,
            chem_kwh=-res.chem_kwh,
            loss_kwh=res.loss_kwh,
            aux_kwh=res.aux_kwh,
            grid_kwh=res.grid_kwh,
            location=location,
            charge_type=2.0 if dc else 1.0,
            charger_kw=kw_eff,
            target_soc=target,
            plug_in_s=plug_in,
            bms_err_start=err0,
            bms_err_end=st.bms_err,
            peak_kw=res.peak_power_kw,
            seq=float(len(self.knots)),
        )
        self.knots.append((res.knot_t_s, res.knot_soc, res.knot_current_a, res.knot_temp_c))
        st.ah_in += res.ah
        st.kwh_in += res.terminal_kwh
        hours = res.duration_s / 3600.0
        self._cycle_throughput(
            res.ah,
            res.ah / st.cap / max(hours, 1e-6),
            0.5 * (temp0 + st.temp),
            0.5 * (soc0 + st.soc),
        )
        self._calendar(0.5 * (temp0 + st.temp), 0.5 * (soc0 + st.soc), hours / 24)
        self._track(soc0, st.soc, 0.5 * (temp0 + st.temp), res.duration_s)
        st.t = t_start + res.duration_s
        st.branch = "charge"
        self._close_days(st.t)

    # ------------------------------------------------------------------ behaviour
    def _legs(self, blocks: list[int], dest: int) -> list[tuple[list[int], int]]:
        """Split a trip longer than a charge allows into legs with a public stop between them.

        A driver on a long trip stops to fast-charge en route; without this a trip planned
        beyond the pack's range would drive the simulated SoC below zero.
        """
        legs: list[tuple[list[int], int]] = []
        cur: list[int] = []
        for b in blocks:
            if cur and self._need_pct([*cur, b]) > _MAX_LEG_PCT:
                legs.append((cur, PUBLIC))
                cur = []
            cur.append(b)
        legs.append((cur, dest))
        return legs

    def _need_pct(self, blocks: list[int]) -> float:
        km = float(sum(self.spec.drive.moments.distance_km[b] for b in blocks))
        # a range estimate with a winter/motorway margin (0.28 kWh/km at the pack)
        return 100.0 * km * 0.28 / (self.st.cap * self.model.nominal_voltage_v / 1000.0)

    def _decide(self, loc: int, stay_s: float, need_pct: float) -> tuple | None:
        """(dc, kW, target SoC, location, start delay s) of the charge to do, or None."""
        st = self.st
        prof = self.spec.profile
        arch = prof.charging
        soc = st.soc
        rng = self.rng
        has_home = arch in ("home_ac_limit", "always_100")
        full_due = self.spec.weekly_full_charge and st.t - st.last_full_s > 6.5 * 86400
        if has_home and loc == HOME and stay_s > 3 * 3600:
            limit = 100.0 if full_due else prof.charge_limit_pct
            if soc < prof.plug_threshold_pct or soc - need_pct < 30.0 or full_due:
                delay = float(rng.uniform(60, 900))
                if prof.timer_start_h is not None and limit < 100.0:
                    local_h = ((st.t - self.t0) / 3600.0 + self.offset_h) % 24.0
                    wait_h = (prof.timer_start_h - local_h) % 24.0
                    if wait_h * 3600.0 < stay_s - 4 * 3600.0:
                        delay = max(delay, wait_h * 3600.0)
                return (False, prof.home_charger_kw, limit, HOME, delay)
        if arch == "public_opportunistic" and loc != HOME and stay_s > 1.5 * 3600 and soc < 75:
            return (
                False,
                prof.public_ac_kw,
                prof.charge_limit_pct,
                loc,
                float(rng.uniform(120, 900)),
            )
        if arch == "public_opportunistic" and loc == HOME and stay_s > 8 * 3600 and soc < 30:
            # occasional slow charge at home from a domestic socket
            return (False, 2.3, 80.0, HOME, float(rng.uniform(300, 1800)))
        dc_threshold = prof.dc_threshold_pct if arch == "dc_fast_heavy" else 12.0
        if arch == "public_opportunistic":
            dc_threshold = 18.0
        if soc < dc_threshold or soc - need_pct < 8.0:
            kw = float(rng.choice([50.0, 150.0, 250.0], p=[0.3, 0.45, 0.25]))
            return (True, kw, prof.dc_target_pct, PUBLIC, float(rng.uniform(60, 600)))
        return None

    def stay(self, t1: float, loc: int, need_pct: float) -> None:
        """Be parked at ``loc`` until ``t1`` (or later if a fast charge overruns)."""
        st = self.st
        decision = self._decide(loc, t1 - st.t, need_pct)
        if decision is None:
            self.park(t1, loc, plugged=False)
            return
        dc, kw, target, cloc, delay = decision
        if dc:  # connect, authorise, then power flows
            plug_in = st.t + delay - float(self.rng.uniform(20.0, min(90.0, delay)))
        else:
            plug_in = st.t + min(float(self.rng.uniform(30, 300)), delay)
        self.park(st.t + delay, cloc, plugged=not dc and delay > 600)
        n_before = len(self.ev["kind"])
        latest = None if dc else t1 - float(self.rng.uniform(120, 900))
        self.charge(dc, kw, target, cloc, plug_in, latest)
        charged = len(self.ev["kind"]) > n_before
        unplug = st.t + float(self.rng.uniform(60, 600)) if dc else max(t1 - 60.0, st.t)
        if charged:
            self.ev["plug_out_s"][-1] = unplug
        if dc:
            self.park(max(unplug, t1), cloc if st.t < t1 - 1800 else loc, plugged=False)
        else:
            self.park(t1, cloc, plugged=charged)

    def run(self) -> VehicleRun:
        prof = self.spec.profile
        block_km = self.spec.drive.moments.distance_km
        trips: list[tuple[float, list[int], int]] = []
        for d in range(self.days):
            day = self.start.toordinal() + d
            weekday = date.fromordinal(day).weekday()
            plan = plan_day(prof, weekday, block_km, self.rng)
            base = self.t0 + d * 86400.0 - self.offset_h * 3600.0
            for h, blocks, dest in zip(plan.depart_h, plan.blocks, plan.destination, strict=True):
                trips.append((base + h * 3600.0, blocks, dest))
        loc = HOME
        for dep, blocks, dest in trips:
            if dep >= self.t_end:
                break
            for leg, leg_dest in self._legs(blocks, dest):
                dep = max(dep, self.st.t + 120.0)
                self.stay(dep, loc, self._need_pct(leg))
                if self.st.t >= self.t_end:
                    break
                self.drive(leg, leg_dest)
                loc = leg_dest
            if self.st.t >= self.t_end:
                break
        if self.st.t < self.t_end:
            self.stay(self.t_end, loc, 0.0)
        self._close_days(self.t_end + 1.0)
        events = {c: np.asarray(v, dtype=float) for c, v in self.ev.items()}
        daily = {c: np.asarray(v, dtype=float) for c, v in self.daily.items()}
        return VehicleRun(
            self.spec,
            self.start,
            self.days,
            events,
            daily,
            self.blocks,
            self.knots,
            self.ambient,
            self.lp,
        )


def simulate_vehicle(spec: VehicleSpec, start: date, days: int) -> VehicleRun:
    """Run the event loop of one vehicle over ``days`` days from ``start``."""
    return _Sim(spec, start, days).run()
