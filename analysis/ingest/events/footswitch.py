"""Foot contact and foot off from a footswitch, pressure insole or vertical force channel."""

from __future__ import annotations

import numpy as np
import polars as pl

from analysis.core.signal import EMG


def _runs(on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.diff(np.concatenate([[0], on.view(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _contact_periods(
    x: np.ndarray, rate: float, threshold: float, min_contact_s: float, min_swing_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sample indices where loading starts and ends, short blips and dropouts removed."""
    on = np.nan_to_num(x, nan=-np.inf) > threshold
    starts, stops = _runs(on)
    # fill dropouts shorter than a plausible swing, then drop contacts shorter than plausible
    short_gap = (starts[1:] - stops[:-1]) < min_swing_s * rate
    for k in np.flatnonzero(short_gap):
        on[stops[k] : starts[k + 1]] = True
    starts, stops = _runs(on)
    keep = (stops - starts) >= min_contact_s * rate
    return starts[keep], stops[keep]


def events_from_threshold(
    signal: EMG,
    channel: str | dict[str, str],
    *,
    side: str = "right",
    threshold: float | None = None,
    threshold_fraction: float = 0.2,
    min_contact_s: float = 0.2,
    min_swing_s: float = 0.15,
) -> pl.DataFrame:
    """Foot contact and foot off from a footswitch or vertical force channel by threshold.

    Parameters
    ----------
    signal : EMG
        Recording holding the footswitch/force channel(s) (any units).
    channel : str or dict
        One channel (force plate, insole total force, single footswitch), or several sensors of
        the same foot as ``{"heel": "FSW_HEEL", "toe": "FSW_TOE"}``: the foot is loaded when any
        sensor is, and the contact type of each foot contact is the sensor loaded first (toe
        first in backward walking). No sensor order is assumed.
    side : {"right", "left"}
    threshold : float, optional
        Absolute threshold; default ``p5 + threshold_fraction * (p95 - p5)`` of each channel.
    min_contact_s, min_swing_s : float
        Loading periods shorter than ``min_contact_s`` are ignored and unloaded dropouts shorter
        than ``min_swing_s`` are bridged.

    Returns
    -------
    polars.DataFrame
        side, event, time_s, contact (as :func:`analysis.ingest.readers.read_events`). A loading
        period cut
        by the start or end of the recording gives no event there.

    Examples
    --------
    >>> t = np.arange(0, 3, 0.001)
    >>> force = np.where((t % 1.0) < 0.62, 700.0, 0.0)
    >>> sig = EMG(force[np.newaxis], rate=1000.0, channels=("FZ",))
    >>> ev = events_from_threshold(sig, "FZ")
    >>> ev.filter(pl.col("event") == "foot_contact")["time_s"].to_list()
    [1.0, 2.0]
    """
    sensors = {None: channel} if isinstance(channel, str) else dict(channel)
    loaded = np.zeros(signal.n_samples, dtype=bool)
    sensor_on: dict = {}
    for label, ch in sensors.items():
        x = signal[ch]
        if threshold is None:
            lo, hi = np.nanpercentile(x, [5, 95])
            thr = lo + threshold_fraction * (hi - lo)
        else:
            thr = threshold
        on = np.nan_to_num(x, nan=-np.inf) > thr
        sensor_on[label] = on
        loaded |= on
    starts, stops = _contact_periods(
        loaded.astype(float), signal.rate, 0.5, min_contact_s, min_swing_s
    )
    rows = []
    for a, b in zip(starts, stops, strict=True):
        if a > 0:
            contact = None
            if len(sensors) > 1:
                # the sensor whose loading began first in this contact period
                firsts = {
                    lab: (np.argmax(on[a:b]) if on[a:b].any() else np.inf)
                    for lab, on in sensor_on.items()
                }
                contact = min(firsts, key=firsts.get)
            rows.append((side, "foot_contact", signal.t0 + a / signal.rate, contact))
        if b < signal.n_samples:
            rows.append((side, "foot_off", signal.t0 + b / signal.rate, None))
    return pl.DataFrame(
        rows,
        schema={"side": pl.String, "event": pl.String, "time_s": pl.Float64, "contact": pl.String},
        orient="row",
    ).sort("time_s")
