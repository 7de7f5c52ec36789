"""Filters and envelopes on analytic signals: known gains, amplitudes and gap handling."""

import numpy as np
import pytest
from scipy import signal as sps

from analysis.core.settings import merge_params
from analysis.core.signal import EMG
from analysis.emg.filters import (
    bandpass,
    butterworth_sos,
    double_pass_factor,
    envelope,
    linear_envelope,
    lowpass,
    moving_rms,
    notch,
    rectify,
)

RATE = 2000.0


def sine(freq, amp=1.0, seconds=20.0, rate=RATE, phase=0.3):
    t = np.arange(int(seconds * rate)) / rate
    return EMG(amp * np.sin(2 * np.pi * freq * t + phase), rate=rate, channels=("VL",))


def mid_amplitude(x: np.ndarray) -> float:
    """Amplitude of a steady sinusoid from the middle half of the signal (RMS * sqrt 2)."""
    n = x.size
    mid = x[n // 4 : 3 * n // 4]
    return float(np.sqrt(2) * np.sqrt(np.mean(mid**2)))


@pytest.mark.parametrize("freq", [20.0, 450.0])
def test_bandpass_gain_at_design_cutoffs_is_half_after_double_pass(freq):
    y = bandpass(sine(freq), 20.0, 450.0, 4)
    assert mid_amplitude(y.data[0]) == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("freq", [20.0, 450.0])
def test_bandpass_corrected_gain_at_requested_cutoffs_is_minus_3db(freq):
    y = bandpass(sine(freq), 20.0, 450.0, 4, correct_double_pass=True)
    assert mid_amplitude(y.data[0]) == pytest.approx(1 / np.sqrt(2), abs=0.01)


def test_bandpass_passes_the_middle_of_the_band_unchanged():
    y = bandpass(sine(100.0, amp=3.0), 20.0, 450.0, 4)
    assert mid_amplitude(y.data[0]) == pytest.approx(3.0, rel=0.005)


def test_lowpass_gain_at_cutoff_and_effective_order():
    # design order N, two passes: |H|^2 at the cut-off, 1/(1 + 2^(2N))^... at twice the cut-off
    assert mid_amplitude(lowpass(sine(6.0, seconds=60), 6.0, 4).data[0]) == pytest.approx(
        0.5, abs=0.01
    )
    expected = 1.0 / (1.0 + (np.tan(np.pi * 12 / RATE) / np.tan(np.pi * 6 / RATE)) ** 8)
    got = mid_amplitude(lowpass(sine(12.0, seconds=60), 6.0, 4).data[0])
    assert got == pytest.approx(expected, rel=0.05)
    corrected = lowpass(sine(6.0, seconds=60), 6.0, 4, correct_double_pass=True)
    assert mid_amplitude(corrected.data[0]) == pytest.approx(1 / np.sqrt(2), abs=0.01)


def test_designed_response_matches_analytic_gain():
    sos = butterworth_sos((20.0, 450.0), "bandpass", 4, RATE)
    _, h = sps.sosfreqz(sos, worN=[20.0, 450.0], fs=RATE)
    assert np.abs(h) ** 2 == pytest.approx([0.5, 0.5], abs=1e-6)  # single pass: -3 dB
    assert double_pass_factor(4) == pytest.approx((np.sqrt(2) - 1) ** (1 / 8))


def test_high_cutoff_is_clipped_below_nyquist_and_reported():
    x = EMG(np.random.default_rng(0).standard_normal(5000), rate=500.0, channels=("TA",))
    y = bandpass(x, 20.0, 450.0, 4)
    assert y.meta["bandpass_hz"] == (20.0, 225.0)
    assert np.isfinite(y.data).all()
    assert y.rate == 500.0


def test_bandpass_impossible_band_raises():
    x = EMG(np.zeros(1000), rate=30.0, channels=("TA",))
    with pytest.raises(ValueError, match="impossible"):
        bandpass(x, 20.0, 450.0, 4)


def test_notch_removes_mains_and_harmonics_keeps_other_frequencies():
    t = np.arange(int(10 * RATE)) / RATE
    mains = np.sin(2 * np.pi * 50 * t) + np.sin(2 * np.pi * 100 * t)
    other = np.sin(2 * np.pi * 77 * t)
    y = notch(EMG(mains + other, RATE, ("VL",)), 50.0, harmonics=3, quality=30.0)
    assert y.meta["notch_hz"] == (50.0, 100.0, 150.0)
    residual = y.data[0] - other
    assert mid_amplitude(residual) < 0.05
    assert mid_amplitude(notch(EMG(other, RATE, ("VL",)), 50.0).data[0]) == pytest.approx(
        1.0, abs=0.02
    )


def test_sinusoid_gives_known_rms_and_linear_envelope():
    amp = 4.0
    x = sine(113.7, amp=amp, seconds=10)
    rms = moving_rms(x, 0.1).data[0]
    mid = slice(2000, -2000)
    assert rms[mid] == pytest.approx(amp / np.sqrt(2), rel=0.01)
    env = linear_envelope(x, 6.0).data[0]
    assert env[mid] == pytest.approx(2 * amp / np.pi, rel=0.01)


def test_rectify_and_rate_travel_with_the_signal():
    x = EMG(np.array([[-1.0, 2.0, -3.0]]), rate=123.0, channels=("SO",), t0=5.0)
    y = rectify(x)
    assert y.data.tolist() == [[1.0, 2.0, 3.0]]
    assert (y.rate, y.t0, y.channels) == (123.0, 5.0, ("SO",))


def test_nan_gap_does_not_spread_and_segments_are_filtered_separately():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(20000)
    x[9000:9500] = np.nan
    y = bandpass(EMG(x, RATE, ("VL",)), 20.0, 450.0, 4).data[0]
    assert np.isnan(y[9000:9500]).all()
    assert np.isfinite(y[:9000]).all() and np.isfinite(y[9500:]).all()
    left = bandpass(EMG(x[:9000], RATE, ("VL",)), 20.0, 450.0, 4).data[0]
    assert y[:9000] == pytest.approx(left)
    env = envelope(EMG(x, RATE, ("VL",)), merge_params()).data[0]
    assert np.isnan(env[9000:9500]).all() and np.isfinite(env[:9000]).all()


def test_stretch_too_short_to_filter_becomes_nan():
    x = np.random.default_rng(2).standard_normal(10000)
    x[4000] = np.nan
    x[4300] = np.nan  # 299 samples = 0.15 s between two gaps
    y = bandpass(EMG(x, RATE, ("VL",)), 20, 450, 4, min_segment_s=0.5).data[0]
    assert np.isnan(y[4000:4301]).all()
    assert np.isfinite(y[:4000]).all() and np.isfinite(y[4301:]).all()


def test_envelope_chain_uses_parameters():
    x = sine(120.0, amp=2.0, seconds=5)
    lin = envelope(x, merge_params()).data[0][3000:-3000]
    rms = envelope(x, merge_params({"envelope": {"method": "rms"}})).data[0][3000:-3000]
    assert lin == pytest.approx(2 * 2.0 / np.pi, rel=0.01)
    assert rms == pytest.approx(2.0 / np.sqrt(2), rel=0.01)


@pytest.mark.parametrize("n", [29, 1000, 54321])
def test_cached_designs_filter_exactly_like_scipy_sosfiltfilt(n):
    from analysis.emg.filters import _butter_design, _notch_design

    x = np.random.default_rng(n).standard_normal(n) * 100.0 + 5.0
    designs = [
        _butter_design((20.0, 450.0), "bandpass", 4, 2000.0, False),
        _butter_design((6.0,), "lowpass", 4, 1000.0, True),
        _notch_design((50.0, 100.0, 150.0), 30.0, 1000.0),
    ]
    for d in designs:
        assert np.array_equal(d.filtfilt(x), sps.sosfiltfilt(d.sos, x))
        assert np.array_equal(d.filtfilt(x, rectify=True), sps.sosfiltfilt(d.sos, np.abs(x)))


def test_filtfilt_without_scipys_inplace_kernel(monkeypatch):
    import analysis.emg.filters as filters

    x = np.random.default_rng(1).standard_normal(5000) * 50.0
    d = filters._butter_design((20.0, 450.0), "bandpass", 4, 1000.0, False)
    fast = d.filtfilt(x)
    monkeypatch.setattr(filters, "_sosfilt_inplace", None)
    assert np.array_equal(d.filtfilt(x), fast)
    assert np.array_equal(fast, sps.sosfiltfilt(d.sos, x))
