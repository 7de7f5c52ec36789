"""Quality control of raw EMG channels: flat/disconnected, clipping, mains, ECG contamination.

Each check returns a number; :func:`check_channels` compares them with the ``emg.qc``
thresholds and returns one row per flag with its reason. The flat, clipping and gap checks are
decided on the whole channel (the flat one from the sample alone when that proves the channel is
not flat, :func:`sd_at_least`); the spectral (mains) and ECG checks read a bounded sample of
it: at most ``qc.spectral_max_s`` seconds (default 10), as 10-s blocks taken from the middle of
equal parts of the recording (:func:`excerpt_blocks`), so that their cost does not grow with
the recording's length and stays small next to the filters'.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import polars as pl
from scipy import fft as sp_fft
from scipy import ndimage
from scipy import signal as sps

from analysis.core.signal import EMG
from analysis.emg.filters import finite_segments, notch

QC_SCHEMA = {"muscle": pl.String, "flag": pl.String, "reason": pl.String, "severity": pl.String}
BLOCK_S = 10.0
# the ECG check looks for beats in its 20-ms envelope sampled at about this rate
ECG_ENVELOPE_HZ = 500.0


def excerpt_blocks(
    n_samples: int, rate: float, max_s: float, block_s: float = BLOCK_S
) -> list[tuple[int, int]]:
    """``(start, stop)`` sample ranges read by the spectral and ECG checks.

    The whole recording when it is at most ``max_s`` seconds long; otherwise
    ``max(1, max_s // block_s)`` blocks of ``block_s`` seconds, one from the middle of each of
    as many equal parts of the recording (a single block is the middle of the recording).

    Examples
    --------
    >>> excerpt_blocks(1000, 100.0, 120.0)
    [(0, 1000)]
    >>> excerpt_blocks(6000, 100.0, 10.0)  # 60 s: the middle 10 s
    [(2500, 3500)]
    >>> len(excerpt_blocks(360000, 100.0, 30.0))
    3
    """
    if n_samples <= max_s * rate:
        return [(0, n_samples)]
    block = int(block_s * rate)
    n_blocks = max(1, int(max_s // block_s))
    part = n_samples / n_blocks
    starts = [min(n_samples - block, max(0, int((k + 0.5) * part) - block // 2))
              for k in range(n_blocks)]  # fmt: skip
    return [(s, s + block) for s in starts]


def clipping_fraction(x: np.ndarray) -> float:
    """Fraction of finite samples sitting at the channel's minimum or maximum value.

    An amplifier or converter in saturation holds its extreme value for many samples; a healthy
    signal reaches each extreme about once.

    Examples
    --------
    >>> clipping_fraction(np.clip(np.sin(np.linspace(0, 20, 1000)), -0.5, 0.5)) > 0.3
    True
    """
    lo = x.min() if x.size else np.nan
    finite = x[np.isfinite(x)] if np.isnan(lo) else x  # min() is NaN when any sample is
    if finite.size == 0:
        return float("nan")
    lo, hi = (finite.min(), finite.max()) if finite is not x else (lo, x.max())
    if lo == hi:
        return 1.0
    return float((np.count_nonzero(finite == lo) + np.count_nonzero(finite == hi)) / finite.size)


def mains_ratio(
    x: np.ndarray, rate: float, mains_hz: float, harmonics: int, band: tuple[float, float]
) -> float:
    """Share of the power in ``band`` that lies within 1 Hz of mains and its harmonics.

    Examples
    --------
    >>> t = np.arange(20000) / 1000.0
    >>> rng = np.random.default_rng(0)
    >>> noisy = rng.standard_normal(t.size) + 3 * np.sin(2 * np.pi * 50 * t)
    >>> round(mains_ratio(noisy, 1000.0, 50.0, 3, (20.0, 450.0)), 1)
    0.8
    """
    f, p = _psd(x, rate)
    return _mains_share(f, p, mains_hz, harmonics, band)


def _psd(x: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.signal.welch(x, rate, nperseg=min(x.size, rate), detrend="constant")``.

    The same estimate (Hann window, half overlap, density scaling, one-sided, mean over
    segments; equal to ~1e-15), all segments in one FFT call.

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal(5000)
    >>> f, p = _psd(x, 1000.0)
    >>> f0, p0 = sps.welch(x, fs=1000.0, nperseg=1000, detrend="constant")
    >>> bool(np.array_equal(f, f0) and np.allclose(p, p0, rtol=1e-12, atol=0))
    True
    """
    nperseg = int(min(x.size, rate))
    step = nperseg - nperseg // 2
    win, freqs, scale = _welch_constants(nperseg, float(rate))
    x = np.ascontiguousarray(x)
    n_segs = (x.size - nperseg) // step + 1
    segs = np.lib.stride_tricks.as_strided(
        x, (n_segs, nperseg), (step * x.itemsize, x.itemsize), writeable=False
    )
    tapered = np.subtract(segs, segs.mean(axis=1, keepdims=True))
    tapered *= win
    spec = sp_fft.rfft(tapered, axis=1)
    del tapered
    power = np.square(spec.real)
    power += np.square(spec.imag)
    power *= scale
    return freqs, power.mean(axis=0)


@lru_cache(maxsize=16)
def _hann(n: int) -> tuple[np.ndarray, float]:
    win = sps.get_window("hann", n)
    return win, float((win * win).sum())


@lru_cache(maxsize=16)
def _welch_constants(nperseg: int, rate: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window, frequencies and per-frequency scale (density, one-sided) of :func:`_psd`.

    The scale is ``1 / (rate * sum(window ** 2))``, doubled except at 0 Hz and Nyquist (a
    factor of 2 is exact: the same as doubling after scaling).
    """
    win, win_power = _hann(nperseg)
    scale = np.full(nperseg // 2 + 1, 1.0 / (rate * win_power))
    scale[1 : None if nperseg % 2 else -1] *= 2.0
    freqs = np.fft.rfftfreq(nperseg, 1.0 / rate)
    for a in (win, freqs, scale):
        a.flags.writeable = False
    return win, freqs, scale


def _mains_share(
    f: np.ndarray, p: np.ndarray, mains_hz: float, harmonics: int, band: tuple[float, float]
) -> float:
    """Share of the power ``p`` at frequencies ``f`` in ``band`` that is near mains.

    Sums the same values in the same order as summing ``p`` over boolean masks of the bins.
    """
    inband, near = _mains_bins(f.size, float(f[1] - f[0]) if f.size > 1 else 0.0,
                               float(mains_hz), int(harmonics), band)  # fmt: skip
    total = p[inband].sum()
    if total <= 0:
        return 0.0
    return float(p[near].sum() / total)


@lru_cache(maxsize=64)
def _mains_bins(
    n: int, df: float, mains_hz: float, harmonics: int, band: tuple[float, float]
) -> tuple[slice, np.ndarray]:
    """The in-band bins (a slice) and the in-band bins within 1 Hz of mains or a harmonic.

    For the frequencies ``np.arange(n) * df`` of a one-sided spectrum (``np.fft.rfftfreq``).

    Examples
    --------
    >>> inband, near = _mains_bins(501, 1.0, 50.0, 3, (20.0, 450.0))
    >>> inband, near.tolist()
    (slice(20, 451, None), [49, 50, 51, 99, 100, 101, 149, 150, 151])
    """
    f = np.arange(n) * df
    inband = (f >= band[0]) & (f <= band[1])
    near = np.zeros_like(inband)
    for k in range(1, harmonics + 1):
        near |= np.abs(f - k * mains_hz) <= 1.0
    idx = np.flatnonzero(inband)
    span = slice(int(idx[0]), int(idx[-1]) + 1) if idx.size else slice(0, 0)
    return span, np.flatnonzero(near & inband)


def sd_at_least(y: np.ndarray, blocks: list[tuple[int, int]], level: float) -> bool:
    """Whether the SD of ``y`` is at least ``level``, shown from a few blocks of it alone.

    Around the mean of the whole, a block's squared deviations sum to at least its own
    variance times its length, so ``var(y) >= sum(len(block) * var(block)) / len(y)``. True
    when that lower bound (less a relative margin of ``1e-6`` for rounding) reaches
    ``level ** 2``; False when it does not decide (then compute the SD of the whole). ``y``
    must be finite.

    Examples
    --------
    >>> y = np.random.default_rng(0).normal(0.0, 5.0, 60000)
    >>> sd_at_least(y, [(25000, 35000)], 1.0), sd_at_least(y, [(25000, 35000)], 4.0)
    (True, False)
    """
    if not level > 0:
        return not np.isnan(level)
    squares = sum((b - a) * float(y[a:b].var()) for a, b in blocks if b > a)
    return squares / y.size >= level * level * (1.0 + 1e-6)


def _sd(y: np.ndarray, finite: bool) -> float:
    """The SD of every finite sample of ``y`` (``finite``: ``y`` has no NaN)."""
    return float(y.std() if finite else np.nanstd(y))


def ecg_ratio(x: np.ndarray, rate: float) -> float:
    """Coherence of spikes repeating at heart rate: ~0 for EMG, ~1 when ECG dominates peaks.

    Peaks of the (20 ms) smoothed rectified band-passed signal, sampled at about 500 Hz
    (:func:`_smoothed_rectified`), at least 0.33 s apart are taken as candidate beats (the
    taller half of them is kept); the signal around each (+-50 ms, centred on the peak of the
    smoothed rectified signal, scaled to unit RMS) is compared with the others.
    The result is the mean correlation between pairs of windows, estimated without bias from
    the power of their average. EMG is a random-sign interference pattern (about 0); a QRS
    complex has a fixed shape and polarity (near 1).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rate = 1000.0
    >>> emg = rng.standard_normal(20000)
    >>> abs(ecg_ratio(emg, rate)) < 0.2
    True
    >>> qrs = np.zeros(20000)
    >>> qrs[(np.arange(0.5, 20, 0.8) * rate).astype(int)] = 1.0
    >>> qrs = np.convolve(qrs, 20 * np.exp(-0.5 * (np.arange(-20, 21) / 4.0) ** 2), mode="same")
    >>> ecg_ratio(emg + qrs, rate) > 0.5
    True
    """
    half = int(round(0.05 * rate))
    if x.size < 10 * half:
        return float("nan")
    e, step = _smoothed_rectified(x, rate)
    peaks, _ = sps.find_peaks(e, distance=max(1, int(0.33 * rate / step)))
    heights = e[peaks]
    peaks = peaks * step
    inside = (peaks > half) & (peaks < x.size - half)
    peaks, heights = peaks[inside], heights[inside]
    if peaks.size < 10:
        return float("nan")
    # keep the taller half of the candidates: beats stand out of the background
    centre = peaks[heights >= np.median(heights)]
    w = x[centre[:, None] + np.arange(-half, half + 1)[None, :]]
    rms = np.sqrt((w**2).mean(axis=1))
    w = w[rms > 0] / rms[rms > 0, None]
    n = w.shape[0]
    if n < 5:
        return float("nan")
    # power of the average of n unit-power windows = 1/n + (n-1)/n * mean pairwise correlation
    power = float((w.mean(axis=0) ** 2).mean())
    return (n * power - 1.0) / (n - 1.0)


def _smoothed_rectified(x: np.ndarray, rate: float) -> tuple[np.ndarray, int]:
    """The 20-ms moving average of ``|x|``, centred, every ``step``-th sample, and ``step``.

    Sampled at about :data:`ECG_ENVELOPE_HZ` (every sample below 1 kHz): a 20-ms average
    holds nothing faster, and candidate beats are then found among a half or fewer of the
    samples; a beat's window is placed to within ``step / 2`` samples (0.5 ms at 2 kHz),
    against QRS complexes of 80-100 ms.

    Examples
    --------
    >>> e, step = _smoothed_rectified(np.array([0.0, 3.0, -3.0, 0.0] * 500), 2000.0)
    >>> step, e.size, float(e[10])
    (4, 500, 1.5)
    """
    size = max(1, int(0.02 * rate))
    step = max(1, int(rate // ECG_ENVELOPE_HZ))
    if step == 1:
        return ndimage.uniform_filter1d(np.abs(x), size=size), 1
    # the window of uniform_filter1d (ends reflected, as d c b a | a b c d), at every step
    left, right = size // 2, size - 1 - size // 2
    padded = np.abs(np.concatenate([x[:left][::-1], x, x[x.size - right :][::-1]]))
    cum = np.concatenate([[0.0], np.cumsum(padded)])
    starts = np.arange(0, x.size, step)
    return (cum[starts + size] - cum[starts]) / size, step


def _without_mains(y: np.ndarray, rate: float, mains_hz: float, nt: dict) -> np.ndarray:
    """``y`` through the mains notch filter (at ``mains_hz``, the configured harmonics)."""
    one = EMG(y, rate, ("x",))
    return notch(one, mains_hz, int(nt["harmonics"]), float(nt["quality"])).data[0]


def check_channel(raw: EMG, bandpassed: EMG, params: dict) -> list[tuple[str, str, str, str]]:
    """QC flags of one channel, given its raw (microvolts) and band-passed signals.

    See :func:`check_channels` for the flags; returns ``(muscle, flag, reason, severity)`` rows.

    Examples
    --------
    >>> from analysis.core.settings import merge_params
    >>> x = EMG(np.random.default_rng(0).normal(0, 0.1, 5000), 1000.0, ("VL",))
    >>> [row[1] for row in check_channel(x, x, merge_params())]
    ['flat']
    """
    qc, bp, nt = params["qc"], params["bandpass"], params["notch"]
    c = raw.channels[0]
    x, y = raw.data[0], bandpassed.data[0]
    rows: list[tuple[str, str, str, str]] = []
    segments = finite_segments(x)
    n_finite = sum(b - a for a, b in segments)
    y_whole = bool(np.isfinite(np.add.reduce(y)))  # a finite sum: every sample is finite
    if n_finite == 0 or not (y_whole or np.isfinite(y).any()):
        return [(c, "all_nan", "channel holds no usable samples", "hard")]
    if n_finite < x.size:
        missing = (x.size - n_finite) / raw.rate
        first_gap = segments[0][1] if segments[0][0] == 0 else 0
        rows.append(
            (c, "gap", f"{missing:.3f} s of samples missing in up to {len(segments) + 1} "
             f"gap(s), first at {raw.t0 + first_gap / raw.rate:.3f} s", "info")
        )  # fmt: skip
    blocks = excerpt_blocks(raw.n_samples, raw.rate, float(qc.get("spectral_max_s", 10.0)))
    flat_sd = float(qc["flat_sd_uv"])
    sd = None if y_whole and sd_at_least(y, blocks, flat_sd) else _sd(y, y_whole)
    if sd is not None and sd < flat_sd:
        rows.append(
            (c, "flat", f"band-passed SD {sd:.3g} uV below {qc['flat_sd_uv']} uV: flat or "
             "disconnected channel", "soft")
        )  # fmt: skip
        return rows
    clip = clipping_fraction(x)
    if clip > float(qc["clipping_fraction"]):
        rows.append(
            (c, "clipping", f"{clip:.1%} of samples at the channel's extreme values "
             f"(limit {float(qc['clipping_fraction']):.1%})", "soft")
        )  # fmt: skip
    whole = y_whole and n_finite == x.size
    keep = [
        (a, b)
        for a, b in blocks
        if b - a >= raw.rate
        and (whole or (np.isfinite(x[a:b]).all() and np.isfinite(y[a:b]).all()))
    ]
    if not keep:
        return rows
    band = (float(bp["low_hz"]), min(float(bp["high_hz"]), 0.9 * raw.rate / 2))
    psds = [_psd(x[a:b], raw.rate) for a, b in keep]
    mains = {
        hz: float(np.mean([_mains_share(f, p, hz, int(nt["harmonics"]), band) for f, p in psds]))
        for hz in (50.0, 60.0)
    }
    hz = max(mains, key=mains.get)
    parts = [y[a:b] for a, b in keep]
    if mains[hz] > float(qc["mains_ratio"]):
        notched = nt.get("enabled", False) and abs(float(nt["mains_hz"]) - hz) < 1
        if not notched:  # a mains sinusoid would pass for coherent beats: remove it first
            parts = [_without_mains(v, raw.rate, hz, nt) for v in parts]
        rows.append(
            (c, "mains", f"{mains[hz]:.0%} of the {band[0]:g}-{band[1]:g} Hz power within "
             f"1 Hz of {hz:g} Hz and harmonics (limit {float(qc['mains_ratio']):.0%})"
             + ("; removed by the notch filter" if notched else ""),
             "info" if notched else "soft")
        )  # fmt: skip
    ecg = [ecg_ratio(v, raw.rate) for v in parts]
    ecg = [v for v in ecg if np.isfinite(v)]
    if ecg and float(np.mean(ecg)) > float(qc["ecg_ratio"]):
        rows.append(
            (c, "ecg", f"spikes at heart rate with a fixed shape (coherence "
             f"{np.mean(ecg):.2f} > {qc['ecg_ratio']}): ECG contamination", "soft")
        )  # fmt: skip
    return rows


def check_channels(emg: EMG, params: dict) -> pl.DataFrame:
    """QC flags of each channel of a raw recording (microvolts).

    Flags: ``all_nan`` (no data), ``gap`` (missing samples; informational, the cycles they touch
    are flagged separately), ``flat`` (band-passed SD below ``qc.flat_sd_uv``: flat or
    disconnected), ``clipping`` (more than ``qc.clipping_fraction`` of samples at the
    extremes), ``mains`` (more than ``qc.mains_ratio`` of the in-band power within 1 Hz of the
    mains frequency or a harmonic; tested at 50 and 60 Hz) and ``ecg`` (:func:`ecg_ratio`
    above ``qc.ecg_ratio``). Spectral and ECG checks read a sample of at most
    ``qc.spectral_max_s`` seconds (:func:`excerpt_blocks`).

    Returns
    -------
    polars.DataFrame
        muscle, flag, reason, severity (``hard``: always excluded; ``soft``: excluded when
        ``qc.exclude_flagged``; ``info``: never excluded).

    Examples
    --------
    >>> from analysis.core.settings import merge_params
    >>> rng = np.random.default_rng(0)
    >>> x = EMG(np.vstack([rng.normal(0, 50, 5000), np.zeros(5000)]), 1000.0, ("VL", "TA"))
    >>> check_channels(x, merge_params())["flag"].to_list()
    ['flat']
    """
    from analysis.emg.filters import bandpass_params

    rows = []
    for i, c in enumerate(emg.channels):
        one = EMG(emg.data[i], emg.rate, (c,), emg.units, emg.t0)
        rows += check_channel(one, bandpass_params(one, params), params)
    return pl.DataFrame(rows, schema=QC_SCHEMA, orient="row")
