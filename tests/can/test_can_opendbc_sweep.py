"""Every message of every opendbc DBC that loads decodes random payloads exactly as cantools."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opendbc
import pytest
from test_can_decode_props import _check

from analytics.can.dbc import load_dbc
from analytics.errors import DbcError

_DBC_DIR = Path(opendbc.__file__).parent / "dbc"
_FILES = sorted(_DBC_DIR.rglob("*.dbc"))


def test_most_opendbc_files_load_with_repairs():
    loaded, repaired = 0, 0
    for f in _FILES:
        try:
            d = load_dbc(f)
        except DbcError as exc:
            assert str(f.name) in str(exc)  # the error names the file (and line where known)
            continue
        loaded += 1
        repaired += bool([r for r in d.repairs if r.kind != "overlapping_signals"])
    assert loaded >= 100, loaded
    assert repaired >= 20, repaired


@pytest.mark.parametrize("path", _FILES, ids=[str(f.relative_to(_DBC_DIR)) for f in _FILES])
def test_sweep_random_payloads(path):
    try:
        db = load_dbc(path).db
    except DbcError:
        pytest.skip("does not load (reported with its line)")
    rng = np.random.default_rng(len(path.name))
    for msg in db.messages:
        if msg.length == 0 or msg.is_container:
            continue
        payload = rng.integers(0, 256, size=(3, msg.length), dtype=np.uint8)
        _check(msg, payload, np.full(3, msg.length, np.uint8))
