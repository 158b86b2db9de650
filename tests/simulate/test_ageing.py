"""The ageing laws reproduce the published closed forms and anchor values they cite."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.chemistry import ocv_v
from analytics.simulate import ageing as ag


def _integrate(rate: float, z: float, steps: np.ndarray) -> float:
    loss = 0.0
    for dx in steps:
        loss = ag.power_law_step(loss, rate, float(dx), z)
    return loss


def test_schmalstieg_nmc_calendar_anchor() -> None:
    """Schmalstieg et al. 2014: alpha = (7.543 V - 23.75) 1e6 exp(-6976/T), loss = alpha t^0.75."""
    soc = 50.0
    v = float(ocv_v("NMC", soc))
    t_k = 273.15 + 35.0
    alpha = (7.543 * v - 23.75) * 1e6 * math.exp(-6976.0 / t_k)
    q, _ = ag.calendar_rate("NMC", 35.0, soc)
    assert float(q) == pytest.approx(alpha, rel=1e-9)
    # the paper's reference point: 3.7 V at 35 °C gives alpha ~ 6.1e-4 per day^0.75
    assert (7.543 * 3.7 - 23.75) * 1e6 * math.exp(-6976.0 / 308.15) == pytest.approx(
        6.14e-4, rel=0.01
    )
    # 500 days in uneven steps == closed form
    steps = np.random.default_rng(0).uniform(0.01, 3.0, 400)
    steps = steps / steps.sum() * 500.0
    assert _integrate(alpha, 0.75, steps) == pytest.approx(alpha * 500.0**0.75, rel=1e-9)


def test_schmalstieg_nmc_cycle_anchor() -> None:
    beta = ag.cycle_rate("NMC", 3.7, 0.5, 1.0, 35.0)
    assert beta == pytest.approx(7.348e-3 * (3.7 - 3.667) ** 2 + 7.60e-4 + 4.081e-3 * 0.5)
    # 1000 full cycles of the 2.15 Ah cell (4300 Ah throughput) at 50 % DOD: about 19 % loss
    loss = _integrate(beta, 0.5, np.full(100, 43.0))
    assert loss == pytest.approx(beta * math.sqrt(4300.0), rel=1e-9)
    assert 0.15 < loss < 0.2


def test_naumann_lfp_calendar_anchor() -> None:
    """Naumann et al. 2018: 25 °C, 50 % SoC: k = 1.2571e-5 * 0.60225 per sqrt(s)."""
    q, r = ag.calendar_rate("LFP", 25.0, 50.0)
    one_year_s = 365.0 * 86400.0
    expected = 1.2571e-5 * 0.60225 * math.sqrt(one_year_s)
    assert float(q) * math.sqrt(365.0) == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(0.0425, abs=0.0005)  # ~4.3 % after one year
    # resistance: 3.4194e-10 * 1.5604 per second, linear in time
    assert float(r) * 365.0 == pytest.approx(3.4194e-10 * 1.5604 * one_year_s, rel=1e-9)


def test_naumann_lfp_cycle_anchor() -> None:
    """Naumann et al. 2020: 1C, 100 % DOD: (0.0630 + 0.0971)(4.0253*0.064 + 1.0923) % per sqrt(FEC)."""
    k = ag.cycle_rate("LFP", 3.3, 1.0, 1.0, 25.0)
    assert k * 100 == pytest.approx((0.0630 + 0.0971) * (4.0253 * 0.4**3 + 1.0923), rel=1e-9)
    assert _integrate(k, 0.5, np.full(50, 20.0)) == pytest.approx(k * math.sqrt(1000.0), rel=1e-9)


def test_nca_calendar_and_cycle_anchor() -> None:
    q, _ = ag.calendar_rate("NCA", 25.0, 50.0)
    t_k = 298.15
    assert float(q) == pytest.approx(75.4 * math.exp(-3340.0 / t_k) * math.exp(353.0 * 0.5 / t_k))
    # about 3.8 % after a year at 25 °C and 50 % SoC
    assert float(q) * 365.0**0.512 == pytest.approx(0.038, abs=0.002)
    k = ag.cycle_rate("NCA", 3.7, 0.8, 0.5, 25.0)
    assert k == pytest.approx((1.86e-6 + 4.74e-11 * 0.5 + 1.77e-4 * 0.8) * 2.0, rel=1e-6)


@pytest.mark.parametrize("chem", ["NMC", "NCA", "LFP"])
def test_monotone_in_temperature_and_soc(chem: str) -> None:
    q_cool, _ = ag.calendar_rate(chem, 15.0, 60.0)
    q_hot, _ = ag.calendar_rate(chem, 40.0, 60.0)
    q_high, _ = ag.calendar_rate(chem, 15.0, 95.0)
    assert q_hot > q_cool and q_high > q_cool


@pytest.mark.parametrize("chem", ["NMC", "NCA", "LFP"])
def test_factored_coefficients_match_the_reference(chem: str) -> None:
    for soc in (10.0, 50.0, 90.0):
        aq, bq, ar, br = ag.calendar_coefficients(chem, soc)
        for temp in (-5.0, 25.0, 45.0):
            q, r = ag.calendar_rate(chem, temp, soc)
            assert aq * math.exp(bq / (temp + 273.15)) == pytest.approx(float(q), rel=1e-9)
            if chem != "NCA":
                assert ar * math.exp(br / (temp + 273.15)) == pytest.approx(float(r), rel=1e-9)
