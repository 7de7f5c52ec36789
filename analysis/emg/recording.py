"""One trial's recording as the EMG stage takes it, and the stage's result tables."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis.core.signal import EMG

KEYS = ("cohort", "subject", "session", "direction", "trial")


@dataclass
class Recording:
    """One walking trial of a subject.

    Parameters
    ----------
    session, direction, trial
        Keys of the trial (direction ``forward`` or ``backward``).
    emg : EMG
        Raw EMG in microvolts with canonical muscle codes (other channels, e.g. a footswitch, are
        carried but not processed as EMG).
    events : polars.DataFrame, optional
        side, event, time_s[, contact] (:func:`analysis.ingest.readers.read_events`).
    speed_m_s : float, optional
        Treadmill speed, for stride length.
    footswitch : str or dict, optional
        Channel(s) of ``emg`` to detect events from when ``events`` is None (see
        :func:`analysis.ingest.events.footswitch.events_from_threshold`).
    """

    session: str
    direction: str
    trial: int
    emg: EMG
    events: pl.DataFrame | None = None
    speed_m_s: float | None = None
    footswitch: str | dict | None = None


@dataclass
class EMGResult:
    """Tidy outputs of the EMG stage for one subject (see docs/emg.md for every column)."""

    curves: pl.DataFrame
    features: pl.DataFrame
    qc: pl.DataFrame
    spatiotemporal: pl.DataFrame
    normalisation: pl.DataFrame
