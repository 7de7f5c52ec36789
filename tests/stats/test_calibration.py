"""A small version of benchmarks/calibration_lmm.py (the 1000-study run is the benchmark)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "calibration_lmm.py"


def _bench():
    spec = importlib.util.spec_from_file_location("calibration_lmm", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_satterthwaite_type1_error_near_nominal_and_z_liberal():
    bench = _bench()
    rows = [bench.one_study((1000 + i, 0.0), ("satterthwaite", "z")) for i in range(120)]
    p_sat = np.array([r["p_satterthwaite"] for r in rows])
    p_z = np.array([r["p_z"] for r in rows])
    rate = float(np.mean(p_sat < 0.05))
    # 120 studies: binomial SD at 5 % is 2 points; up to 11 % is a 3 SD band.
    assert rate <= 0.11
    assert np.all(p_z <= p_sat + 1e-12)
    assert np.median([r["df_satterthwaite"] for r in rows]) < 20


def test_simulated_study_has_the_true_effect():
    bench = _bench()
    d = bench.simulate_study(1, effect=5.0)
    back = d.filter(d["direction"] == "backward")["value"].mean()
    fwd = d.filter(d["direction"] == "forward")["value"].mean()
    assert 4.0 < back - fwd < 6.0
    assert d.height == 12 * 4 * 3
