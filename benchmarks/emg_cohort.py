"""EMG stage vs a bare SciPy pipeline on realistic cohorts and a long recording (issue 19).

Synthetic subjects are generated in memory (reading files is not timed). For every subject,
in one process and alternating which runs first, this times

1. ``process_subject`` on the subject's trials (the whole EMG stage after reading), with the
   time of each stage collected by :func:`analysis.emg.timing.stage_times`, and
2. the bare pipeline on the same arrays, trial by trial: ``sosfiltfilt`` band-pass 20-450 Hz
   (order 4), ``abs``, ``sosfiltfilt`` low-pass 6 Hz (order 4), linear interpolation of each
   cycle to 101 points,

and the peak resident memory of each above what was resident before it (Linux ``VmHWM``, reset
through ``/proc/self/clear_refs``; the raw arrays are already in memory, as in the workflow).

Goals (exit 1 when missed, unless ``--no-check``): per cohort, the median over repeats of the
stage's time over the bare pipeline's at most 1.5, and peak memory at most 1.5 x (the raw
float64 array of the subject's largest trial + the output tables).

Usage::

    .venv/bin/python benchmarks/emg_cohort.py                       # all cohorts, 3 repeats
    .venv/bin/python benchmarks/emg_cohort.py --cohorts issue --repeat 1
    .venv/bin/python benchmarks/emg_cohort.py --json out.json --markdown out.md
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from scipy import signal as sps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.emg import Recording, merge_params, process_subject  # noqa: E402
from analysis.io.channels import CANONICAL_MUSCLES  # noqa: E402
from analysis.signal import EMG  # noqa: E402

SESSIONS = ("baseline", "post")
DIRECTIONS = ("forward", "backward")


@dataclass
class TrialSpec:
    session: str
    direction: str
    trial: int
    seconds: float


@dataclass
class SubjectSpec:
    name: str
    rate: float
    n_muscles: int
    trials: list[TrialSpec] = field(default_factory=list)


def channel_names(n: int) -> list[str]:
    """Canonical muscle codes first, then ``CH14``, ``CH15``, ... (processed as EMG too)."""
    return [CANONICAL_MUSCLES[i] if i < len(CANONICAL_MUSCLES) else f"CH{i + 1}" for i in range(n)]


def synth_trial(
    rng: np.random.Generator, names: list[str], rate: float, seconds: float, direction: str
) -> tuple[EMG, pl.DataFrame]:
    """Gait-like EMG (a burst per muscle per stride, ~1.1 s strides) and both feet's events."""
    n = int(round(seconds * rate))
    stride_mean = 1.1 if direction == "forward" else 1.0
    stance = 0.62 if direction == "forward" else 0.67
    strides = rng.normal(stride_mean, 0.03, int(seconds / (0.8 * stride_mean)) + 2)
    contacts = 0.4 + np.concatenate([[0.0], np.cumsum(strides)])
    contacts = contacts[contacts < seconds - 0.2]
    t = np.arange(n) / rate
    k = np.clip(np.searchsorted(contacts, t) - 1, 0, len(contacts) - 2)
    pct = (t - contacts[k]) / (contacts[k + 1] - contacts[k])
    carrier = sps.butter(2, [20.0, min(300.0, 0.45 * rate)], btype="bandpass", fs=rate,
                         output="sos")  # fmt: skip
    data = sps.sosfilt(carrier, rng.standard_normal((len(names), n)), axis=-1)
    for i in range(len(names)):
        d = np.abs(pct - (i * 0.13) % 1.0)
        d = np.minimum(d, 1 - d)
        data[i] *= 3.0 * (5.0 + 60.0 * np.exp(-0.5 * (d / 0.08) ** 2))
        data[i] += rng.uniform(-8, 8) + 0.6 * np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 6))
    contact = "heel" if direction == "forward" else "toe"
    rows = []
    for j, tc in enumerate(contacts):
        s = contacts[j + 1] - tc if j + 1 < len(contacts) else stride_mean
        rows += [("right", "foot_contact", tc, contact), ("right", "foot_off", tc + stance * s, None),
                 ("left", "foot_off", tc + (stance - 0.5) * s, None),
                 ("left", "foot_contact", tc + 0.5 * s, contact)]  # fmt: skip
    events = (
        pl.DataFrame(rows, schema=["side", "event", "time_s", "contact"], orient="row")
        .filter(pl.col("time_s") < seconds - 0.01)
        .sort("time_s")
    )
    return EMG(data, rate, tuple(names)), events


def recordings(spec: SubjectSpec, seed: int) -> list[Recording]:
    """The subject's trials, generated in memory."""
    rng = np.random.default_rng(seed)
    names = channel_names(spec.n_muscles)
    out = []
    for tr in spec.trials:
        emg, events = synth_trial(rng, names, spec.rate, tr.seconds, tr.direction)
        out.append(Recording(tr.session, tr.direction, tr.trial, emg, events))
    return out


def realistic_cohort(n_subjects: int, seed: int) -> list[SubjectSpec]:
    """Subjects of 2 sessions x 2 directions x 3 trials of 30-120 s, 8-16 muscles, 1 or 2 kHz."""
    rng = np.random.default_rng(seed)
    out = []
    for s in range(n_subjects):
        spec = SubjectSpec(f"R{s + 1:02d}", float(rng.choice([1000.0, 2000.0])),
                           int(rng.integers(8, 17)))  # fmt: skip
        for session in SESSIONS:
            for direction in DIRECTIONS:
                for trial in (1, 2, 3):
                    secs = float(rng.uniform(30.0, 120.0))
                    spec.trials.append(TrialSpec(session, direction, trial, secs))
        out.append(spec)
    return out


def issue_subject() -> list[SubjectSpec]:
    """The subject of issue 19: 12 trials x 13 muscles x 60 s at 2 kHz."""
    spec = SubjectSpec("I01", 2000.0, 13)
    spec.trials = [TrialSpec(s, d, k, 60.0) for s in SESSIONS for d in DIRECTIONS for k in (1, 2, 3)]
    return [spec]


def long_recording(minutes: float) -> list[SubjectSpec]:
    """One trial of 16 channels at 2 kHz lasting ``minutes``."""
    return [SubjectSpec("L01", 2000.0, 16, [TrialSpec("baseline", "forward", 1, minutes * 60)])]
