"""The treatment score: known penalties for known indicators."""

from __future__ import annotations

import polars as pl
import pytest

from analytics.charging.stress import SCORE_TERMS, treatment_score


def _row(**kw):
    base = {c: 0.0 for c, *_ in SCORE_TERMS.values()}
    base["typical_dod_pct"] = 30.0
    base.update(kw)
    return pl.DataFrame([base])


def test_gentle_use_scores_100():
    out = treatment_score(_row())
    assert out["treatment_score"][0] == 100.0
    assert out["main_driver"][0] == "none"


def test_each_penalty_is_linear_between_benign_and_harsh():
    out = treatment_score(
        _row(dc_energy_share=0.4, share_time_above_90_pct=0.5, typical_dod_pct=55.0)
    )
    # dc: half of 20; high SoC: full 25; dod: half of 20
    assert out["penalty_dc"][0] == pytest.approx(10.0)
    assert out["penalty_high_soc"][0] == pytest.approx(25.0)
    assert out["penalty_dod"][0] == pytest.approx(10.0)
    assert out["treatment_score"][0] == pytest.approx(55.0)
    assert out["main_driver"][0] == "high_soc"


def test_harsh_on_every_count_scores_zero_and_weights_sum_to_100():
    assert sum(w for *_, w in SCORE_TERMS.values()) == 100.0
    harsh = {c: hi * 2 for c, _, hi, _ in SCORE_TERMS.values()}
    assert treatment_score(_row(**harsh))["treatment_score"][0] == 0.0


def test_missing_indicator_is_no_penalty_and_is_named_in_method():
    out = treatment_score(_row(hot_charge_energy_share=None))
    assert out["penalty_hot"][0] == 0.0
    assert "hot_charge_energy_share" not in out["method"][0]
    assert "dc_energy_share" in out["method"][0]
