"""One trial's EMG at each processing step (raw, band-passed, envelope) with its gait events."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis.core.signal import EMG
from analysis.report.figures.style import DOUBLE_COLUMN_IN, OKABE_ITO, new_figure, style
from analysis.report.labels import MUSCLE_NAMES

__all__ = ["plot_trial"]

_EVENT_STYLE = {
    "foot_contact": {"color": OKABE_ITO["black"], "linestyle": "-"},
    "foot_off": {"color": OKABE_ITO["reddish_purple"], "linestyle": "--"},
}
_STEP_COLOR = {"raw": "#7F7F7F", "band-passed": OKABE_ITO["blue"], "envelope": OKABE_ITO["orange"]}


def _window(emg: EMG, start: float, stop: float) -> tuple[np.ndarray, slice]:
    t = emg.t0 + np.arange(emg.data.shape[1]) / emg.rate
    i0, i1 = np.searchsorted(t, [start, stop])
    return t[i0:i1], slice(int(i0), int(i1))


def plot_trial(
    raw: EMG,
    bandpassed: EMG,
    envelope: EMG,
    events: pl.DataFrame | None = None,
    *,
    muscles: Sequence[str] | None = None,
    window_s: tuple[float, float] | None = None,
    side: str | None = None,
    title: str | None = None,
    width: float = DOUBLE_COLUMN_IN,
) -> Figure:
    """Raw, band-passed and enveloped EMG of one trial, one row per muscle, events as lines.

    One row per muscle: the raw signal (grey, left column) and the band-passed signal (blue,
    µV) with its envelope (orange, twin right axis) in the right column; a vertical line per gait
    event (solid foot contact, dashed foot off) of ``side`` in both.

    Parameters
    ----------
    raw, bandpassed, envelope : EMG
        The same trial at each step (:func:`analysis.ingest.readers.read_emg`,
        :func:`analysis.emg.filters.bandpass_params`, :func:`analysis.emg.filters.envelope`).
    events : polars.DataFrame, optional
        :func:`analysis.ingest.readers.read_events` (side, event, time_s).
    muscles : sequence of str, optional
        Channels to draw (default: all).
    window_s : (float, float), optional
        Time window in seconds (default: the first 4 s).
    side : str, optional
        Only the events of this side (``left``/``right``); all when None.
    title : str, optional
        Figure title (e.g. subject, session, direction, trial).
    width : float
        Width in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    chans = [c for c in (muscles or raw.channels) if c in raw.channels]
    if not chans:
        raise ValueError(f"none of {list(muscles or [])} is a channel of {list(raw.channels)}")
    start = raw.t0 if window_s is None else window_s[0]
    stop = start + 4.0 if window_s is None else window_s[1]
    ev = events if events is not None else pl.DataFrame()
    if side and ev.height:
        ev = ev.filter(pl.col("side") == side)
    if ev.height:
        ev = ev.filter(pl.col("time_s").is_between(start, stop))
    with style():
        fig = new_figure(width, 0.6 + 1.1 * len(chans))
        axes = fig.subplots(len(chans), 2, sharex=True, squeeze=False)
        for (ax_raw, ax), m in zip(axes, chans, strict=True):
            t, sl = _window(raw, start, stop)
            ax_raw.plot(t, raw.data[raw.channels.index(m), sl], lw=0.4, color=_STEP_COLOR["raw"])
            ax_raw.set_ylabel(f"{m} (µV)")
            t, sl = _window(bandpassed, start, stop)
            k = bandpassed.channels.index(m)
            ax.plot(t, bandpassed.data[k, sl], lw=0.4, color=_STEP_COLOR["band-passed"])
            t, sl = _window(envelope, start, stop)
            twin = ax.twinx()
            twin.plot(t, envelope.data[envelope.channels.index(m), sl], lw=1.2,
                      color=_STEP_COLOR["envelope"])  # fmt: skip
            twin.set_ylim(bottom=0)
            twin.set_ylabel(f"envelope ({envelope.units})", color=_STEP_COLOR["envelope"])
            for a in (ax_raw, ax):
                for row in ev.iter_rows(named=True):
                    a.axvline(row["time_s"], lw=0.8, **_EVENT_STYLE.get(row["event"], {}))
            ax_raw.set_title(f"{MUSCLE_NAMES.get(m, m)} ({m}): raw", loc="left", fontsize="small")
            ax.set_title("band-passed and envelope", loc="left", fontsize="small")
        for a in axes[-1]:
            a.set_xlabel("time (s)")
        handles = [Line2D([], [], lw=1, color=c, label=n) for n, c in _STEP_COLOR.items()]
        handles += [Line2D([], [], lw=0.8, label=e.replace("_", " "), **s)
                    for e, s in _EVENT_STYLE.items()]  # fmt: skip
        fig.legend(handles=handles, loc="outside lower center", ncols=5, fontsize="small",
                   frameon=False)  # fmt: skip
        if title:
            fig.suptitle(title, fontsize="medium")
    return fig
