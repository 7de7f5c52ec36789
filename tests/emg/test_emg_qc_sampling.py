"""The spectral and ECG checks read a bounded sample, and give the verdicts they gave before.

``_old_check_channel`` is a frozen copy of the QC before issue 19 (mains and ECG checks on the
whole recording up to 120 s, then 10-s blocks from start to end; ``scipy.signal.welch``).
Verdicts (muscle, flag, severity) of the current :func:`check_channels` must equal the old
ones on the bad-signal cases of ``test_emg_qc.py``, on longer versions of them (60-120 s, 1 and
2 kHz, where the sample is a small part of the recording) and on every demo recording.
"""

import numpy as np
import polars as pl
import pytest
from scipy import ndimage
from scipy import signal as sps

import analysis.emg.qc as qc_module
from analysis.core.settings import merge_params
from analysis.core.signal import EMG
from analysis.emg.filters import bandpass_params, finite_segments
from analysis.emg.qc import check_channels, excerpt_blocks

P = merge_params()


# --- the QC before issue 19, frozen ---------------------------------------------------------


def _old_excerpt_blocks(n_samples, rate, max_s, block_s=10.0):
    if n_samples <= max_s * rate:
        return [(0, n_samples)]
    block = int(block_s * rate)
    n_blocks = max(1, int(max_s // block_s))
    starts = np.linspace(0, n_samples - block, n_blocks).astype(int)
    return [(int(s), int(s) + block) for s in starts]


def _old_mains_share(f, p, mains_hz, harmonics, band):
    inband = (f >= band[0]) & (f <= band[1])
    total = p[inband].sum()
    if total <= 0:
        return 0.0
    near = np.zeros_like(inband)
    for k in range(1, int(harmonics) + 1):
        near |= np.abs(f - k * mains_hz) <= 1.0
    return float(p[near & inband].sum() / total)


def _old_ecg_ratio(x, rate):
    half = int(round(0.05 * rate))
    if x.size < 10 * half:
        return float("nan")
    e = ndimage.uniform_filter1d(np.abs(x), size=max(1, int(0.02 * rate)))
    peaks, _ = sps.find_peaks(e, distance=max(1, int(0.33 * rate)))
    peaks = peaks[(peaks > half) & (peaks < x.size - half)]
    if peaks.size < 10:
        return float("nan")
    centre = peaks[e[peaks] >= np.median(e[peaks])]
    w = x[centre[:, None] + np.arange(-half, half + 1)[None, :]]
    rms = np.sqrt((w**2).mean(axis=1))
    w = w[rms > 0] / rms[rms > 0, None]
    n = w.shape[0]
    if n < 5:
        return float("nan")
    power = float((w.mean(axis=0) ** 2).mean())
    return (n * power - 1.0) / (n - 1.0)


def _old_check_channel(raw, bandpassed, params):
    qc, bp, nt = params["qc"], params["bandpass"], params["notch"]
    c = raw.channels[0]
    x, y = raw.data[0], bandpassed.data[0]
    rows = []
    segments = finite_segments(x)
    n_finite = sum(b - a for a, b in segments)
    if n_finite == 0 or not np.isfinite(y).any():
        return [(c, "all_nan", "hard")]
    if n_finite < x.size:
        rows.append((c, "gap", "info"))
    if float(np.nanstd(y)) < float(qc["flat_sd_uv"]):
        return [*rows, (c, "flat", "soft")]
    if qc_module.clipping_fraction(x) > float(qc["clipping_fraction"]):
        rows.append((c, "clipping", "soft"))
    blocks = _old_excerpt_blocks(raw.n_samples, raw.rate, 120.0)
    raw_parts = [x[a:b] for a, b in blocks]
    bp_parts = [y[a:b] for a, b in blocks]
    keep = [
        i
        for i, (r, f) in enumerate(zip(raw_parts, bp_parts, strict=True))
        if np.isfinite(r).all() and np.isfinite(f).all() and r.size >= raw.rate
    ]
    if not keep:
        return rows
    band = (float(bp["low_hz"]), min(float(bp["high_hz"]), 0.9 * raw.rate / 2))
    psds = [
        sps.welch(raw_parts[i], fs=raw.rate, nperseg=int(min(raw_parts[i].size, raw.rate)),
                  detrend="constant")
        for i in keep
    ]  # fmt: skip
    mains = {
        hz: float(np.mean([_old_mains_share(f, p, hz, int(nt["harmonics"]), band)
                           for f, p in psds]))
        for hz in (50.0, 60.0)
    }  # fmt: skip
    hz = max(mains, key=mains.get)
    if mains[hz] > float(qc["mains_ratio"]):
        notched = nt.get("enabled", False) and abs(float(nt["mains_hz"]) - hz) < 1
        rows.append((c, "mains", "info" if notched else "soft"))
    ecg = [_old_ecg_ratio(bp_parts[i], raw.rate) for i in keep]
    ecg = [v for v in ecg if np.isfinite(v)]
    if ecg and float(np.mean(ecg)) > float(qc["ecg_ratio"]):
        rows.append((c, "ecg", "soft"))
    return rows


def old_verdicts(emg, params):
    out = set()
    for i, c in enumerate(emg.channels):
        one = EMG(emg.data[i], emg.rate, (c,), emg.units, emg.t0)
        out |= set(_old_check_channel(one, bandpass_params(one, params), params))
    return out


def new_verdicts(emg, params):
    df = check_channels(emg, params)
    return set(zip(df["muscle"], df["flag"], df["severity"], strict=True))


# --- the bad signals -------------------------------------------------------------------------


def gait_emg(seconds, rate, seed=0, amp=50.0):
    """Band-limited noise in bursts once per second (a muscle during walking)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    act = 5.0 + amp * np.exp(-0.5 * (((t % 1.0) - 0.3) / 0.08) ** 2)
    return t, act * rng.standard_normal(t.size)


def ecg_spikes(t, rate, bpm, seed=5, amp=1000.0):
    """Biphasic QRS-like spikes (~80 uV after band-pass at 1 kHz) at ``bpm`` beats per minute."""
    rng = np.random.default_rng(seed)
    beats = np.cumsum(rng.normal(60.0 / bpm, 0.03, int(t[-1] * bpm / 60) + 5))
    qrs = np.zeros(t.size)
    qrs[(beats[beats < t[-1] - 0.1] * rate).astype(int)] = 1.0
    half, sd = int(0.03 * rate), 0.006 * rate
    kernel = np.diff(np.exp(-0.5 * (np.arange(-half, half + 1) / sd) ** 2), prepend=0) * amp
    return np.convolve(qrs, kernel, mode="same")


def qc_test_cases():
    """The signals of ``test_emg_qc.py`` (1 kHz, 20-30 s)."""
    rate = 1000.0
    t, x = gait_emg(20.0, rate)
    rng = np.random.default_rng(1)
    nan = np.full(t.size, np.nan)
    gap = x.copy()
    gap[5000:5200] = np.nan
    cases = {
        "clean": EMG(x, rate, ("VL",)),
        "faults": EMG(np.vstack([x, 0.2 * rng.standard_normal(t.size), np.clip(x, -40, 40), nan]),
                      rate, ("VL", "ST", "TA", "SO")),
        "gap": EMG(gap, rate, ("VL",)),
    }  # fmt: skip
    for hz in (50.0, 60.0):
        weak, strong = (x + a * np.sin(2 * np.pi * hz * t) for a in (0.5, 80.0))
        cases[f"mains{hz:g}"] = EMG(np.vstack([weak, strong]), rate, ("VL", "RF"))
    t, x = gait_emg(30.0, rate, amp=20.0)
    cases["ecg"] = EMG(np.vstack([x, x + ecg_spikes(t, rate, 70.6)]), rate, ("VL", "GMAX"))
    return cases


ECG_CASES = (("GMAX", 65.0, 1.0), ("GMED", 80.0, 1.0), ("TFL", 100.0, 1.0))


def long_cases():
    """Longer recordings, where the spectral and ECG checks read 10 s of 60-120 s."""
    cases = {}
    for rate in (1000.0, 2000.0):
        for seconds in (60.0, 120.0):
            t, x = gait_emg(seconds, rate, seed=int(seconds + rate))
            rng = np.random.default_rng(int(rate))
            chans = {
                "VL": x,
                "ST": 0.2 * rng.standard_normal(t.size),
                "TA": np.clip(x, -40, 40),
                "RF": x + 80.0 * np.sin(2 * np.pi * 50.0 * t),
                "VM": x + 80.0 * np.sin(2 * np.pi * 60.0 * t),
                "BF": x + 0.5 * np.sin(2 * np.pi * 50.0 * t),
            }
            for muscle, bpm, gain in ECG_CASES:
                t2, quiet = gait_emg(seconds, rate, seed=int(bpm), amp=20.0)
                chans[muscle] = quiet + ecg_spikes(t2, rate, bpm, amp=gain * rate)
            chans["SO"] = x.copy()
            chans["SO"][int(7 * rate) : int(7.3 * rate)] = np.nan
            cases[f"{seconds:g}s@{rate:g}"] = EMG(np.vstack(list(chans.values())), rate,
                                                 tuple(chans))  # fmt: skip
    return cases


PARAMS = {
    "default": P,
    "notch50": merge_params({"notch": {"enabled": True, "mains_hz": 50.0}}),
    "notch60": merge_params({"notch": {"enabled": True, "mains_hz": 60.0}}),
}


def verdict_differences(cases, params):
    """Cases whose verdicts differ: (name, old only, new only)."""
    out = []
    for name, emg in cases.items():
        old, new = old_verdicts(emg, params), new_verdicts(emg, params)
        if old != new:
            out.append((name, sorted(old - new), sorted(new - old)))
    return out


@pytest.mark.parametrize("pname", sorted(PARAMS))
def test_verdicts_unchanged_on_the_qc_test_signals(pname):
    assert verdict_differences(qc_test_cases(), PARAMS[pname]) == []


@pytest.mark.parametrize("pname", sorted(PARAMS))
def test_verdicts_unchanged_on_long_bad_signals(pname):
    cases = long_cases()
    # the long cases really are bad: every fault is caught
    v = old_verdicts(cases["120s@2000"], P)
    expected = {("ST", "flat"), ("TA", "clipping"), ("RF", "mains"), ("VM", "mains"),
                ("GMAX", "ecg"), ("GMED", "ecg"), ("TFL", "ecg"), ("SO", "gap")}  # fmt: skip
    assert {(m, f) for m, f, _ in v} == expected
    assert verdict_differences(cases, PARAMS[pname]) == []


def test_verdicts_unchanged_on_demo_recordings(demo_dir):
    from analysis.ingest.readers import read_emg

    trials = pl.read_csv(demo_dir / "trials.csv")
    cases = {f: read_emg(demo_dir / f, rate=1000.0, cohort="demo", file=f)
             for f in trials["emg_file"]}  # fmt: skip
    params = merge_params({"notch": {"mains_hz": 50.0}})
    diffs = verdict_differences(cases, params)
    flagged = set().union(*(new_verdicts(e, params) for e in cases.values()))
    assert ("ST", "flat", "soft") in flagged and ("RF", "mains", "soft") in flagged
    assert diffs == []


def test_comparison_catches_a_sample_too_small(monkeypatch):
    """The comparison can fail: 1.5-s samples lose the ECG verdicts of the long cases."""
    monkeypatch.setattr(
        qc_module, "excerpt_blocks", lambda n, rate, max_s: [(0, min(n, int(1.5 * rate)))]
    )
    diffs = verdict_differences(long_cases(), P)
    assert diffs and all(any(f == "ecg" for _, f, _ in old) for _, old, _ in diffs)


def test_sample_is_bounded():
    for seconds in (60, 600, 3600):
        blocks = excerpt_blocks(int(seconds * 2000), 2000.0, P["qc"]["spectral_max_s"])
        assert sum(b - a for a, b in blocks) == 10 * 2000
    assert excerpt_blocks(8000, 1000.0, 10.0) == [(0, 8000)]
