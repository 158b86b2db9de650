"""DBC loading: every documented repair, and errors that name the line."""

from __future__ import annotations

import pytest

from analytics.can.dbc import load_dbc
from analytics.errors import DbcError

_HEAD = 'VERSION ""\n\nNS_ :\n    CM_\n    VAL_\n\nBS_:\n\nBU_: X\n\n'


def _load(tmp_path, body: str, name: str = "t.dbc"):
    p = tmp_path / name
    p.write_text(_HEAD + body)
    return load_dbc(p)


def _kinds(d) -> set[str]:
    return {r.kind for r in d.repairs}


def test_clean_file_has_no_repairs(tmp_path):
    d = _load(tmp_path, 'BO_ 100 A: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n')
    assert d.repairs == []


def test_29_bit_id_without_extended_flag(tmp_path):
    d = _load(
        tmp_path,
        'BO_ 316495015 CAM: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n\n'
        'CM_ BO_ 316495015 "camera";\nVAL_ 316495015 S 0 "off" 1 "on";\n',
    )
    msg = d.db.messages[0]
    assert msg.is_extended_frame and msg.frame_id == 316495015
    assert msg.comment == "camera"
    assert "extended_id" in _kinds(d)
    assert d.repairs[0].line == 11


def test_value_table_for_absent_signal_dropped(tmp_path):
    d = _load(
        tmp_path,
        'BO_ 100 A: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n\n'
        'VAL_ 100 Gone 0 "x";\nVAL_ 999 Other 0 "y";\n',
    )
    assert [r.kind for r in d.repairs] == ["orphan_value_table", "orphan_value_table"]


def test_comment_without_keyword_and_semicolon(tmp_path):
    d = _load(
        tmp_path,
        'BO_ 145 A: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n\n'
        'CM_ 145 "pedal";\nCM_ SG_ 145 "no signal name";\nCM_ "a note"\n',
    )
    assert _kinds(d) >= {"comment_keyword", "missing_semicolon"}
    assert d.db.get_message_by_name("A").comment is not None


def test_names_starting_with_a_digit(tmp_path):
    d = _load(
        tmp_path,
        'BO_ 100 2017_5: 8 X\n SG_ 0_COUNTER : 0|4@1+ (1,0) [0|0] "" X\n\n'
        'VAL_ 100 0_COUNTER 0 "zero";\n',
    )
    msg = d.db.messages[0]
    assert msg.name == "_2017_5" and msg.signals[0].name == "_0_COUNTER"
    assert "digit_name" in _kinds(d)


def test_overlapping_signals_kept_and_noted(tmp_path):
    d = _load(
        tmp_path,
        'BO_ 100 A: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n SG_ T : 4|8@1+ (1,0) [0|0] "" X\n',
    )
    assert "overlapping_signals" in _kinds(d)
    assert len(d.db.messages[0].signals) == 2


def test_bare_decimal_and_stray_line(tmp_path):
    d = _load(
        tmp_path, 'BO_ 100 A: 8 X\n SG_ S : 0|8@1+ (.25,-500) [0|0] "" X\n\nthis line is not DBC\n'
    )
    assert d.db.messages[0].signals[0].scale == 0.25
    assert _kinds(d) >= {"bare_decimal", "stray_line"}


def test_unrepairable_error_names_line(tmp_path):
    with pytest.raises(DbcError, match=r"line 12"):
        _load(tmp_path, 'BO_ 100 A: 8 X\n SG_ S : 0|8@1+ (1,0 [0|0] "" X\n')


def test_id_beyond_29_bits_names_message_line(tmp_path):
    with pytest.raises(DbcError, match=r"line 11.*BAD"):
        _load(tmp_path, 'BO_ 1075054137 BAD: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n')


def test_shipped_layouts_load(tmp_path):
    from analytics.can.encode import DBC_DIR

    kinds = {f.name: _kinds(load_dbc(f)) for f in sorted(DBC_DIR.glob("*.dbc"))}
    assert kinds["demo_ev.dbc"] == set()
    assert "extended_id" in kinds["vw_meb.dbc"]
    assert "orphan_value_table" in kinds["gm_global_a_powertrain.dbc"]
