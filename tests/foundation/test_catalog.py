"""The signal catalog is a contract: unique names, known units, sane ranges."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.catalog import UNITS, canonical_unit, conversion, load_catalog
from analytics.errors import CatalogError

REQUIRED_PATHS = [
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed",
    "Vehicle.Powertrain.TractionBattery.CurrentVoltage",
    "Vehicle.Powertrain.TractionBattery.CurrentCurrent",
    "Vehicle.Powertrain.TractionBattery.CurrentPower",
    "Vehicle.Powertrain.TractionBattery.Temperature.Average",
    "Vehicle.Powertrain.TractionBattery.Temperature.Min",
    "Vehicle.Powertrain.TractionBattery.Temperature.Max",
    "Vehicle.Powertrain.TractionBattery.CellVoltage.Min",
    "Vehicle.Powertrain.TractionBattery.CellVoltage.Max",
    "Vehicle.Powertrain.TractionBattery.GrossCapacity",
    "Vehicle.Powertrain.TractionBattery.NetCapacity",
    "Vehicle.Powertrain.TractionBattery.StateOfHealth",
    "Vehicle.Powertrain.TractionBattery.AccumulatedChargedEnergy",
    "Vehicle.Powertrain.TractionBattery.AccumulatedConsumedEnergy",
    "Vehicle.Powertrain.TractionBattery.Charging.IsCharging",
    "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit",
    "Vehicle.Powertrain.TractionBattery.Charging.ChargeCurrent.AC",
    "Vehicle.Powertrain.TractionBattery.Charging.ChargeCurrent.DC",
    "Vehicle.Powertrain.TractionBattery.Charging.ChargeVoltage.Phase1",
    "Vehicle.Powertrain.TractionBattery.Charging.ChargeVoltage.DC",
    "Vehicle.Powertrain.TractionBattery.Charging.Power",
    "Vehicle.TraveledDistance",
    "Vehicle.Speed",
    "Vehicle.Exterior.AirTemperature",
    "Vehicle.CurrentLocation.Latitude",
    "Vehicle.CurrentLocation.Longitude",
    "Vehicle.Powertrain.Range",
]


def test_catalog_has_required_signals():
    cat = load_catalog()
    missing = [p for p in REQUIRED_PATHS if p not in cat]
    assert missing == []


def test_names_are_unique_across_paths_aliases_and_keys():
    cat = load_catalog()
    names = [n for s in cat for n in (s.path, s.dimo_alias, s.key)]
    assert len(names) == len(set(names))


def test_paths_are_vss_and_aliases_are_lower_camel():
    for s in load_catalog():
        assert re.fullmatch(r"Vehicle(\.[A-Z][A-Za-z0-9]*)+", s.path), s.path
        assert re.fullmatch(r"[a-z][A-Za-z0-9]*", s.dimo_alias), s.dimo_alias
        assert re.fullmatch(r"[a-z][a-z0-9_]*", s.key), s.key
        assert s.dimo_status in {"published", "derived"}


def test_derived_aliases_follow_dimo_flattening():
    """Aliases DIMO does not publish follow its rule: drop 'Vehicle.', lowerCamelCase the rest."""
    for s in load_catalog():
        if s.dimo_status != "derived":
            continue
        parts = s.path.split(".")[1:]
        expected = parts[0][0].lower() + parts[0][1:] + "".join(parts[1:])
        assert s.dimo_alias == expected


def test_units_known_and_ranges_sane():
    for s in load_catalog():
        assert s.unit in UNITS
        assert s.dimo_unit in UNITS
        assert UNITS[s.unit].dimension == UNITS[s.dimo_unit].dimension
        assert s.min < s.max
        assert s.description


def test_sign_convention_of_pack_current_matches_vss():
    cur = load_catalog().get("Vehicle.Powertrain.TractionBattery.CurrentCurrent")
    assert "out of the pack" in cur.sign and cur.min < 0 < cur.max


def test_lookup_by_alias_and_key():
    cat = load_catalog()
    assert cat.path("powertrainTransmissionTravelledDistance") == "Vehicle.TraveledDistance"
    assert cat.path("soc_bms_pct") == "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"


def test_unknown_signal_lists_close_matches():
    with pytest.raises(
        CatalogError, match="did you mean powertrainTractionBatteryStateOfChargeCurrent"
    ):
        load_catalog().get("powertrainTractionBatteryStateOfChargeCurent")


@pytest.mark.parametrize(
    ("src", "dst", "value", "expected"),
    [
        ("degF", "celsius", 212.0, 100.0),
        ("K", "celsius", 273.15, 0.0),
        ("mi", "km", 1.0, 1.609344),
        ("mph", "km/h", 60.0, 96.56064),
        ("Wh", "kWh", 1500.0, 1.5),
        ("kW", "W", 7.2, 7200.0),
        ("%", "percent", 55.0, 55.0),
        ("fraction", "percent", 0.5, 50.0),
    ],
)
def test_conversions(src, dst, value, expected):
    scale, offset = conversion(src, dst)
    assert value * scale + offset == pytest.approx(expected)


@given(
    st.sampled_from(["celsius", "fahrenheit", "K"]),
    st.sampled_from(["celsius", "fahrenheit", "K"]),
    st.floats(-100, 200, allow_nan=False),
)
def test_conversion_round_trip(a, b, x):
    s1, o1 = conversion(a, b)
    s2, o2 = conversion(b, a)
    assert (x * s1 + o1) * s2 + o2 == pytest.approx(x, abs=1e-9)


def test_incompatible_and_unknown_units_raise():
    with pytest.raises(CatalogError, match="cannot convert"):
        conversion("V", "A")
    with pytest.raises(CatalogError, match="unknown unit"):
        canonical_unit("furlongs")
