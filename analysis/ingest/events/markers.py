"""Gait events from marker kinematics, direction-aware (forward and backward walking).

The signal is the horizontal position of a foot marker relative to the pelvis, projected on the
walking direction (Zeni et al. 2008). A foot contact found so is refined forward to the instant
the contact marker's horizontal speed relative to the ground falls below
``contact_speed_mm_s`` (500 mm/s, after Ghoussayni et al. 2004; the ground's speed is the
median speed of the feet while low, i.e. zero overground and the belt speed on a treadmill):
on the biomechZoo recordings the position extremum alone comes about 35 ms early.

In **forward** walking the heel lands first and the toe leaves last: foot contact is a maximum
of the heel's signal, foot off a minimum of the toe's.
**Backward** walking is close to forward walking run backwards: the toe lands first and the
heel leaves last, so foot contact is a maximum of the toe's signal and foot off a minimum of
the heel's. "Walking direction" is always the direction of travel, found from the data:

- overground (the pelvis travels): the pelvis' horizontal velocity, smoothed over
  ``smooth_s``, frame by frame (so turns are followed);
- treadmill (the pelvis stays put): the principal horizontal axis of the feet's motion
  relative to the pelvis, signed so that a foot on the ground moves backwards relative to the
  pelvis (true in both walking directions).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.signal import butter, filtfilt, find_peaks

from analysis.ingest.events.forceplate import EVENT_SCHEMA

OVERGROUND_SPEED_MM_S = 150.0


def _fill(x: np.ndarray, rate: float, max_gap_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Columns of ``x`` with gaps interpolated, and a mask of gaps longer than ``max_gap_s``."""
    x = np.array(x, dtype=float)
    bad = ~np.isfinite(x).all(axis=1)
    long = np.zeros(bad.size, dtype=bool)
    if bad.all():
        return x, ~long
    idx = np.arange(x.shape[0])
    for k in range(x.shape[1]):
        x[bad, k] = np.interp(idx[bad], idx[~bad], x[~bad, k])
    edges = np.diff(np.r_[0, bad.astype(np.int8), 0])
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        if (b - a) > max_gap_s * rate or a == 0 or b == bad.size:
            long[a:b] = True
    return x, long


def _lowpass(x: np.ndarray, rate: float, cutoff_hz: float) -> np.ndarray:
    b, a = butter(2, cutoff_hz / (rate / 2))
    if x.shape[0] <= 3 * max(len(a), len(b)) * 3:
        return x
    return filtfilt(b, a, x, axis=0)


def walking_direction(
    pelvis: np.ndarray,
    feet: list[np.ndarray],
    rate: float,
    *,
    vertical: int = 2,
    smooth_s: float = 1.0,
) -> tuple[np.ndarray, str]:
    """Unit vector of the direction of travel per frame (frames x 2, horizontal plane).

    Returns the directions and how they were found (``pelvis velocity`` or ``foot motion``).

    Examples
    --------
    >>> t = np.arange(200) / 100.0
    >>> pelvis = np.column_stack([np.zeros(200), -1000.0 * t, np.full(200, 900.0)])
    >>> d, how = walking_direction(pelvis, [], 100.0)
    >>> np.round(d[100], 3).tolist(), how
    ([0.0, -1.0], 'pelvis velocity')
    """
    horiz = [k for k in range(3) if k != vertical]
    p = pelvis[:, horiz]
    v = np.gradient(p, 1.0 / rate, axis=0)
    n = max(1, int(round(smooth_s * rate)))
    kernel = np.ones(n) / n
    vs = np.column_stack([np.convolve(v[:, k], kernel, mode="same") for k in range(2)])
    speed = np.linalg.norm(vs, axis=1)
    if np.nanmedian(speed) > OVERGROUND_SPEED_MM_S:
        d = vs / np.where(speed > 0, speed, 1.0)[:, None]
        slow = speed < OVERGROUND_SPEED_MM_S  # standing still: keep the nearest direction
        if slow.any() and (~slow).any():
            good = np.flatnonzero(~slow)
            nearest = good[np.abs(np.arange(d.shape[0])[:, None] - good[None, :]).argmin(axis=1)]
            d = d[nearest]
        return d, "pelvis velocity"
    rel = np.concatenate([f[:, horiz] - p for f in feet]) if feet else p
    rel = rel[np.isfinite(rel).all(axis=1)]
    rel = rel - rel.mean(axis=0)
    _, _, vt = np.linalg.svd(rel, full_matrices=False)
    axis = vt[0]
    # a foot on the ground (lowest third of its height) moves backwards relative to the pelvis
    sign = 0.0
    for f in feet:
        r = (f[:, horiz] - p) @ axis
        low = f[:, vertical] < np.nanpercentile(f[:, vertical], 33)
        sign += float(np.nansum(np.gradient(r)[low]))
    axis = -axis if sign > 0 else axis
    return np.tile(axis, (pelvis.shape[0], 1)), "foot motion"


def events_from_markers(
    heel: dict[str, np.ndarray],
    toe: dict[str, np.ndarray],
    pelvis: np.ndarray,
    rate: float,
    *,
    t0: float = 0.0,
    direction: str = "forward",
    vertical: int = 2,
    lowpass_hz: float = 7.0,
    min_stride_s: float = 0.6,
    prominence_fraction: float = 0.25,
    max_gap_s: float = 0.1,
    contact_speed_mm_s: float | None = 500.0,
    max_refine_s: float = 0.15,
) -> tuple[pl.DataFrame, str]:
    """Foot contacts and foot offs from heel, toe and pelvis markers.

    Parameters
    ----------
    heel, toe : dict
        ``{"left": xyz, "right": xyz}``, frames x 3 in mm (NaN where missing; gaps up to
        ``max_gap_s`` are interpolated, events inside longer gaps are not reported).
    pelvis : ndarray
        Frames x 3: a sacrum marker or the mean of the pelvis markers.
    rate, t0 : float
        Marker frame rate (Hz) and capture-clock time of the first frame.
    direction : {"forward", "backward"}
        Walking direction relative to where the subject faces (trials.csv ``direction``).
    vertical : int
        Index of the vertical axis (2 = Z up).
    lowpass_hz : float
        Zero-lag low-pass of the marker trajectories before the extrema are found.
    min_stride_s, prominence_fraction : float
        Extrema closer than ``0.6 x min_stride_s`` are merged; an extremum must stand out by
        this fraction of the signal's 5-95 % range.
    contact_speed_mm_s, max_refine_s : float
        Refinement of foot contacts (above; ``None`` = the extremum itself), looked for at
        most ``max_refine_s`` after the extremum.

    Returns
    -------
    events, how
        side, event, time_s, contact (``heel`` forward, ``toe`` backward: the marker whose
        extremum gave the contact), source (``markers``); and how the walking direction was
        found.

    Examples
    --------
    >>> rate, t = 100.0, np.arange(400) / 100.0
    >>> pelvis = np.column_stack([1000 * t, np.zeros_like(t), np.full_like(t, 900.0)])
    >>> foot = lambda ph: np.column_stack([pelvis[:, 0] + 300 * np.sin(2 * np.pi * (t + ph)),
    ...                                    np.zeros_like(t), np.full_like(t, 50.0)])
    >>> ev, how = events_from_markers({"right": foot(0)}, {"right": foot(0.1) + [100, 0, 0]},
    ...                               pelvis, rate, contact_speed_mm_s=None)
    >>> ev.filter(pl.col("event") == "foot_contact")["time_s"].round(2).to_list()
    [0.25, 1.25, 2.25, 3.25]
    """
    if direction not in ("forward", "backward"):
        raise ValueError(f"direction must be forward or backward, got {direction!r}")
    pel, pel_gap = _fill(pelvis, rate, max_gap_s)
    pel = _lowpass(pel, rate, lowpass_hz)
    tracks = {}
    for name, group in (("heel", heel), ("toe", toe)):
        for side, xyz in group.items():
            filled, gap = _fill(xyz, rate, max_gap_s)
            tracks[(name, side)] = (_lowpass(filled, rate, lowpass_hz), gap | pel_gap)
    d, how = walking_direction(pel, [x for x, _ in tracks.values()], rate, vertical=vertical)
    horiz = [k for k in range(3) if k != vertical]
    on_marker, off_marker = ("heel", "toe") if direction == "forward" else ("toe", "heel")
    ground = _ground_velocity([x for x, _ in tracks.values()], rate, vertical)
    rows = []
    for side in sorted({s for _, s in tracks}):
        for event, marker, sign in (
            ("foot_contact", on_marker, 1.0),
            ("foot_off", off_marker, -1.0),
        ):
            if (marker, side) not in tracks:
                continue
            xyz, gap = tracks[(marker, side)]
            sig = sign * np.einsum("ij,ij->i", xyz[:, horiz] - pel[:, horiz], d)
            lo, hi = np.percentile(sig, [5, 95])
            peaks, _ = find_peaks(
                sig,
                distance=max(1, int(0.6 * min_stride_s * rate)),
                prominence=prominence_fraction * (hi - lo),
            )
            if event == "foot_contact" and contact_speed_mm_s is not None:
                v = np.gradient(xyz[:, horiz], 1.0 / rate, axis=0) - ground
                speed = np.linalg.norm(v, axis=1)
            for i in peaks:
                if gap[i]:
                    continue
                at = _vertex(sig, i)
                if event == "foot_contact" and contact_speed_mm_s is not None:
                    at = _slowed(speed, i, contact_speed_mm_s, int(max_refine_s * rate), at)
                rows.append(
                    (side, event, t0 + at / rate,
                     marker if event == "foot_contact" else None, "markers")
                )  # fmt: skip
    return pl.DataFrame(rows, schema=EVENT_SCHEMA, orient="row").sort("time_s"), how


def _ground_velocity(feet: list[np.ndarray], rate: float, vertical: int) -> np.ndarray:
    """Horizontal velocity of the ground (mm/s): median velocity of the feet while low."""
    horiz = [k for k in range(3) if k != vertical]
    parts = []
    for f in feet:
        low = f[:, vertical] < np.nanpercentile(f[:, vertical], 20)
        parts.append(np.gradient(f[:, horiz], 1.0 / rate, axis=0)[low])
    v = np.concatenate(parts) if parts else np.zeros((0, 2))
    return np.nanmedian(v, axis=0) if v.shape[0] else np.zeros(2)


def _slowed(speed: np.ndarray, i: int, level: float, n_max: int, default: float) -> float:
    """Fractional frame, from ``i`` on (at most ``n_max`` frames), where ``speed`` < ``level``."""
    for j in range(max(i, 1), min(speed.size, i + n_max + 1)):
        if speed[j] < level:
            a, b = speed[j - 1], speed[j]
            return float(j - 1 + (a - level) / (a - b)) if a > level and a != b else float(j)
    return default


def _vertex(y: np.ndarray, i: int) -> float:
    """Sub-frame position of the extremum at ``i`` (parabola through three frames)."""
    if i <= 0 or i >= y.size - 1:
        return float(i)
    a, b, c = y[i - 1], y[i], y[i + 1]
    den = a - 2 * b + c
    return float(i + 0.5 * (a - c) / den) if den != 0 else float(i)
