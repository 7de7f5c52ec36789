"""Signal functions: zero-lag Butterworth filters, mains notch, rectification, envelopes.

Every function takes an :class:`~analysis.core.signal.EMG` and returns a new one (same rate,
channels
and start time), so the sampling rate can never be wrong. NaN samples (gaps) are never filtered
across: each finite stretch of a channel is filtered on its own and the gaps stay NaN, without
spreading. Finite stretches shorter than ``min_segment_s`` (too short to filter) become NaN too.

About zero-lag filtering: a Butterworth filter of design order ``N`` applied forward and
backward (``scipy.signal.sosfiltfilt``) has no phase lag, squared magnitude response and twice
the roll-off (effective order ``2N`` per cut-off). Its gain at the design cut-off is therefore
``0.5`` (-6.02 dB) instead of ``1/sqrt(2)`` (-3.01 dB). With ``correct_double_pass=True`` the
design cut-off is moved so that the double-pass gain is -3.01 dB at the requested frequency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage
from scipy import signal as sps

from analysis.core.signal import EMG

try:  # the kernel behind scipy.signal.sosfilt: filters a C-contiguous (1, n) array in place
    from scipy.signal._sosfilt import _sosfilt as _sosfilt_inplace
except ImportError:  # pragma: no cover
    _sosfilt_inplace = None

_SQRT2_M1 = np.sqrt(2.0) - 1.0


def double_pass_factor(order: int) -> float:
    """-3 dB frequency of a forward-backward Butterworth low-pass over its design cut-off.

    Parameters
    ----------
    order : int
        Design order ``N`` (the ``N`` given to ``scipy.signal.butter``).

    Returns
    -------
    float
        ``(sqrt(2) - 1) ** (1 / (2 N))`` (in prewarped analogue frequency).

    Examples
    --------
    >>> round(double_pass_factor(4), 4)
    0.8957
    """
    return float(_SQRT2_M1 ** (1.0 / (2 * int(order))))


def _warp(f: float, rate: float) -> float:
    return float(np.tan(np.pi * f / rate))


def _unwarp(w: float, rate: float) -> float:
    return float(np.arctan(w) * rate / np.pi)


def design_cutoffs(
    cutoffs: float | tuple[float, float],
    btype: str,
    order: int,
    rate: float,
    *,
    correct_double_pass: bool = False,
) -> float | tuple[float, float]:
    """Design cut-off(s) that give the requested -3 dB point(s) after a forward-backward pass.

    Without correction the requested cut-offs are returned unchanged. The correction is exact for
    the bilinear-transform Butterworth design of ``scipy.signal.butter`` (prewarped frequencies):
    a low-pass cut-off moves up, a high-pass cut-off down, and a band-pass keeps its geometric
    centre while its (prewarped) bandwidth widens by ``1 / double_pass_factor(order)``.

    Examples
    --------
    >>> round(design_cutoffs(6.0, "lowpass", 4, 1000.0, correct_double_pass=True), 2)
    6.7
    >>> design_cutoffs((20.0, 450.0), "bandpass", 4, 1000.0)
    (20.0, 450.0)
    """
    if not correct_double_pass:
        return cutoffs
    c = double_pass_factor(order)
    if btype == "lowpass":
        return _unwarp(_warp(float(cutoffs), rate) / c, rate)
    if btype == "highpass":
        return _unwarp(_warp(float(cutoffs), rate) * c, rate)
    if btype == "bandpass":
        lo, hi = (_warp(float(f), rate) for f in cutoffs)
        bw = (hi - lo) / c
        w_hi = (bw + np.sqrt(bw**2 + 4 * lo * hi)) / 2
        w_lo = lo * hi / w_hi
        return (_unwarp(w_lo, rate), _unwarp(w_hi, rate))
    raise ValueError(f"unknown filter type {btype!r}")


def butterworth_sos(
    cutoffs: float | tuple[float, float],
    btype: str,
    order: int,
    rate: float,
    *,
    correct_double_pass: bool = False,
) -> np.ndarray:
    """Second-order sections of a Butterworth design meant for a forward-backward pass.

    Examples
    --------
    >>> butterworth_sos((20.0, 450.0), "bandpass", 4, 1000.0).shape
    (4, 6)
    """
    key = tuple(np.atleast_1d(cutoffs).astype(float).tolist())
    return _butter_cached(key, btype, int(order), float(rate), bool(correct_double_pass)).copy()


@lru_cache(maxsize=64)
def _butter_cached(
    cutoffs: tuple[float, ...], btype: str, order: int, rate: float, correct: bool
) -> np.ndarray:
    wn = cutoffs if len(cutoffs) == 2 else cutoffs[0]
    wn = design_cutoffs(wn, btype, order, rate, correct_double_pass=correct)
    return sps.butter(order, wn, btype=btype, fs=rate, output="sos")


def finite_segments(x: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` sample ranges of the finite stretches of a 1-D array.

    Examples
    --------
    >>> finite_segments(np.array([1.0, np.nan, 2.0, 3.0, np.nan]))
    [(0, 1), (2, 4)]
    """
    if x.size and np.isfinite(np.add.reduce(x)):  # a finite sum: every sample is finite
        return [(0, x.size)]
    ok = np.isfinite(x)
    if ok.all():
        return [(0, x.size)]
    edges = np.diff(np.concatenate([[0], ok.view(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def apply_by_segment(
    emg: EMG,
    func: Callable[[np.ndarray], np.ndarray],
    *,
    min_segment_s: float = 0.0,
    min_samples: int = 1,
    units: str | None = None,
) -> EMG:
    """Apply a 1-D function to each finite stretch of each channel; gaps stay NaN.

    Channels are processed one at a time so temporary memory stays at one channel's size.
    Stretches shorter than ``max(min_segment_s * rate, min_samples)`` samples become NaN.
    """
    min_len = max(int(np.ceil(min_segment_s * emg.rate)), int(min_samples))
    out = np.empty_like(emg.data)
    for i, x in enumerate(emg.data):
        segments = finite_segments(x)
        if segments == [(0, x.size)] and x.size >= min_len:
            out[i] = func(x)
            continue
        out[i] = np.nan
        for a, b in segments:
            if b - a >= min_len:
                out[i, a:b] = func(x[a:b])
    return emg.replace(out, units=units)


@dataclass(frozen=True)
class _Design:
    """A zero-lag filter ready to apply: sections, their steady-state state and the pad length."""

    sos: np.ndarray
    zi: np.ndarray
    padlen: int

    @classmethod
    def of(cls, sos: np.ndarray) -> _Design:
        # the pad length of scipy.signal.sosfiltfilt (3 x the number of taps)
        ntaps = 2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum())
        return cls(sos, sps.sosfilt_zi(sos), int(3 * ntaps))

    def filtfilt(self, x: np.ndarray, *, rectify: bool = False) -> np.ndarray:
        """``scipy.signal.sosfiltfilt(sos, x)`` (of ``abs(x)`` with ``rectify``), same bits.

        The same odd extension, initial states and passes as scipy, without redesigning ``zi``;
        with scipy's in-place kernel the two passes run on one padded copy and one reversed
        copy instead of five temporary arrays.
        """
        n, m = self.padlen, x.size
        ext = np.empty(m + 2 * n)
        mid = ext[n : n + m]
        if rectify:
            np.abs(x, out=mid)
        else:
            mid[...] = x
        if n > 0:  # scipy's odd_ext
            ext[:n] = 2 * mid[0:1] - mid[n:0:-1]
            ext[n + m :] = 2 * mid[-1:] - mid[-2 : -(n + 2) : -1]
        if _sosfilt_inplace is None:  # pragma: no cover (older or newer scipy)
            y, _ = sps.sosfilt(self.sos, ext, zi=self.zi * ext[0:1])
            y, _ = sps.sosfilt(self.sos, y[::-1], zi=self.zi * y[-1:])
            return y[::-1][n : n + m]
        _sosfilt_inplace(self.sos, ext[np.newaxis], (self.zi * ext[0:1])[np.newaxis])
        rev = ext[::-1].copy()
        _sosfilt_inplace(self.sos, rev[np.newaxis], (self.zi * rev[0:1])[np.newaxis])
        return rev[::-1][n : n + m]


@lru_cache(maxsize=64)
def _butter_design(
    cutoffs: tuple[float, ...], btype: str, order: int, rate: float, correct: bool
) -> _Design:
    return _Design.of(_butter_cached(cutoffs, btype, order, rate, correct))


@lru_cache(maxsize=64)
def _notch_design(freqs: tuple[float, ...], quality: float, rate: float) -> _Design:
    sos = np.concatenate(
        [sps.tf2sos(*sps.iirnotch(f, quality * f / freqs[0], fs=rate)) for f in freqs]
    )
    return _Design.of(sos)


def _sosfiltfilt(design: _Design) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    return design.filtfilt, design.padlen + 1


def bandpass(
    emg: EMG,
    low_hz: float = 20.0,
    high_hz: float = 450.0,
    order: int = 4,
    *,
    correct_double_pass: bool = False,
    max_nyquist_fraction: float = 0.9,
    min_segment_s: float = 0.0,
) -> EMG:
    """Zero-lag Butterworth band-pass filter.

    Parameters
    ----------
    emg : EMG
    low_hz, high_hz : float
        Requested cut-offs in Hz. ``high_hz`` is lowered to ``max_nyquist_fraction`` times the
        Nyquist frequency when the sampling rate is too low for it; the cut-offs applied are in
        ``meta["bandpass_hz"]`` of the result.
    order : int
        Design order ``N`` of ``scipy.signal.butter``: ``N`` poles per cut-off (``2N`` in all),
        doubled by the forward-backward pass.
    correct_double_pass : bool
        Move the design cut-offs so that the double-pass gain at ``low_hz`` and ``high_hz`` is
        -3 dB (otherwise it is -6 dB there).
    max_nyquist_fraction : float
    min_segment_s : float
        Finite stretches shorter than this become NaN.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(2000) / 1000.0
    >>> x = EMG(np.sin(2 * np.pi * 100 * t) + 5.0, rate=1000.0, channels=("VL",))
    >>> y = bandpass(x, 20, 450, 4)
    >>> bool(abs(y.data[0, 500:1500].mean()) < 0.01)
    True
    >>> y.meta["bandpass_hz"]
    (20.0, 450.0)
    """
    nyq = emg.rate / 2.0
    high = min(float(high_hz), max_nyquist_fraction * nyq)
    low = float(low_hz)
    if not 0 < low < high:
        raise ValueError(
            f"band-pass {low_hz}-{high_hz} Hz impossible at {emg.rate} Hz sampling "
            f"(high cut-off limited to {high:.1f} Hz)"
        )
    design = _butter_design(
        (low, high), "bandpass", int(order), float(emg.rate), bool(correct_double_pass)
    )
    func, min_samples = _sosfiltfilt(design)
    out = apply_by_segment(emg, func, min_segment_s=min_segment_s, min_samples=min_samples)
    out.meta["bandpass_hz"] = (low, high)
    return out


def lowpass(
    emg: EMG,
    cutoff_hz: float,
    order: int = 4,
    *,
    correct_double_pass: bool = False,
    min_segment_s: float = 0.0,
) -> EMG:
    """Zero-lag Butterworth low-pass filter (see :func:`bandpass` for ``order`` and correction).

    Examples
    --------
    >>> import numpy as np
    >>> x = EMG(np.ones((1, 1000)), rate=1000.0, channels=("TA",))
    >>> bool(np.allclose(lowpass(x, 6.0).data, 1.0))
    True
    """
    if not 0 < cutoff_hz < emg.rate / 2:
        raise ValueError(f"low-pass cut-off {cutoff_hz} Hz impossible at {emg.rate} Hz sampling")
    design = _butter_design(
        (float(cutoff_hz),), "lowpass", int(order), float(emg.rate), bool(correct_double_pass)
    )
    func, min_samples = _sosfiltfilt(design)
    return apply_by_segment(emg, func, min_segment_s=min_segment_s, min_samples=min_samples)


def notch(
    emg: EMG,
    mains_hz: float = 50.0,
    harmonics: int = 3,
    quality: float = 30.0,
    *,
    min_segment_s: float = 0.0,
) -> EMG:
    """Zero-lag IIR notch at the mains frequency and its harmonics below Nyquist.

    ``harmonics`` counts the frequencies removed: 3 at 50 Hz removes 50, 100 and 150 Hz.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(4000) / 1000.0
    >>> x = EMG(np.sin(2 * np.pi * 50 * t), rate=1000.0, channels=("VL",))
    >>> bool(np.abs(notch(x, 50.0, 1).data[0, 1000:3000]).max() < 0.05)
    True
    """
    freqs = [k * float(mains_hz) for k in range(1, int(harmonics) + 1)]
    freqs = [f for f in freqs if f < 0.98 * emg.rate / 2]
    if not freqs:
        return emg.replace(emg.data.copy())
    design = _notch_design(tuple(float(f) for f in freqs), float(quality), float(emg.rate))
    func, min_samples = _sosfiltfilt(design)
    out = apply_by_segment(emg, func, min_segment_s=min_segment_s, min_samples=min_samples)
    out.meta["notch_hz"] = tuple(freqs)
    return out


def rectify(emg: EMG) -> EMG:
    """Full-wave rectification (absolute value); NaN stays NaN.

    Examples
    --------
    >>> import numpy as np
    >>> rectify(EMG(np.array([[-2.0, 1.0]]), rate=1.0, channels=("TA",))).data.tolist()
    [[2.0, 1.0]]
    """
    return emg.replace(np.abs(emg.data))


def linear_envelope(
    emg: EMG,
    cutoff_hz: float = 6.0,
    order: int = 4,
    *,
    correct_double_pass: bool = False,
    min_segment_s: float = 0.0,
) -> EMG:
    """Linear envelope: full-wave rectification then zero-lag Butterworth low-pass.

    A sinusoid of amplitude ``A`` (well above the cut-off) gives an envelope of ``2A/pi`` (its
    mean rectified value).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(5000) / 1000.0
    >>> x = EMG(3.0 * np.sin(2 * np.pi * 101.3 * t), rate=1000.0, channels=("VL",))
    >>> env = linear_envelope(x, 6.0)
    >>> round(float(env.data[0, 2500]), 2), round(2 * 3.0 / np.pi, 2)
    (1.91, 1.91)
    """
    if not 0 < cutoff_hz < emg.rate / 2:
        raise ValueError(f"low-pass cut-off {cutoff_hz} Hz impossible at {emg.rate} Hz sampling")
    design = _butter_design(
        (float(cutoff_hz),), "lowpass", int(order), float(emg.rate), bool(correct_double_pass)
    )
    # lowpass(rectify(emg)) with the rectification done while padding (NaN stays NaN)
    return apply_by_segment(
        emg,
        lambda x: design.filtfilt(x, rectify=True),
        min_segment_s=min_segment_s,
        min_samples=design.padlen + 1,
    )


def moving_rms(emg: EMG, window_s: float = 0.05, *, min_segment_s: float = 0.0) -> EMG:
    """Centred (zero-lag) moving root mean square over ``window_s`` seconds.

    A sinusoid of amplitude ``A`` gives ``A / sqrt(2)`` once the window spans whole periods.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(2000) / 1000.0
    >>> x = EMG(2.0 * np.sin(2 * np.pi * 100 * t), rate=1000.0, channels=("VL",))
    >>> round(float(moving_rms(x, 0.05).data[0, 1000]), 4)
    1.4142
    """
    n = max(1, int(round(window_s * emg.rate)))

    def func(x: np.ndarray) -> np.ndarray:
        ms = ndimage.uniform_filter1d(x * x, size=n, mode="nearest")
        return np.sqrt(np.maximum(ms, 0.0))

    return apply_by_segment(emg, func, min_segment_s=min_segment_s, min_samples=n)


def moving_average(emg: EMG, window_s: float = 0.5) -> EMG:
    """Centred moving average over ``window_s`` seconds (used on rectified MVC trials).

    Examples
    --------
    >>> import numpy as np
    >>> x = EMG(np.ones((1, 100)), rate=100.0, channels=("SO",))
    >>> float(moving_average(x, 0.1).data.max())
    1.0
    """
    n = max(1, int(round(window_s * emg.rate)))
    return apply_by_segment(
        emg, lambda x: ndimage.uniform_filter1d(x, size=n, mode="nearest"), min_samples=n
    )


def bandpass_params(emg: EMG, params: dict) -> EMG:
    """:func:`bandpass` (and :func:`notch` when enabled) with the ``emg:`` parameters.

    Examples
    --------
    >>> from analysis.core.settings import merge_params
    >>> x = EMG(np.random.default_rng(0).standard_normal(3000), rate=1000.0, channels=("VL",))
    >>> bandpass_params(x, merge_params()).meta["bandpass_hz"]
    (20.0, 450.0)
    """
    bp, nt = params["bandpass"], params["notch"]
    seg = float(params.get("gaps", {}).get("min_segment_s", 0.0))
    x = bandpass(
        emg,
        bp["low_hz"],
        bp["high_hz"],
        int(bp["order"]),
        correct_double_pass=bool(bp.get("correct_double_pass", False)),
        max_nyquist_fraction=float(bp.get("max_nyquist_fraction", 0.9)),
        min_segment_s=seg,
    )
    if nt.get("enabled", False):
        applied = x.meta["bandpass_hz"]
        x = notch(x, float(nt["mains_hz"]), int(nt["harmonics"]), float(nt["quality"]))
        x.meta["bandpass_hz"] = applied
    return x


def envelope_of_bandpassed(emg: EMG, params: dict) -> EMG:
    """Envelope of an already band-passed signal: linear envelope or moving RMS (``emg:``).

    Examples
    --------
    >>> from analysis.core.settings import merge_params
    >>> t = np.arange(4000) / 1000.0
    >>> x = EMG(np.sin(2 * np.pi * 101.3 * t), rate=1000.0, channels=("VL",))
    >>> round(float(envelope_of_bandpassed(x, merge_params()).data[0, 2000]), 2)
    0.64
    """
    ev = params["envelope"]
    if ev["method"] == "rms":
        return moving_rms(emg, float(ev["rms_window_s"]))
    return linear_envelope(
        emg,
        float(ev["lowpass_hz"]),
        int(ev["order"]),
        correct_double_pass=bool(ev.get("correct_double_pass", False)),
    )


def envelope(emg: EMG, params: dict) -> EMG:
    """The configured processing chain from raw EMG to envelope.

    Band-pass, optional mains notch, then either a linear envelope (rectification and low-pass)
    or a moving RMS, with the parameters of the ``emg:`` configuration block (see
    :func:`analysis.core.settings.merge_params`). Channels are processed one at a time, so the
    temporary memory is a few channels' worth.

    Examples
    --------
    >>> from analysis.core.settings import merge_params
    >>> rng = np.random.default_rng(0)
    >>> x = EMG(rng.standard_normal((2, 5000)), rate=1000.0, channels=("VL", "TA"))
    >>> env = envelope(x, merge_params())
    >>> env.data.shape, bool((env.data[:, 500:-500] > 0).all())
    ((2, 5000), True)
    """
    out = np.empty_like(emg.data)
    applied = None
    for i, c in enumerate(emg.channels):
        one = EMG(emg.data[i], emg.rate, (c,), emg.units, emg.t0)
        bp = bandpass_params(one, params)
        applied = bp.meta["bandpass_hz"]
        out[i] = envelope_of_bandpassed(bp, params).data[0]
    result = emg.replace(out)
    if applied is not None:
        result.meta["bandpass_hz"] = applied
    return result
