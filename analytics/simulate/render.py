"""Render a vehicle's events into true per-sample states (the physics, before the car's errors).

Drives are rendered from their 1 Hz block arrays at the sample seconds only: the state of
charge follows the cumulative pack energy of the trip, the RC-pair voltage follows the
low-passed power, the current solves the power balance at that instant. Charges interpolate
their SoC-grid knots; parks relax the pack temperature towards the low-passed ambient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

import numpy as np

from analytics.simulate.engine import CHARGE, DRIVE, PARK, VehicleRun
from analytics.simulate.pack import pack_ocv_v, resistance_factor, solve_current_a

__all__ = ["DriveTrace", "SampleTable", "drive_trace_1hz", "render_samples"]


@dataclass
class SampleTable:
    """True state at each sample time (numpy columns of equal length, sorted by time)."""

    ts_s: np.ndarray
    kind: np.ndarray
    event: np.ndarray
    soc_pct: np.ndarray
    current_a: np.ndarray
    voltage_v: np.ndarray
    ocv_v: np.ndarray
    temp_c: np.ndarray
    speed_kmh: np.ndarray
    frac: np.ndarray  # progress through the event, 0..1


def _park_samples(ev: dict[str, np.ndarray], idx: np.ndarray, period_s: float):
    start, end = ev["start_s"][idx], ev["end_s"][idx]
    n = np.maximum(np.ceil((end - start) / period_s).astype(np.int64), 1)
    rep = np.repeat(idx, n)
    first = np.repeat(np.cumsum(n) - n, n)
    k = np.arange(rep.size) - first
    ts = np.repeat(start, n) + k * period_s
    return ts, rep


def _event_times(ev, idx: np.ndarray, period: np.ndarray):
    """Sample times from each event's start every ``period`` s, plus its last second."""
    start, end = ev["start_s"][idx], ev["end_s"][idx]
    n = np.floor((end - start - 1.0) / period).astype(np.int64) + 1
    n = np.maximum(n, 1)
    rep = np.repeat(np.arange(idx.size), n)
    first = np.repeat(np.cumsum(n) - n, n)
    k = np.arange(rep.size) - first
    ts = start[rep] + k * period[rep]
    # add the last second of each event so that event ends are observed
    last = np.maximum(end - 1.0, start)
    extra = np.flatnonzero(last - (start + (n - 1) * period) > 0.5)
    ts = np.concatenate([ts, last[extra]])
    rep = np.concatenate([rep, extra])
    order = np.lexsort((ts, rep))
    return ts[order], idx[rep[order]]


def render_samples(
    run: VehicleRun,
    drive_period_s: float,
    ac_period_s: float,
    dc_period_s: float,
    park_period_s: float,
    window_s: tuple[float, float] | None = None,
) -> SampleTable:
    """True states at export sample times for all events of ``run`` (or those overlapping
    ``window_s``, a (start, end) pair of epoch seconds; samples outside it are dropped)."""
    ev = run.events
    pack = run.spec.pack
    kind = ev["kind"].astype(np.int64)
    if window_s is not None:
        outside = (ev["end_s"] <= window_s[0]) | (ev["start_s"] >= window_s[1])
        kind = np.where(outside, -1, kind)
    parts: list[dict[str, np.ndarray]] = []

    # ---- drives
    d_idx = np.flatnonzero(kind == DRIVE)
    if d_idx.size:
        drive = run.spec.drive
        seqs = ev["seq"][d_idx].astype(np.int64)
        blocks = [run.drive_blocks[s] for s in seqs]
        lens = np.array([sum(drive.speed_kmh[b].size for b in bl) for bl in blocks])
        spd = np.concatenate([drive.speed_kmh[b] for bl in blocks for b in bl])
        pw = np.concatenate([drive.power_w[b] for bl in blocks for b in bl])
        lp = np.concatenate([drive.lowpass_w[b] for bl in blocks for b in bl])
        offs = np.cumsum(lens) - lens
        ts, eidx = _event_times(ev, d_idx, np.full(d_idx.size, drive_period_s))
        pos = np.searchsorted(d_idx, eidx)
        sec = np.clip((ts - ev["start_s"][eidx]).astype(np.int64), 0, lens[pos] - 1)
        gi = offs[pos] + sec
        aux = ev["aux_w"][eidx]
        p = pw[gi] + aux
        # energy progress through the trip from the cumulative power (incl. aux)
        cum = np.cumsum(pw)
        cum_start = cum[offs] - pw[offs]
        cum_end = cum[offs + lens - 1]
        tot = cum_end - cum_start + lens * ev["aux_w"][d_idx]
        tot = np.where(np.abs(tot) < 1.0, 1.0, tot)
        done = cum[gi] - cum_start[pos] + aux * (sec + 1)
        frac = np.clip(done / tot[pos], 0.0, 1.0)
        soc = ev["soc_start"][eidx] + (ev["soc_end"][eidx] - ev["soc_start"][eidx]) * frac
        temp = ev["temp_start"][eidx] + (ev["temp_end"][eidx] - ev["temp_start"][eidx]) * frac
        rf = resistance_factor(temp, soc) * ev["r_growth"][eidx]
        emf = pack_ocv_v(pack, soc, "discharge")
        r0 = pack.r0_ohm * rf
        v_rc = pack.r1_ohm * rf * (lp[gi] + aux) / emf
        cur = solve_current_a(p, emf - v_rc, r0)
        parts.append(
            dict(
                ts=ts,
                event=eidx,
                soc=soc,
                cur=cur,
                volt=emf - v_rc - cur * r0,
                ocv=emf,
                temp=temp,
                speed=spd[gi],
                frac=frac,
            )
        )

    # ---- charges
    c_idx = np.flatnonzero(kind == CHARGE)
    if c_idx.size:
        period = np.where(ev["charge_type"][c_idx] == 2, dc_period_s, ac_period_s)
        ts, eidx = _event_times(ev, c_idx, period)
        seqs = ev["seq"][eidx].astype(np.int64)
        # per-event interpolation on the knots, vectorised by offsetting each event's knot
        # times into one increasing axis
        kt = [run.charge_knots[s][0] for s in range(len(run.charge_knots))]
        span = max((k[-1] for k in kt), default=1.0) + 10.0
        base = np.arange(len(kt)) * span
        axis = np.concatenate([k + b for k, b in zip(kt, base, strict=True)])
        ksoc = np.concatenate([run.charge_knots[s][1] for s in range(len(kt))])
        kcur = np.concatenate([run.charge_knots[s][2] for s in range(len(kt))])
        ktmp = np.concatenate([run.charge_knots[s][3] for s in range(len(kt))])
        x = base[seqs] + np.clip(ts - ev["start_s"][eidx], 0, None)
        soc = np.interp(x, axis, ksoc)
        # the current is constant within each SoC step: take the step's value, not a ramp
        n_knots = np.array([k.size for k in kt])
        last_knot = np.cumsum(n_knots) - 1
        j = np.minimum(np.searchsorted(axis, x, side="right"), last_knot[seqs])
        cur = kcur[j]
        temp = np.interp(x, axis, ktmp)
        dur = np.maximum(ev["end_s"][eidx] - ev["start_s"][eidx], 1.0)
        rf = resistance_factor(temp, soc) * ev["r_growth"][eidx]
        emf = pack_ocv_v(pack, soc, "charge")
        volt = emf - cur * (pack.r0_ohm + pack.r1_ohm) * rf
        parts.append(
            dict(
                ts=ts,
                event=eidx,
                soc=soc,
                cur=cur,
                volt=volt,
                ocv=emf,
                temp=temp,
                speed=np.zeros(ts.size),
                frac=np.clip((ts - ev["start_s"][eidx]) / dur, 0, 1),
            )
        )

    # ---- parks
    p_idx = np.flatnonzero(kind == PARK)
    if p_idx.size:
        ts, eidx = _park_samples(ev, p_idx, park_period_s)
        dur = np.maximum(ev["end_s"][eidx] - ev["start_s"][eidx], 1.0)
        frac = np.clip((ts - ev["start_s"][eidx]) / dur, 0, 1)
        soc = ev["soc_start"][eidx] + (ev["soc_end"][eidx] - ev["soc_start"][eidx]) * frac
        hours = (ts - _epoch0(run)) / 3600.0
        hours0 = (ev["start_s"][eidx] - _epoch0(run)) / 3600.0
        grid = np.arange(run.park_temp_c.size)
        lp_t = np.interp(hours, grid, run.park_temp_c)
        lp_0 = np.interp(hours0, grid, run.park_temp_c)
        tau_s = pack.heat_capacity_j_k / pack.ua_park_w_k
        temp = lp_t + (ev["temp_start"][eidx] - lp_0) * np.exp(-(ts - ev["start_s"][eidx]) / tau_s)
        prev_charge = _previous_kind(kind, eidx) == CHARGE
        emf = np.where(
            prev_charge, pack_ocv_v(pack, soc, "charge"), pack_ocv_v(pack, soc, "discharge")
        )
        cur = ev["aux_w"][eidx] / emf
        rf = resistance_factor(temp, soc) * ev["r_growth"][eidx]
        parts.append(
            dict(
                ts=ts,
                event=eidx,
                soc=soc,
                cur=cur,
                volt=emf - cur * pack.r0_ohm * rf,
                ocv=emf,
                temp=temp,
                speed=np.zeros(ts.size),
                frac=frac,
            )
        )

    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(cat["ts"], kind="stable")
    cat = {k: v[order] for k, v in cat.items()}
    if window_s is not None:
        sel = (cat["ts"] >= window_s[0]) & (cat["ts"] < window_s[1])
        cat = {k: v[sel] for k, v in cat.items()}
    kind = ev["kind"].astype(np.int64)
    return SampleTable(
        ts_s=cat["ts"],
        kind=kind[cat["event"]],
        event=cat["event"],
        soc_pct=cat["soc"],
        current_a=cat["cur"],
        voltage_v=cat["volt"],
        ocv_v=cat["ocv"],
        temp_c=cat["temp"],
        speed_kmh=cat["speed"],
        frac=cat["frac"],
    )


def _epoch0(run: VehicleRun) -> float:
    from datetime import datetime

    d = run.start
    return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()


def _previous_kind(kind: np.ndarray, eidx: np.ndarray) -> np.ndarray:
    """Kind of the last active (drive or charge) event before each event index."""
    active = np.where(kind != PARK, np.arange(kind.size), -1)
    last = np.maximum.accumulate(active)
    prev = last[np.maximum(eidx - 1, 0)]
    return np.where(prev >= 0, kind[np.maximum(prev, 0)], DRIVE)


@dataclass
class DriveTrace:
    """Exact 1 Hz physics of one trip (what the event loop approximates by power sums)."""

    t_s: np.ndarray
    speed_kmh: np.ndarray
    traction_w: np.ndarray
    aux_w: float
    current_a: np.ndarray
    voltage_v: np.ndarray
    ocv_v: np.ndarray
    v_rc_v: np.ndarray
    soc_pct: np.ndarray
    temp_c: np.ndarray
    r0_ohm: np.ndarray
    r1_ohm: np.ndarray


def drive_trace_1hz(run: VehicleRun, event: int) -> DriveTrace:
    """Integrate one drive event second by second: SoC from the current, RC pair by an exact
    first-order filter, current from the power balance at the terminal voltage."""
    from scipy.signal import lfilter

    ev = run.events
    if int(ev["kind"][event]) != DRIVE:
        raise ValueError(f"event {event} is not a drive")
    pack = run.spec.pack
    drive = run.spec.drive
    blocks = run.drive_blocks[int(ev["seq"][event])]
    spd = np.concatenate([drive.speed_kmh[b] for b in blocks])
    trac = np.concatenate([drive.power_w[b] for b in blocks])
    aux = float(ev["aux_w"][event])
    p = trac + aux
    n = p.size
    cap = float(ev["cap_ah"][event])
    frac = np.arange(1, n + 1) / n
    temp = ev["temp_start"][event] + (ev["temp_end"][event] - ev["temp_start"][event]) * frac
    soc = np.full(n, float(ev["soc_start"][event]))
    a = np.exp(-1.0 / pack.tau1_s)
    cur = np.zeros(n)
    for _ in range(4):  # fixed point: SoC and RC voltage depend on the current
        rf = resistance_factor(temp, soc) * ev["r_growth"][event]
        r0 = pack.r0_ohm * rf
        r1 = pack.r1_ohm * rf
        emf = pack_ocv_v(pack, soc, "discharge")
        i_rc = lfilter([1.0 - a], [1.0, -a], cur)
        v_rc = r1 * i_rc
        cur = solve_current_a(p, emf - v_rc, r0)
        soc = ev["soc_start"][event] - 100.0 * (np.cumsum(cur) - 0.5 * cur) / 3600.0 / cap
    i_rc = lfilter([1.0 - a], [1.0, -a], cur)
    v_rc = r1 * i_rc
    volt = emf - v_rc - cur * r0
    return DriveTrace(
        t_s=ev["start_s"][event] + np.arange(n, dtype=float),
        speed_kmh=spd,
        traction_w=trac,
        aux_w=aux,
        current_a=cur,
        voltage_v=volt,
        ocv_v=emf,
        v_rc_v=v_rc,
        soc_pct=soc,
        temp_c=temp,
        r0_ohm=r0,
        r1_ohm=r1,
    )
