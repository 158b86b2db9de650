"""Fleet calibration of BMS-reported values: each make and model's bias, learnt from its cars.

A BMS SoH or capacity figure is a sensor whose offset depends on how the maker defines it
(usable or gross energy, buffers, rounding). The offset is learnt from the vehicles where
physical methods (charge counting, OCV) pin the level down, per make and model, and given
as the prior of that method's bias to every car of the model — so a car with only BMS data
gets a calibrated estimate, and a car whose BMS departs from its model's typical offset is
flagged as disagreeing. Spread: the between-vehicle standard deviation (1 point when only
one car of a model is calibrated), inflated for the finite number of cars.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

__all__ = ["BMS_METHODS", "MIN_PHYSICAL_OBS", "bms_bias_priors"]

BMS_METHODS = ("bms_soh", "bms_capacity", "bms_energy")
MIN_PHYSICAL_OBS = 5  # kept charge-counting / OCV observations for a car to calibrate others
_SINGLE_CAR_SPREAD = 1.0
_FLOOR = 1.0  # no BMS offset is known better than a point from other cars


def bms_bias_priors(
    fits: list[tuple[str, str, int, dict[str, tuple[float, float]]]],
) -> dict[str, dict[str, tuple[float, float]]]:
    """Per vehicle: method -> (mean, sd) of its BMS bias, learnt from the *other* cars of its
    model (leave-one-out, so a car's own data is not counted twice).

    ``fits`` holds ``(vehicle_id, group, n_physical, biases)`` from each vehicle's first
    fusion; only cars with at least :data:`MIN_PHYSICAL_OBS` physical observations teach.
    """
    by: dict[tuple[str, str], list[tuple[str, float, float]]] = defaultdict(list)
    for vid, group, n_phys, biases in fits:
        if n_phys < MIN_PHYSICAL_OBS:
            continue
        for m, (b, sd) in biases.items():
            if m in BMS_METHODS and np.isfinite(b):
                by[(group, m)].append((vid, b, sd))
    out: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    for vid, group, _, _ in fits:
        for m in BMS_METHODS:
            vals = [(b, sd) for other, b, sd in by.get((group, m), []) if other != vid]
            if not vals:
                continue
            b = np.array([v[0] for v in vals])
            sd = np.array([v[1] for v in vals])
            spread = float(np.std(b, ddof=1)) if b.size >= 2 else _SINGLE_CAR_SPREAD
            prior_sd = float(np.sqrt(spread**2 * (1 + 1 / b.size) + np.mean(sd**2)))
            out[vid][m] = (float(np.mean(b)), max(prior_sd, _FLOOR))
    return dict(out)
