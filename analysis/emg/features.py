"""Cycle-level EMG measures: time normalisation, phase statistics, onsets, co-contraction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.core.signal import EMG


def time_normalise(
    env: EMG, starts_s: np.ndarray, ends_s: np.ndarray, points: int = 101
) -> np.ndarray:
    """Resample each cycle of each channel to ``points`` equally spaced instants.

    Point ``k`` of a cycle is at ``start + k / (points - 1) * (end - start)`` (linear
    interpolation between samples), so with 101 points the values sit at 0, 1, ..., 100 % of
    the cycle and both ends are included.

    Returns
    -------
    ndarray, shape (n_cycles, n_channels, points)

    Examples
    --------
    >>> rate = 1000.0
    >>> t = np.arange(3000) / rate
    >>> env = EMG(t[np.newaxis] * 2.0, rate=rate, channels=("TA",))
    >>> curves = time_normalise(env, np.array([0.5]), np.array([1.5]), 101)
    >>> curves.shape, round(float(curves[0, 0, 50]), 6), round(float(curves[0, 0, 100]), 6)
    ((1, 1, 101), 2.0, 3.0)
    """
    grid = CycleGrid.of(env, starts_s, ends_s, points)
    out = np.empty((grid.n_cycles, len(env.channels), grid.points))
    for c in range(len(env.channels)):
        out[:, c, :] = grid.sample(env.data[c])
    return out


@dataclass(frozen=True)
class CycleGrid:
    """Where the ``points`` instants of each cycle fall between samples (see time_normalise)."""

    i0: np.ndarray
    i1: np.ndarray
    w: np.ndarray
    n_cycles: int
    points: int

    @classmethod
    def of(cls, env: EMG, starts_s: np.ndarray, ends_s: np.ndarray, points: int) -> CycleGrid:
        starts_s = np.asarray(starts_s, dtype=float)
        ends_s = np.asarray(ends_s, dtype=float)
        frac = np.linspace(0.0, 1.0, int(points))
        t = starts_s[:, None] + frac[None, :] * (ends_s - starts_s)[:, None]
        pos = ((t - env.t0) * env.rate).ravel()
        i0 = np.clip(np.floor(pos).astype(np.int64), 0, max(env.n_samples - 2, 0))
        i1 = np.minimum(i0 + 1, env.n_samples - 1)
        return cls(i0, i1, pos - i0, starts_s.size, int(points))

    def sample(self, x: np.ndarray) -> np.ndarray:
        """The cycles of one channel, shape (n_cycles, points)."""
        return (x[self.i0] * (1 - self.w) + x[self.i1] * self.w).reshape(self.n_cycles, self.points)


def segment_stats(x: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> dict[str, np.ndarray]:
    """Sum, sample count and maximum of ``x[start:stop]`` for many segments in one pass.

    Segments must be non-empty, sorted and non-overlapping (they may touch). A segment holding
    NaN has NaN sum and maximum.

    Examples
    --------
    >>> s = segment_stats(np.array([1.0, 3.0, 2.0, 5.0, 4.0]), np.array([0, 3]), np.array([3, 5]))
    >>> s["sum"].tolist(), s["n"].tolist(), s["max"].tolist()
    ([6.0, 9.0], [3.0, 2.0], [3.0, 5.0])
    """
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    if starts.size == 0:
        empty = np.empty(0)
        return {"sum": empty, "n": empty, "max": empty}
    idx = _reduceat_index(starts, stops, x.size)
    sums = np.add.reduceat(x, idx)[0::2]
    maxima = np.maximum.reduceat(x, idx)[0::2]
    return {"sum": sums, "n": (stops - starts).astype(float), "max": maxima}


def segment_sums(x: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The ``sum`` of :func:`segment_stats` alone (same values), for when only sums are needed.

    Examples
    --------
    >>> segment_sums(np.array([1.0, 3.0, 2.0, 5.0, 4.0]), np.array([0, 3]), np.array([3, 5]))
    array([6., 9.])
    """
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    if starts.size == 0:
        return np.empty(0)
    return np.add.reduceat(x, _reduceat_index(starts, stops, x.size))[0::2]


def _reduceat_index(starts: np.ndarray, stops: np.ndarray, size: int) -> np.ndarray:
    """``reduceat`` indices ``[start, stop, start, stop, ...]``: even outputs are the segments."""
    if np.any(stops <= starts) or np.any(starts[1:] < stops[:-1]):
        raise ValueError("segments must be non-empty, sorted and non-overlapping")
    idx = np.empty(2 * starts.size, dtype=np.int64)
    idx[0::2], idx[1::2] = starts, stops
    return idx[:-1] if idx[-1] >= size else idx


def onset_offset(
    curves: np.ndarray, threshold: np.ndarray | float, min_points: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Onset and offset (% of cycle) of the longest activity period of each cycle.

    Activity is the curve above ``threshold`` for at least ``min_points`` consecutive points.
    The cycle is treated as circular (a burst around foot contact, e.g. 90 % -> 10 %, is one
    burst with onset > offset). The last point (100 %) is the next cycle's 0 % and is ignored.

    Parameters
    ----------
    curves : ndarray, shape (n_cycles, points)
    threshold : float or ndarray broadcastable to (n_cycles,)
    min_points : int

    Returns
    -------
    onset, offset, active_pct : ndarray, shape (n_cycles,)
        Onset (first active point) and offset (last active point) in % of the cycle (NaN
        when no burst lasts ``min_points``; 0 and 100 when active throughout), and the % of
        the cycle above threshold. All NaN for cycles with missing values or a NaN threshold.

    Examples
    --------
    >>> pct = np.arange(101.0)
    >>> c = np.where((pct >= 90) | (pct <= 10), 1.0, 0.0)[np.newaxis]
    >>> on, off, active = onset_offset(c, 0.5, 5)
    >>> float(on[0]), float(off[0]), float(active[0])
    (90.0, 10.0, 21.0)
    """
    curves = np.asarray(curves, dtype=float)
    n, points = curves.shape
    p = points - 1
    step = 100.0 / p
    thr = np.broadcast_to(np.asarray(threshold, dtype=float), (n,))[:, None]
    active = curves[:, :p] > thr
    active_pct = active.sum(axis=1) * step
    onset = np.full(n, np.nan)
    offset = np.full(n, np.nan)
    undefined = np.isnan(curves[:, :p]).any(axis=1) | np.isnan(thr[:, 0])
    active[undefined] = False
    active_pct[undefined] = np.nan
    all_on = active.all(axis=1)
    onset[all_on], offset[all_on] = 0.0, 100.0
    partial = np.flatnonzero(~all_on & active.any(axis=1))
    if partial.size:
        a = active[partial]
        first_off = np.argmin(a, axis=1)
        # start each row at an inactive point so that no burst wraps around
        idx = (first_off[:, None] + np.arange(p)[None, :]) % p
        b = np.take_along_axis(a, idx, axis=1)
        run = _run_lengths(b)
        end = np.argmax(run, axis=1)
        length = run[np.arange(partial.size), end]
        ok = length >= min_points
        start = end - length + 1
        onset[partial[ok]] = ((first_off + start) % p)[ok] * step
        offset[partial[ok]] = ((first_off + end) % p)[ok] * step
    return onset, offset, active_pct


def _run_lengths(b: np.ndarray) -> np.ndarray:
    """Length of the run of True ending at each point of each row (0 where False).

    Examples
    --------
    >>> _run_lengths(np.array([[True, True, False, True], [False, True, True, True]])).tolist()
    [[1, 2, 0, 1], [0, 1, 2, 3]]
    """
    pos = np.arange(b.shape[1], dtype=np.int64)
    last_false = np.maximum.accumulate(np.where(b, -1, pos[None, :]), axis=1)
    return np.where(b, pos[None, :] - last_false, 0)


def onset_threshold(
    curves: np.ndarray, k_sd: float = 3.0, window_pct: float = 10.0
) -> tuple[float, float, float]:
    """Baseline and threshold for onsets, from a trial's cycles of one muscle.

    Gait has no rest period, so the baseline is the quietest window of the cycle: the
    ``window_pct`` wide (circular) window where the mean curve is lowest. The threshold is the
    mean plus ``k_sd`` standard deviations of all cycles' values in that window.

    Returns
    -------
    threshold, baseline_mean, baseline_sd

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> pct = np.arange(101.0)
    >>> c = 1.0 + 10 * np.exp(-0.5 * ((pct - 50) / 5) ** 2) + rng.normal(0, 0.1, (20, 101))
    >>> thr, mean, sd = onset_threshold(c, 3.0, 10.0)
    >>> bool(1.2 < thr < 1.6), round(mean, 1)
    (True, 1.0)
    """
    curves = np.asarray(curves, dtype=float)
    p = curves.shape[1] - 1
    if curves.shape[0] == 0:
        return float("nan"), float("nan"), float("nan")
    nan = np.isnan(curves[:, :p])
    any_nan = bool(nan.any())
    if any_nan and nan.all(axis=0).any():
        return float("nan"), float("nan"), float("nan")
    # without NaN, mean and std are nanmean and nanstd (same sums), only faster
    mean_of, sd_of = (np.nanmean, np.nanstd) if any_nan else (np.mean, np.std)
    w = max(1, int(round(window_pct / 100.0 * p)))
    mean_curve = mean_of(curves[:, :p], axis=0)
    ext = np.concatenate([mean_curve, mean_curve[: w - 1]])
    win = np.convolve(ext, np.ones(w) / w, mode="valid")[:p]
    start = int(np.nanargmin(win) if any_nan else np.argmin(win))
    cols = (start + np.arange(w)) % p
    vals = curves[:, cols]
    mean, sd = float(mean_of(vals)), float(sd_of(vals))
    return mean + k_sd * sd, mean, sd


def cocontraction_samples(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-sample terms of the co-contraction indices of two envelopes (any shape).

    Returns ``lower``, ``lower + higher`` and Rudolph's ``lower / higher * (lower + higher)``
    (0 where both are 0); negative envelope values (filter ringing) count as zero. Summed over a
    phase they give :func:`cocontraction_falconer_winter` and :func:`cocontraction_rudolph`.

    Examples
    --------
    >>> lo, both, rud = cocontraction_samples(np.array([2.0, 1.0]), np.array([1.0, 1.0]))
    >>> lo.tolist(), both.tolist(), rud.tolist()
    ([1.0, 1.0], [3.0, 2.0], [1.5, 2.0])
    """
    a, b = np.asarray(np.maximum(a, 0.0)), np.asarray(np.maximum(b, 0.0))
    lo = np.minimum(a, b)
    both = np.add(a, b, out=a)
    del a
    # lo / (both - lo) * both where both > lo, else 0, in the buffer of b (fewer temporaries)
    rud = np.subtract(both, lo, out=b)
    del b
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(lo, rud, out=rud)
        np.multiply(rud, both, out=rud)
    np.copyto(rud, 0.0, where=~(both > lo))
    return lo, both, rud


def cocontraction_falconer_winter(a: np.ndarray, b: np.ndarray) -> float:
    """Falconer & Winter (1985) co-contraction index in %: ``2 * sum(min) / sum(a + b) * 100``.

    Negative envelope values (filter ringing) count as zero.

    Examples
    --------
    >>> round(cocontraction_falconer_winter(np.array([1.0, 1.0]), np.array([1.0, 0.0])), 2)
    66.67
    """
    lo, both, _ = cocontraction_samples(a, b)
    total = np.sum(both)
    return float(200.0 * np.sum(lo) / total) if total > 0 else float("nan")


def cocontraction_rudolph(a: np.ndarray, b: np.ndarray) -> float:
    """Rudolph et al. (2000) co-contraction index: mean of ``lower / higher * (lower + higher)``.

    In the units of the (normalised) envelopes; negative values count as zero.

    Examples
    --------
    >>> cocontraction_rudolph(np.array([2.0, 1.0]), np.array([1.0, 1.0]))
    1.75
    """
    return float(np.mean(cocontraction_samples(a, b)[2]))
