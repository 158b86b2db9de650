"""The vectorised decoder equals cantools decode_message(decode_choices=False, scaling=True)."""

from __future__ import annotations

import math

import cantools
import numpy as np
from can_strategies import layouts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.can.decode import MessagePlan, decode_message


def _check(msg, payload: np.ndarray, lengths: np.ndarray) -> None:
    plan = MessagePlan.from_cantools(msg)
    dec = decode_message(plan, payload, lengths)
    cols = {s.name: dec.column(s.name) for s in plan.signals}
    undefined = 0
    for i in range(payload.shape[0]):
        data = bytes(payload[i, : lengths[i]])
        if lengths[i] < msg.length:
            assert all(math.isnan(c[i]) for c in cols.values()), "short frame decoded"
            continue
        try:
            ref = msg.decode(data, decode_choices=False, scaling=True)
        except cantools.database.DecodeError as exc:  # undefined mux, or a cantools limit
            undefined += "multiplexer" in str(exc)
            continue
        for name, value in ref.items():
            ours, value = cols[name][i], float(value)
            assert ours == value or (math.isnan(ours) and math.isnan(value)), (name, i, value, ours)
        for name, col in cols.items():
            if name not in ref:
                assert math.isnan(col[i]), f"{name} decoded on a frame whose multiplexer skips it"
    assert dec.short_frames == int((lengths < msg.length).sum())
    assert dec.undefined_mux >= (1 if undefined else 0)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(layouts(), st.data())
def test_random_layouts_match_cantools(layout, data):
    text, _fid, length = layout
    msg = cantools.database.load_string(text, "dbc", strict=False).messages[0]
    n = 24
    raw = data.draw(st.binary(min_size=n * length, max_size=n * length))
    payload = np.frombuffer(raw, np.uint8).reshape(n, length).copy()
    lengths = np.full(n, length, np.uint8)
    lengths[::7] = data.draw(st.integers(0, length))  # some frames may be short
    payload[np.arange(length)[None, :] >= lengths[:, None]] = 0
    _check(msg, payload, lengths)


def test_short_frames_are_skipped_not_zero():
    db = cantools.database.load_string(
        'VERSION ""\nNS_ :\nBS_:\nBU_: X\nBO_ 16 M: 8 X\n SG_ A : 0|16@1+ (1,0) [0|0] "" X\n'
        ' SG_ B : 48|16@1+ (0.5,-10) [0|0] "" X\n',
        "dbc",
    )
    plan = MessagePlan.from_cantools(db.messages[0])
    data = np.zeros((3, 8), np.uint8)
    data[:, 0] = 7
    dec = decode_message(plan, data, np.array([8, 4, 0], np.uint8))
    assert dec.short_frames == 2
    assert dec.column("A").tolist()[0] == 7.0
    assert np.isnan(dec.column("A")[1:]).all() and np.isnan(dec.column("B")[1:]).all()


def test_undefined_multiplexer_value_keeps_other_signals():
    db = cantools.database.load_string(
        'VERSION ""\nNS_ :\nBS_:\nBU_: X\nBO_ 17 M: 8 X\n SG_ Mux M : 0|4@1+ (1,0) [0|0] "" X\n'
        ' SG_ V0 m0 : 8|8@1+ (1,0) [0|0] "" X\n SG_ V1 m1 : 8|8@1- (1,0) [0|0] "" X\n'
        ' SG_ T : 56|8@1+ (1,0) [0|0] "" X\n',
        "dbc",
    )
    plan = MessagePlan.from_cantools(db.messages[0])
    data = np.array(
        [[0, 200, 0, 0, 0, 0, 0, 5], [1, 200, 0, 0, 0, 0, 0, 6], [9, 200, 0, 0, 0, 0, 0, 7]],
        np.uint8,
    )
    dec = decode_message(plan, data, np.full(3, 8, np.uint8))
    assert dec.undefined_mux == 1
    assert dec.column("T").tolist() == [5.0, 6.0, 7.0]
    v0, v1 = dec.column("V0"), dec.column("V1")
    assert v0[0] == 200.0 and np.isnan(v0[1:]).all()
    assert v1[1] == -56.0 and np.isnan(v1[[0, 2]]).all()
