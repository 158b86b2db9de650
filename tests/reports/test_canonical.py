"""Canonical JSON: independent of key order, fixed float format, sensitive to any figure."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from analytics.reports.canonical import canonical_json, fingerprint, normalise

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**9), 10**9)
    | st.floats(-1e9, 1e9, allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=6), values, max_size=6))
def test_round_trip_through_json_keeps_the_fingerprint(doc):
    doc = normalise(doc)
    again = json.loads(json.dumps(doc, indent=2))
    assert fingerprint(again) == fingerprint(doc)
    shuffled = dict(reversed(list(again.items())))
    assert canonical_json(shuffled) == canonical_json(doc)


@given(st.floats(-1e6, 1e6, allow_nan=False))
def test_a_changed_figure_changes_the_fingerprint(x):
    x = normalise(x)
    assert fingerprint({"a": x}) != fingerprint({"a": round(x + 1e-5, 6)})


def test_fixed_float_format_and_fingerprint_member_excluded():
    assert (
        canonical_json({"b": 1.5, "a": 2, "fingerprint": {"value": "x"}}) == '{"a":2,"b":1.500000}'
    )
    assert normalise(float("nan")) is None
    assert canonical_json({"z": -0.0}) == '{"z":0.000000}'
