"""One simulated vehicle: model, pack, user, climate and the hidden per-vehicle spread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.simulate.behaviour import Profile, make_profile
from analytics.simulate.climate import CLIMATES
from analytics.simulate.drive import VehicleDrive, make_vehicle_drive
from analytics.simulate.models import VehicleModel
from analytics.simulate.pack import PackParams, make_pack

__all__ = ["BmsParams", "LoggerParams", "VehicleSpec", "make_vehicle"]


@dataclass(frozen=True)
class BmsParams:
    """Errors of what the car reports (hidden from the warehouse)."""

    current_gain: float  # relative gain error of the current sensor
    current_offset_a: float  # offset of the current sensor
    soh_bias_pct: float  # bias of the BMS capacity / SoH estimate
    soh_lag_days: float  # time constant with which the BMS estimate follows the truth
    recal_sigma_pct: float  # SoC error left after an OCV recalibration on a steep curve
    voltage_noise_v: float
    temp_offset_c: float


@dataclass(frozen=True)
class LoggerParams:
    """Telematics logger quality: gaps, dropped samples, clock jumps."""

    gap_rate_per_day: float
    drop_fraction: float
    clock_jump_per_year: float


@dataclass(frozen=True)
class VehicleSpec:
    """Everything needed to simulate one vehicle deterministically."""

    vehicle_id: str
    index: int
    model: VehicleModel
    climate: str
    profile: Profile
    pack: PackParams
    drive: VehicleDrive
    initial_capacity_ah: float
    cal_multiplier: float
    cyc_multiplier: float
    has_knee: bool
    knee_onset_loss: float
    knee_coeff: float
    park_drain_w: float
    weekly_full_charge: bool
    bms: BmsParams
    logger: LoggerParams
    home_lat_lon: tuple[float, float]
    work_lat_lon: tuple[float, float]
    seed: int


def make_vehicle(
    index: int,
    vehicle_id: str,
    model: VehicleModel,
    climate: str,
    usage: str,
    charging: str,
    seed: int,
) -> VehicleSpec:
    """Draw one vehicle's hidden parameters from its own random stream."""
    rng = np.random.default_rng(seed)
    pack = make_pack(model, rng)
    drive = make_vehicle_drive(model, rng, pack.tau1_s)
    prof = make_profile(usage, charging, rng)
    lfp = model.chemistry == "LFP"
    if lfp and charging == "home_ac_limit" and rng.random() < 0.6:
        prof = Profile(**{**prof.__dict__, "charge_limit_pct": 100.0})
    cli = CLIMATES[climate]
    home = (cli.latitude_deg + rng.normal(0, 0.08), cli.longitude_deg + rng.normal(0, 0.12))
    work = (home[0] + rng.normal(0, 0.1), home[1] + rng.normal(0, 0.14))
    has_knee = bool(rng.random() < 0.12)
    bms = BmsParams(
        current_gain=float(np.clip(rng.normal(0, 0.004), -0.01, 0.01)),
        current_offset_a=float(rng.normal(0, 0.08)),
        soh_bias_pct=model.bms_soh_bias_pct + float(rng.normal(0, 0.8)),
        soh_lag_days=float(rng.uniform(20.0, 90.0)),
        recal_sigma_pct=float(rng.uniform(0.3, 0.8)),
        voltage_noise_v=float(rng.uniform(0.05, 0.2)),
        temp_offset_c=float(rng.normal(0, 0.5)),
    )
    logger = LoggerParams(
        gap_rate_per_day=float(rng.uniform(0.005, 0.04)),
        drop_fraction=float(rng.uniform(0.002, 0.02)),
        clock_jump_per_year=float(rng.choice([0.0, 1.0, 3.0], p=[0.6, 0.3, 0.1])),
    )
    return VehicleSpec(
        vehicle_id=vehicle_id,
        index=index,
        model=model,
        climate=climate,
        profile=prof,
        pack=pack,
        drive=drive,
        initial_capacity_ah=model.nominal_capacity_ah * float(rng.normal(1.015, 0.008)),
        cal_multiplier=float(rng.lognormal(0.0, 0.15)),
        cyc_multiplier=float(rng.lognormal(0.0, 0.2)),
        has_knee=has_knee,
        knee_onset_loss=float(rng.uniform(0.025, 0.05)),
        knee_coeff=float(rng.uniform(0.02, 0.05)),
        park_drain_w=float(rng.uniform(6.0, 14.0)) + (15.0 if model.make == "Tesla" else 0.0),
        weekly_full_charge=lfp and bool(rng.random() < 0.7),
        bms=bms,
        logger=logger,
        home_lat_lon=(float(home[0]), float(home[1])),
        work_lat_lon=(float(work[0]), float(work[1])),
        seed=seed,
    )
