"""Simulate a fleet and expose its truth and its car-reported telemetry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cached_property

import numpy as np
import polars as pl

from analytics.simulate.config import FleetConfig
from analytics.simulate.engine import VehicleRun, simulate_vehicle
from analytics.simulate.vehicle import VehicleSpec, make_vehicle

__all__ = ["Fleet", "fleet_specs", "simulate_fleet"]


def _allocate(shares: dict[str, float], n: int, rng: np.random.Generator) -> list[str]:
    keys = list(shares)
    w = np.array([shares[k] for k in keys], dtype=float)
    w = w / w.sum()
    raw = w * n
    counts = np.floor(raw).astype(int)
    for j in np.argsort(-(raw - counts))[: n - counts.sum()]:
        counts[j] += 1
    out = [k for k, c in zip(keys, counts, strict=True) for _ in range(c)]
    rng.shuffle(out)
    return out


def fleet_specs(config: FleetConfig) -> list[VehicleSpec]:
    """Hidden parameters of every vehicle of the fleet (deterministic for the seed)."""
    from analytics.simulate.models import vehicle_models

    config.validate()
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0xF1EE7]))
    n = config.vehicles
    models = _allocate(config.model_shares, n, rng)
    climates = _allocate(config.climate_shares, n, rng)
    usages = _allocate(config.usage_shares, n, rng)
    chargings = _allocate(config.charging_shares, n, rng)
    for i in range(n):
        if usages[i] == "ride_hail" and chargings[i] != "dc_fast_heavy" and rng.random() < 0.6:
            j = next(
                (
                    j
                    for j in range(n)
                    if chargings[j] == "dc_fast_heavy" and usages[j] != "ride_hail"
                ),
                None,
            )
            if j is not None:
                chargings[i], chargings[j] = chargings[j], chargings[i]
    catalog = vehicle_models()
    specs = []
    for i in range(n):
        seed = int(np.random.SeedSequence([config.seed, i]).generate_state(1)[0])
        specs.append(
            make_vehicle(
                i, f"SIM{i + 1:04d}", catalog[models[i]], climates[i], usages[i], chargings[i], seed
            )
        )
    return specs


def _run_one(args: tuple[VehicleSpec, date, int]) -> VehicleRun:
    return simulate_vehicle(*args)


def simulate_fleet(config: FleetConfig, progress: bool = False) -> Fleet:
    """Simulate every vehicle of ``config`` (in up to ``config.workers`` processes)."""
    specs = fleet_specs(config)
    jobs = [(s, config.start, config.days) for s in specs]
    workers = config.workers if config.workers is not None else 2
    workers = max(1, min(workers, len(jobs)))
    if workers == 1 or len(jobs) * config.days < 2000:
        runs = [_run_one(j) for j in jobs]
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # the event loop uses numpy/scipy only, so forking is safe and avoids re-imports
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
            runs = list(pool.map(_run_one, jobs, chunksize=max(1, len(jobs) // (8 * workers))))
    return Fleet(config, runs)


def _ts(seconds: np.ndarray) -> pl.Series:
    return pl.Series((np.asarray(seconds) * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC"))


class Fleet:
    """A simulated fleet: truth frames plus car-reported telemetry rendered on demand."""

    def __init__(self, config: FleetConfig, runs: list[VehicleRun]) -> None:
        self.config = config
        self.runs = runs
        self._by_id = {r.spec.vehicle_id: r for r in runs}

    @property
    def vehicle_ids(self) -> list[str]:
        return [r.spec.vehicle_id for r in self.runs]

    def run(self, vehicle_id: str) -> VehicleRun:
        """The event-level run of one vehicle (raises SimulationError if unknown)."""
        from analytics.errors import SimulationError

        if vehicle_id not in self._by_id:
            raise SimulationError(
                f"unknown vehicle {vehicle_id!r}: this fleet has {', '.join(self.vehicle_ids[:5])}..."
            )
        return self._by_id[vehicle_id]

    @cached_property
    def vehicles(self) -> pl.DataFrame:
        """Truth per vehicle."""
        from analytics.simulate.truth import vehicles_frame

        return vehicles_frame(self.runs)

    @cached_property
    def vehicle_days(self) -> pl.DataFrame:
        """Truth per vehicle and day (state at the end of the day)."""
        from analytics.simulate.truth import vehicle_days_frame

        return vehicle_days_frame(self.runs)

    @cached_property
    def sessions(self) -> pl.DataFrame:
        """Truth per session (drive, charge, park)."""
        from analytics.simulate.truth import sessions_frame

        return sessions_frame(self.runs)

    def telemetry(self, vehicle_id: str) -> pl.DataFrame:
        """Decoded car-reported telemetry (long: vehicle_id, ts, signal, value)."""
        from analytics.simulate.telemetry import telemetry_long

        return telemetry_long(self.run(vehicle_id))

    def highres(self, vehicle_id: str, day: date) -> pl.DataFrame:
        """1 Hz car-reported wide frame of one day (ts + catalog key columns)."""
        from analytics.simulate.highres import highres_frame

        return highres_frame(self.run(vehicle_id), day)

    def metadata(self) -> pl.DataFrame:
        """Vehicle metadata rows (the format the vehicles ingest reads)."""
        from analytics.simulate.truth import metadata_frame

        return metadata_frame(self.runs)

    def day_bounds(self, day: date) -> tuple[float, float]:
        t = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        return t, t + 86400.0

    def dates(self) -> list[date]:
        return [self.config.start + timedelta(days=k) for k in range(self.config.days)]
