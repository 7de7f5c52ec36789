"""Time normalisation, segment statistics, onsets and co-contraction indices."""

import numpy as np
import pytest

from analysis.core.signal import EMG
from analysis.emg.features import (
    cocontraction_falconer_winter,
    cocontraction_rudolph,
    onset_offset,
    onset_threshold,
    segment_stats,
    time_normalise,
)


def test_time_normalisation_of_a_known_curve():
    rate = 1000.0
    t = np.arange(int(10 * rate)) / rate
    starts = np.array([1.0, 2.3, 4.0])
    ends = np.array([2.3, 4.0, 5.1])
    # inside each cycle the signal is sin(pi * phase) with phase 0..1 over the cycle
    x = np.zeros_like(t)
    for a, b in zip(starts, ends, strict=True):
        inside = (t >= a) & (t <= b)
        x[inside] = np.sin(np.pi * (t[inside] - a) / (b - a))
    emg = EMG(np.vstack([x, 2 * x]), rate, ("VL", "TA"), t0=0.0)
    curves = time_normalise(emg, starts, ends, 101)
    expected = np.sin(np.pi * np.linspace(0, 1, 101))
    assert curves.shape == (3, 2, 101)
    assert curves[:, 0, :] == pytest.approx(np.tile(expected, (3, 1)), abs=2e-3)
    assert curves[:, 1, :] == pytest.approx(2 * np.tile(expected, (3, 1)), abs=4e-3)


def test_time_normalisation_respects_t0_and_point_count():
    rate = 100.0
    emg = EMG(np.arange(1000.0)[np.newaxis], rate, ("SO",), t0=2.0)  # value = (t - 2) * 100
    curves = time_normalise(emg, np.array([3.0]), np.array([4.0]), 11)
    assert curves[0, 0] == pytest.approx(np.linspace(100, 200, 11))


def test_segment_stats_match_a_plain_loop():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(5000)
    bounds = np.sort(rng.choice(np.arange(1, 5000), 41, replace=False))
    starts, stops = bounds[:-1:2], bounds[1::2]
    s = segment_stats(x, starts, stops)
    for k, (a, b) in enumerate(zip(starts, stops, strict=True)):
        assert s["sum"][k] == pytest.approx(x[a:b].sum())
        assert s["max"][k] == x[a:b].max()
        assert s["n"][k] == b - a


def test_segment_stats_touching_segments_to_the_end_and_nan():
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0])
    s = segment_stats(x, np.array([0, 2, 4]), np.array([2, 4, 6]))
    assert s["sum"][0] == 3.0 and s["sum"][2] == 11.0 and s["max"][2] == 6.0
    assert np.isnan(s["sum"][1]) and np.isnan(s["max"][1])
    with pytest.raises(ValueError):
        segment_stats(x, np.array([0, 1]), np.array([2, 3]))


def test_onset_offset_single_burst_wrapping_burst_none_and_always():
    pct = np.arange(101.0)
    burst = np.where((pct >= 30) & (pct <= 49), 5.0, 0.0)
    wrap = np.where((pct >= 85) | (pct <= 12), 5.0, 0.0)
    blip = np.where(pct == 50, 5.0, 0.0)  # 1 % long: shorter than the minimum duration
    always = np.full(101, 5.0)
    on, off, active = onset_offset(np.vstack([burst, wrap, blip, always]), 1.0, 5)
    assert on[0] == 30 and off[0] == 49 and active[0] == 20
    assert on[1] == 85 and off[1] == 12 and active[1] == 28
    assert np.isnan(on[2]) and np.isnan(off[2]) and active[2] == 1
    assert on[3] == 0 and off[3] == 100 and active[3] == 100


def test_onset_takes_the_longest_of_two_bursts():
    pct = np.arange(101.0)
    c = np.where(((pct >= 10) & (pct < 20)) | ((pct >= 50) & (pct < 80)), 3.0, 0.0)
    on, off, _ = onset_offset(c[np.newaxis], 1.0, 5)
    assert (on[0], off[0]) == (50.0, 79.0)


def test_onset_threshold_uses_the_quietest_window():
    rng = np.random.default_rng(4)
    pct = np.arange(101.0)
    quiet = np.abs(pct - 75) < 8
    c = np.where(quiet, 1.0, 20.0) + rng.normal(0, 0.2, (30, 101))
    thr, mean, sd = onset_threshold(c, 3.0, 10.0)
    assert mean == pytest.approx(1.0, abs=0.05)
    assert sd == pytest.approx(0.2, abs=0.03)
    assert thr == pytest.approx(mean + 3 * sd)


def test_cocontraction_indices():
    a = np.array([1.0, 2.0, 3.0, 0.0])
    assert cocontraction_falconer_winter(a, a) == pytest.approx(100.0)
    assert cocontraction_falconer_winter(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == 0.0
    # Rudolph: lower/higher * (lower + higher) per sample, averaged
    b = np.array([2.0, 1.0, 3.0, 0.0])
    expected = np.mean([0.5 * 3, 0.5 * 3, 1.0 * 6, 0.0])
    assert cocontraction_rudolph(a, b) == pytest.approx(expected)
    assert cocontraction_rudolph(a, b) == cocontraction_rudolph(b, a)
