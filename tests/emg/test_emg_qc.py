"""Quality control: each fault is caught with its reason; clean signals are not flagged."""

import numpy as np
import pytest

from analysis.core.settings import merge_params
from analysis.core.signal import EMG
from analysis.emg.qc import check_channels, clipping_fraction, ecg_ratio, excerpt_blocks

RATE = 1000.0
P = merge_params()


def gait_emg(seconds=20.0, seed=0, amp=50.0):
    """Band-limited noise in bursts once per second (a muscle during walking)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    act = 5.0 + amp * np.exp(-0.5 * (((t % 1.0) - 0.3) / 0.08) ** 2)
    return t, act * rng.standard_normal(t.size)


def flags(emg, params=P):
    return {(r["muscle"], r["flag"]) for r in check_channels(emg, params).iter_rows(named=True)}


def test_clean_signal_has_no_flag():
    _, x = gait_emg()
    assert flags(EMG(x, RATE, ("VL",))) == set()


def test_flat_disconnected_clipped_and_all_nan_channels():
    t, x = gait_emg()
    rng = np.random.default_rng(1)
    disconnected = 0.2 * rng.standard_normal(t.size)
    clipped = np.clip(x, -40, 40)
    nan = np.full(t.size, np.nan)
    emg = EMG(np.vstack([x, disconnected, clipped, nan]), RATE, ("VL", "ST", "TA", "SO"))
    result = check_channels(emg, P)
    got = {(r["muscle"], r["flag"]): r for r in result.iter_rows(named=True)}
    assert set(got) == {("ST", "flat"), ("TA", "clipping"), ("SO", "all_nan")}
    assert "disconnected" in got[("ST", "flat")]["reason"]
    assert got[("SO", "all_nan")]["severity"] == "hard"
    assert clipping_fraction(clipped) > 0.05 and clipping_fraction(x) < 0.001


@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
def test_strong_mains_interference(mains_hz):
    t, x = gait_emg()
    noisy = x + 80.0 * np.sin(2 * np.pi * mains_hz * t)
    emg = EMG(np.vstack([x + 0.5 * np.sin(2 * np.pi * mains_hz * t), noisy]), RATE, ("VL", "RF"))
    result = check_channels(emg, P)
    assert result["muscle"].to_list() == ["RF"] and result["flag"].to_list() == ["mains"]
    assert f"{mains_hz:g} Hz" in result["reason"][0]
    notched = merge_params({"notch": {"enabled": True, "mains_hz": mains_hz}})
    assert check_channels(emg, notched)["severity"].to_list() == ["info"]


def test_ecg_contamination():
    t, x = gait_emg(seconds=30, amp=20.0)
    rng = np.random.default_rng(5)
    beats = np.cumsum(rng.normal(0.85, 0.03, 40))
    qrs = np.zeros(t.size)
    qrs[(beats[beats < t[-1] - 0.1] * RATE).astype(int)] = 1.0
    kernel = (
        np.diff(np.exp(-0.5 * (np.arange(-30, 31) / 6.0) ** 2), prepend=0) * 1000
    )  # QRS-like biphasic spike, ~80 uV after band-pass
    ecg = np.convolve(qrs, kernel, mode="same")
    emg = EMG(np.vstack([x, x + ecg]), RATE, ("VL", "GMAX"))
    result = check_channels(emg, P)
    assert result["muscle"].to_list() == ["GMAX"] and result["flag"].to_list() == ["ecg"]
    assert abs(ecg_ratio(x, RATE)) < 0.2


def test_gap_is_reported_not_excluded():
    _, x = gait_emg()
    x[5000:5200] = np.nan
    result = check_channels(EMG(x, RATE, ("VL",)), P)
    assert result["flag"].to_list() == ["gap"] and result["severity"].to_list() == ["info"]
    assert "0.200 s" in result["reason"][0]


def test_spectral_checks_use_a_bounded_excerpt():
    n = 3600 * 2000
    blocks = excerpt_blocks(n, 2000.0, 120.0)
    assert len(blocks) == 12 and sum(b - a for a, b in blocks) == 120 * 2000
    # one block from the middle of each twelfth of the recording
    assert all(k * n / 12 < a < b < (k + 1) * n / 12 for k, (a, b) in enumerate(blocks))
    assert sum(b - a for a, b in excerpt_blocks(n, 2000.0, P["qc"]["spectral_max_s"])) == 20000
