"""One trial prepared: events, filtered and enveloped channels, gait cycles, QC and exclusions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from analysis.core.signal import EMG
from analysis.emg.features import (
    CycleGrid,
    segment_stats,
)
from analysis.emg.filters import (
    bandpass_params,
    envelope_of_bandpassed,
)
from analysis.emg.gait import gait_cycles
from analysis.emg.qc import check_channel
from analysis.emg.recording import Recording
from analysis.emg.timing import stage
from analysis.ingest.events.footswitch import events_from_threshold
from analysis.ingest.readers.channels import CANONICAL_MUSCLES


@dataclass
class _Phases:
    """Fine sample segments of the used cycles and the phases (ranges of fine segments)."""

    fine_a: np.ndarray
    fine_b: np.ndarray
    cycle: np.ndarray  # index into the used cycles
    name: list[str]
    first: np.ndarray
    last: np.ndarray
    lo_pct: np.ndarray
    hi_pct: np.ndarray

    @cached_property
    def cycle_rows(self) -> np.ndarray:
        """Indices of the whole-cycle phases."""
        return np.flatnonzero([n == "cycle" for n in self.name])


@dataclass
class _Trial:
    rec: Recording
    muscles: list[str]
    cycles: pl.DataFrame  # all cycles from the events
    used: np.ndarray  # indices into `cycles` of the cycles inside the recording
    phases: _Phases
    curves: np.ndarray  # (n_used, n_muscles, points), microvolts
    fine: dict[str, dict[str, np.ndarray]]  # muscle -> segment stats in microvolts
    kept_env: dict[str, np.ndarray]  # envelopes of the co-contraction muscles (microvolts)
    rate: float
    qc: list[tuple]  # (muscle, cycle, flag, reason, severity)
    excluded: np.ndarray | None = None  # (n_used, n_muscles)

    @property
    def cycle_ids(self) -> np.ndarray:
        return self.cycles["cycle"].to_numpy()[self.used].astype(np.int64)


def _severity_excluded(severity: str, exclude_flagged: bool) -> bool:
    return severity == "hard" or (severity == "soft" and exclude_flagged)


def _events(rec: Recording, p: dict, qc_rows: list) -> pl.DataFrame:
    if rec.events is not None:
        return rec.events
    if rec.footswitch is not None:
        fs = p["footswitch"]
        return events_from_threshold(
            rec.emg,
            rec.footswitch,
            side=p["cycles"]["side"],
            threshold_fraction=float(fs["threshold_fraction"]),
            min_contact_s=float(fs["min_contact_s"]),
            min_swing_s=float(fs["min_swing_s"]),
        )
    qc_rows.append((None, None, "no_events", "no events and no footswitch channel", "hard"))
    return pl.DataFrame(schema={"side": pl.String, "event": pl.String, "time_s": pl.Float64})


def _phase_segments(emg: EMG, cycles: pl.DataFrame, used: np.ndarray) -> _Phases:
    """Fine segments (sample ranges) of each used cycle and the phases made of them.

    A cycle is cut at the opposite foot's off and contact and its own foot off when those are
    known and fall on distinct samples in order, else at its foot off alone, else not at all.
    """
    cols = {
        c: cycles[c].to_numpy().astype(float)[used]
        for c in ("start_s", "end_s", "foot_off_s", "opp_off_s", "opp_contact_s")
    }
    a, b, off = cols["start_s"], cols["end_s"], cols["foot_off_s"]
    options = [np.stack([a, cols["opp_off_s"], cols["opp_contact_s"], off, b], axis=1),
               np.stack([a, off, b], axis=1), np.stack([a, b], axis=1)]  # fmt: skip
    cuts = [_cut_samples(emg, times) for times in options]
    # the first option that cuts each cycle into non-empty segments, else the last one
    choice = np.full(a.size, len(options) - 1)
    for j in reversed(range(len(options) - 1)):
        choice[cuts[j][1]] = j
    times_of = [t.tolist() for t in options]
    idx_of = [c[0].tolist() for c in cuts]
    fine_a: list[int] = []
    fine_b: list[int] = []
    ph: list[tuple[int, str, int, int, float, float]] = []
    names = {4: ("double_support_1", "single_support", "double_support_2")}
    for k, j in enumerate(choice.tolist()):
        times, idx = times_of[j][k], idx_of[j][k]
        start, end = times[0], times[-1]
        pct = [(t - start) / (end - start) * 100.0 for t in times]
        n0, nf = len(fine_a), len(idx) - 1
        fine_a += idx[:-1]
        fine_b += idx[1:]
        ph.append((k, "cycle", n0, n0 + nf - 1, 0.0, 100.0))
        if nf >= 2:
            ph.append((k, "stance", n0, n0 + nf - 2, 0.0, pct[-2]))
            ph.append((k, "swing", n0 + nf - 1, n0 + nf - 1, pct[-2], 100.0))
        for i, name in enumerate(names.get(nf, ())):
            ph.append((k, name, n0 + i, n0 + i, pct[i], pct[i + 1]))
    return _Phases(
        np.array(fine_a, dtype=np.int64),
        np.array(fine_b, dtype=np.int64),
        np.array([x[0] for x in ph], dtype=np.int64),
        [x[1] for x in ph],
        np.array([x[2] for x in ph], dtype=np.int64),
        np.array([x[3] for x in ph], dtype=np.int64),
        np.array([x[4] for x in ph], dtype=float),
        np.array([x[5] for x in ph], dtype=float),
    )


def _cut_samples(emg: EMG, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample indices of cut times (cycles x cuts) and which cycles they cut properly.

    Half-open sample ranges: the next contact's sample belongs to the next cycle. A cycle is
    cut properly when none of its times is NaN and its samples strictly increase.
    """
    known = ~np.isnan(times).any(axis=1)
    idx = np.clip(emg.index_at(np.where(np.isnan(times), emg.t0, times)), 0, emg.n_samples)
    return idx, known & np.all(np.diff(idx, axis=1) > 0, axis=1)


def _combine(fine: dict, phases: _Phases) -> dict[str, np.ndarray]:
    """Sum, count and maximum of each phase from those of its (at most four) fine segments.

    NaN in one fine segment makes only the phases containing it NaN. The arrays of ``fine`` may
    have leading axes (e.g. one row per muscle); segments are along the last axis.
    """
    first, last = phases.first, phases.last
    out = {
        "sum": _phase_sums(fine["sum"], first, last),
        "n": _phase_sums(fine["n"], first, last),
        "max": np.full(first.size, -np.inf),
    }
    for o in range(int((last - first).max(initial=0)) + 1):
        inside = first + o <= last
        j = np.minimum(first + o, last)
        out["max"] = np.where(inside, np.fmax(out["max"], fine["max"][..., j]), out["max"])
        out["max"] = np.where(inside & np.isnan(fine["max"][..., j]), np.nan, out["max"])
    return out


def _phase_sums(values: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Sums of ``values[..., first:last + 1]`` for each phase, added left to right from 0.

    Examples
    --------
    >>> _phase_sums(np.array([1.0, 2.0, 4.0]), np.array([0, 2, 0]), np.array([1, 2, 2])).tolist()
    [3.0, 4.0, 7.0]
    """
    out = np.zeros(first.size)
    for o in range(int((last - first).max(initial=0)) + 1):
        inside = first + o <= last
        j = np.minimum(first + o, last)
        out = np.where(inside, out + values[..., j], out)
    return out


def _channel_rows(rec: Recording, p: dict) -> tuple[list[str], list[tuple]]:
    """The channels processed as EMG and the info rows about the others."""
    emg = rec.emg
    qc_rows: list[tuple] = []
    muscles = [c for c in emg.channels if c in CANONICAL_MUSCLES]
    if p.get("unmapped_channels", "skip") == "process":
        skip = set([rec.footswitch] if isinstance(rec.footswitch, str) else
                   (rec.footswitch or {}).values())  # fmt: skip
        muscles = [c for c in emg.channels if c not in skip]
    for c in emg.channels:
        if c not in muscles:
            qc_rows.append(
                (c, None, "not_a_muscle", f"channel '{c}' is not a canonical muscle code: not "
                 "processed as EMG", "info")
            )  # fmt: skip
    for m in p.get("muscles") or []:
        if m not in emg.channels:
            qc_rows.append(
                (m, None, "missing_channel", f"{m} is declared in cohort.yaml emg.muscles but "
                 "not in this recording", "info")
            )  # fmt: skip
    return muscles, qc_rows


def _trial_cycles(
    rec: Recording, p: dict, qc_rows: list[tuple]
) -> tuple[pl.DataFrame, np.ndarray, _Phases]:
    """The trial's gait cycles, the indices of those inside the recording and their phases."""
    emg = rec.emg
    events = _events(rec, p, qc_rows)
    t_end = emg.t0 + (emg.n_samples - 1) / emg.rate
    cycles, issues = gait_cycles(
        events,
        p["cycles"],
        recording=(emg.t0, t_end),
        duration_mad=float(p["qc"]["cycle_duration_mad"]),
        duration_min_dev_pct=float(p["qc"]["cycle_duration_min_dev_pct"]),
    )
    if events.height:
        qc_rows += [(None, r["cycle"], r["flag"], r["reason"], r["severity"])
                    for r in issues.iter_rows(named=True)]  # fmt: skip
    outside = set(issues.filter(pl.col("flag") == "outside_recording")["cycle"].to_list())
    used = np.array([i for i, c in enumerate(cycles["cycle"].to_list()) if c not in outside], int)
    return cycles, used, _phase_segments(emg, cycles, used)


def _prepare(rec: Recording, p: dict, pair_muscles: set[str]) -> _Trial:
    emg = rec.emg
    with stage("events"):
        muscles, qc_rows = _channel_rows(rec, p)
        cycles, used, phases = _trial_cycles(rec, p, qc_rows)
        starts = cycles["start_s"].to_numpy()[used] if used.size else np.empty(0)
        ends = cycles["end_s"].to_numpy()[used] if used.size else np.empty(0)
        cycle_ids = cycles["cycle"].to_numpy()[used] if used.size else np.empty(0, int)
        points = int(p["cycles"]["points"])
        grid = CycleGrid.of(emg, starts, ends, points)
    curves = np.empty((used.size, len(muscles), points))
    fine: dict[str, dict[str, np.ndarray]] = {}
    kept: dict[str, np.ndarray] = {}
    for k, m in enumerate(muscles):
        i = emg.channels.index(m)
        raw = EMG(emg.data[i], emg.rate, (m,), emg.units, emg.t0)
        with stage("filter"):
            bp = bandpass_params(raw, p)
        if k == 0 and bp.meta["bandpass_hz"][1] < float(p["bandpass"]["high_hz"]):
            qc_rows.append(
                (None, None, "bandpass_limited", f"high cut-off lowered from "
                 f"{float(p['bandpass']['high_hz']):g} to {bp.meta['bandpass_hz'][1]:g} Hz "
                 f"(sampling rate {emg.rate:g} Hz)", "info")
            )  # fmt: skip
        with stage("qc"):
            channel_flags = check_channel(raw, bp, p)
            qc_rows += [(r[0], None, r[1], r[2], r[3]) for r in channel_flags]
        with stage("envelope"):
            env = envelope_of_bandpassed(bp, p)
            del bp
        with stage("cycles"):
            curves[:, k, :] = grid.sample(env.data[0])
            fine[m] = segment_stats(env.data[0], phases.fine_a, phases.fine_b)
            if m in pair_muscles:
                kept[m] = env.data[0]
            if any(r[1] == "all_nan" for r in channel_flags):
                continue  # one trial-level row says it all
            qc_rows += _gap_rows(m, fine[m], phases, cycle_ids)
    return _Trial(rec, muscles, cycles, used, phases, curves, fine, kept, emg.rate, qc_rows)


def _gap_rows(m: str, fine: dict, phases: _Phases, cycle_ids: np.ndarray) -> list[tuple]:
    """A hard ``gap`` row for each cycle whose envelope has missing samples."""
    cyc = phases.cycle_rows
    cycle_sums = _phase_sums(fine["sum"], phases.first[cyc], phases.last[cyc])
    return [
        (m, int(cyc), "gap", "samples missing in the cycle (or in a stretch too short "
         "to filter)", "hard")
        for cyc in cycle_ids[np.isnan(cycle_sums)]
    ]  # fmt: skip


def _exclusions(t: _Trial, exclude_flagged: bool) -> np.ndarray:
    out = np.zeros((t.used.size, len(t.muscles)), dtype=bool)
    pos = {int(c): k for k, c in enumerate(t.cycle_ids)}
    col = {m: k for k, m in enumerate(t.muscles)}
    for muscle, cycle, _flag, _reason, severity in t.qc:
        if not _severity_excluded(severity, exclude_flagged):
            continue
        if muscle is not None and muscle not in col:
            continue
        rows = slice(None) if cycle is None else pos.get(int(cycle))
        if rows is None:
            continue
        cols = slice(None) if muscle is None else col[muscle]
        out[rows, cols] = True
    return out
