-- 0007: the uncertainty of each charge session's grid-side energy (see docs/charging.md).
-- A car's charger-power figure may be metered at the inlet or scaled from pack power; the
-- charging stage says which in grid_energy_method and how far the figure may be off here.

ALTER TABLE charging_sessions ADD COLUMN grid_energy_unc_kwh DOUBLE;  -- +/- kWh, see method
