"""Fleet configuration: size, period, seed and mix of models, climates and archetypes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

__all__ = ["DEMO_CONFIG", "FleetConfig"]


@dataclass(frozen=True)
class FleetConfig:
    """What fleet to simulate. Shares are relative weights; every vehicle draws its hidden
    parameters from its own seeded stream, so a vehicle does not change when the fleet grows."""

    vehicles: int
    days: int
    seed: int
    start: date = date(2023, 1, 1)
    model_shares: dict[str, float] = field(
        default_factory=lambda: {
            "bolt_ev_2020": 0.2,
            "id3_pure_2020": 0.2,
            "model3_srp_lfp_2021": 0.2,
            "model3_lr_2020": 0.2,
            "kona_64_2020": 0.2,
        }
    )
    climate_shares: dict[str, float] = field(
        default_factory=lambda: {"temperate": 0.5, "hot": 0.25, "cold": 0.25}
    )
    usage_shares: dict[str, float] = field(
        default_factory=lambda: {
            "commuter": 0.45,
            "low_use": 0.2,
            "weekend": 0.2,
            "ride_hail": 0.15,
        }
    )
    charging_shares: dict[str, float] = field(
        default_factory=lambda: {
            "home_ac_limit": 0.45,
            "always_100": 0.2,
            "public_opportunistic": 0.2,
            "dc_fast_heavy": 0.15,
        }
    )
    workers: int | None = None  # processes; None = up to 2

    def validate(self) -> None:
        """Raise ConfigError on values that cannot be simulated."""
        from analytics.errors import ConfigError
        from analytics.simulate.behaviour import CHARGING_ARCHETYPES, USAGE_ARCHETYPES
        from analytics.simulate.climate import CLIMATES
        from analytics.simulate.models import MODEL_KEYS

        if self.vehicles < 1:
            raise ConfigError("vehicles must be at least 1")
        if self.days < 1:
            raise ConfigError("days must be at least 1")
        for name, shares, known in (
            ("model", self.model_shares, MODEL_KEYS),
            ("climate", self.climate_shares, tuple(CLIMATES)),
            ("usage", self.usage_shares, USAGE_ARCHETYPES),
            ("charging", self.charging_shares, CHARGING_ARCHETYPES),
        ):
            bad = sorted(set(shares) - set(known))
            if bad or not shares or min(shares.values()) < 0 or sum(shares.values()) <= 0:
                raise ConfigError(
                    f"bad {name} shares {shares!r}: use non-negative weights over {', '.join(known)}"
                )


# 30 vehicles: six of each model, so every vehicle has a cohort of five others to be compared with.
DEMO_CONFIG = FleetConfig(vehicles=30, days=730, seed=7)
