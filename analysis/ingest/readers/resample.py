"""Channels recorded at different rates onto one time base (none is ever dropped)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

VOLTAGE_UNITS = {"uv", "µv", "μv", "mv", "v"}


def target_rate(rates: list[float], units: list[str] | None = None) -> float:
    """The rate to bring every channel to: the highest rate of the voltage (EMG) channels.

    Without voltage channels, the highest rate of all.

    Examples
    --------
    >>> target_rate([148.0, 2000.0, 148.0], ["g", "mV", "g"])
    2000.0
    """
    volts = [r for r, u in zip(rates, units or [""] * len(rates), strict=True)
             if str(u).strip().casefold() in VOLTAGE_UNITS]  # fmt: skip
    return float(max(volts or rates))


def to_rate(x: np.ndarray, rate: float, target: float, n_target: int) -> np.ndarray:
    """``x`` sampled at ``rate`` (first sample at t = 0) on ``n_target`` samples at ``target``.

    Lower rates are interpolated linearly (values outside the channel's span are NaN); higher
    rates are decimated with a polyphase anti-aliasing filter. NaN samples stay gaps.

    Examples
    --------
    >>> to_rate(np.array([0.0, 1.0, 2.0]), 1.0, 2.0, 5).tolist()
    [0.0, 0.5, 1.0, 1.5, 2.0]
    """
    x = np.asarray(x, dtype=float)
    if rate == target:
        out = np.full(n_target, np.nan)
        out[: min(n_target, x.size)] = x[:n_target]
        return out
    if rate > target:
        frac = Fraction(target / rate).limit_denominator(1000)
        filled = np.nan_to_num(x, nan=float(np.nanmean(x)) if np.isfinite(x).any() else 0.0)
        y = resample_poly(filled, frac.numerator, frac.denominator)
        gap = np.isnan(x)
        if gap.any():
            t_src = np.arange(x.size) / rate
            t_dst = np.arange(y.size) / target
            y[np.interp(t_dst, t_src, gap.astype(float)) > 0] = np.nan
        out = np.full(n_target, np.nan)
        out[: min(n_target, y.size)] = y[:n_target]
        return out
    t_src = np.arange(x.size) / rate
    t_dst = np.arange(n_target) / target
    return np.interp(t_dst, t_src, x, left=np.nan, right=np.nan)
