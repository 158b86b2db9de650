"""Degradation curves and forecasts: features, cohorts, a semi-empirical ageing model fitted
with partial pooling, forecasts with prediction intervals, milestones, what-ifs, attribution.

Entry points: :func:`analytics.forecast.stage.run_stage` (pipeline),
:func:`analytics.forecast.api.forecast_vehicles` (library, what-if scenarios),
:mod:`analytics.forecast.curves` and :mod:`analytics.forecast.figures` (curves for the app).
"""

__all__: list[str] = []
