"""Charge-behaviour models: charging sessions, habits, battery stress, flexibility, scheduling.

Submodules (imported on use, so ``import analytics.charging`` stays cheap):

- :mod:`~analytics.charging.build` — ``charging_sessions`` rows for one vehicle;
- :mod:`~analytics.charging.location` — home / work / public from coordinates or patterns;
- :mod:`~analytics.charging.profiles` — session types, vehicle archetypes, stability;
- :mod:`~analytics.charging.stress` — stress indicators and the treatment score;
- :mod:`~analytics.charging.flexibility` — hourly flexibility envelope;
- :mod:`~analytics.charging.tariff`, :mod:`~analytics.charging.schedule`,
  :mod:`~analytics.charging.simulate` — managed charging against a tariff;
- :mod:`~analytics.charging.forecast` — 7-day fleet load forecast;
- :mod:`~analytics.charging.stage` — ``run_stage(wh, vehicles=None)``.
"""

__all__: list[str] = []
