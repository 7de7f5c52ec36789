"""``process_subject``: one subject's trials from raw EMG and events to tidy tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.core.settings import EmgSettings, merge_params
from analysis.core.signal import EMG
from analysis.emg.features import (
    CycleGrid,
    cocontraction_samples,
    onset_offset,
    onset_threshold,
    segment_stats,
)
from analysis.emg.filters import (
    bandpass,
    bandpass_params,
    envelope_of_bandpassed,
    moving_average,
    notch,
    rectify,
)
from analysis.emg.gait import gait_cycles, spatiotemporal_rows
from analysis.emg.qc import check_channel
from analysis.emg.sides import process_by_side
from analysis.emg.tables import (
    CURVE_SCHEMA,
    FEATURE_SCHEMA,
    QC_SCHEMA,
    SPATIOTEMPORAL_SCHEMA,
    Table,
    rows_frame,
)
from analysis.emg.timing import stage
from analysis.ingest.events.footswitch import events_from_threshold
from analysis.ingest.readers.channels import CANONICAL_MUSCLES

METHOD_MVC = "mvc"
METHOD_REFERENCE = "reference: peak of mean forward envelope"
METHOD_REFERENCE_ALL = "reference: peak of mean envelope, all directions (no forward cycles)"
METHOD_NONE = "none: no usable cycles"
UNIT_MVC, UNIT_REF = "%MVC", "% reference"
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
    """Fine segments (sample ranges) of each used cycle and the phases made of them."""
    cols = {
        c: cycles[c].to_numpy().astype(float)
        for c in ("start_s", "end_s", "foot_off_s", "opp_off_s", "opp_contact_s")
    }
    fine_a: list[int] = []
    fine_b: list[int] = []
    ph: list[tuple[int, str, int, int, float, float]] = []
    names = {4: ("double_support_1", "single_support", "double_support_2")}
    for k, i in enumerate(used):
        a, b = cols["start_s"][i], cols["end_s"][i]
        off, oo, oc = cols["foot_off_s"][i], cols["opp_off_s"][i], cols["opp_contact_s"][i]
        for times in ([a, oo, oc, off, b], [a, off, b], [a, b]):
            if np.isnan(times).any():
                continue
            # half-open sample ranges: the next contact's sample belongs to the next cycle
            idx = np.clip(emg.index_at(np.array(times)), 0, emg.n_samples)
            if np.all(np.diff(idx) > 0):
                break
        pct = [(t - a) / (b - a) * 100.0 for t in times]
        n0, nf = len(fine_a), len(idx) - 1
        fine_a += idx[:-1].tolist()
        fine_b += idx[1:].tolist()
        ph.append((k, "cycle", n0, n0 + nf - 1, 0.0, 100.0))
        if nf >= 2:
            ph.append((k, "stance", n0, n0 + nf - 2, 0.0, pct[-2]))
            ph.append((k, "swing", n0 + nf - 1, n0 + nf - 1, pct[-2], 100.0))
        for j, name in enumerate(names.get(nf, ())):
            ph.append((k, name, n0 + j, n0 + j, pct[j], pct[j + 1]))
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


def _combine(fine: dict, phases: _Phases) -> dict[str, np.ndarray]:
    """Sum, count and maximum of each phase from those of its (at most four) fine segments.

    NaN in one fine segment makes only the phases containing it NaN. The arrays of ``fine`` may
    have leading axes (e.g. one row per muscle); segments are along the last axis.
    """
    first, last = phases.first, phases.last
    out = {
        "sum": np.zeros(first.size),
        "n": np.zeros(first.size),
        "max": np.full(first.size, -np.inf),
    }
    for o in range(int((last - first).max(initial=0)) + 1):
        inside = first + o <= last
        j = np.minimum(first + o, last)
        for key in ("sum", "n"):
            out[key] = np.where(inside, out[key] + fine[key][..., j], out[key])
        out["max"] = np.where(inside, np.fmax(out["max"], fine["max"][..., j]), out["max"])
        out["max"] = np.where(inside & np.isnan(fine["max"][..., j]), np.nan, out["max"])
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
    cycle_sums = _combine(fine, phases)["sum"][[n == "cycle" for n in phases.name]]
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


def mvc_reference(mvc: EMG | list[EMG], muscle: str, params: Mapping) -> float:
    """Peak of the moving-average envelope of a muscle's MVC trial(s), in microvolts.

    ``params`` are complete EMG parameters (:func:`analysis.core.settings.merge_params`).

    The MVC recording is band-passed (and notched) like the walking trials, rectified and
    smoothed with a centred moving average of ``normalisation.mvc_window_s`` seconds; the
    reference is the highest value over all MVC trials given.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(5000) / 1000.0
    >>> x = rng.standard_normal(5000) * np.where((t > 2) & (t < 4), 100.0, 5.0)
    >>> ref = mvc_reference(EMG(x, 1000.0, ("VL",)), "VL", merge_params())
    >>> bool(70 < ref < 85)  # mean rectified value of Gaussian noise of SD 100: 79.8
    True
    """
    bp, nt = params["bandpass"], params["notch"]
    best = np.nan
    for emg in mvc if isinstance(mvc, list | tuple) else [mvc]:
        x = emg.select([muscle]) if muscle in emg.channels else emg
        if len(x.channels) != 1:
            raise ValueError(f"MVC recording has no channel {muscle} (channels {emg.channels})")
        y = bandpass(x, bp["low_hz"], bp["high_hz"], int(bp["order"]),
                     correct_double_pass=bool(bp["correct_double_pass"]),
                     max_nyquist_fraction=float(bp["max_nyquist_fraction"]))  # fmt: skip
        if nt["enabled"]:
            y = notch(y, float(nt["mains_hz"]), int(nt["harmonics"]), float(nt["quality"]))
        env = moving_average(rectify(y), float(params["normalisation"]["mvc_window_s"]))
        best = np.nanmax([best, np.nanmax(env.data)])
    return float(best)


def _references(
    trials: list[_Trial], p: dict, mvc: dict | None
) -> dict[str, tuple[float, str, int]]:
    method = p["normalisation"]["method"]
    order = {m: i for i, m in enumerate(CANONICAL_MUSCLES)}
    muscles = sorted({m for t in trials for m in t.muscles}, key=lambda m: (order.get(m, 99), m))
    refs: dict[str, tuple[float, str, int]] = {}
    for m in muscles:
        if method in ("auto", "mvc") and mvc and m in mvc:
            refs[m] = (mvc_reference(mvc[m], m, p), METHOD_MVC, 0)
            continue
        if method == "mvc":
            raise ValueError(
                f"emg.normalisation.method is 'mvc' but no MVC recording was given for {m}"
            )
        stacks = {"forward": [], "all": []}
        for t in trials:
            if m not in t.muscles or not t.used.size:
                continue
            k = t.muscles.index(m)
            keep = ~t.excluded[:, k]
            c = t.curves[keep, k, :]
            stacks["all"].append(c)
            if t.rec.direction == "forward":
                stacks["forward"].append(c)
        for key, label in (("forward", METHOD_REFERENCE), ("all", METHOD_REFERENCE_ALL)):
            c = np.concatenate(stacks[key]) if stacks[key] else np.empty((0, 1))
            if c.shape[0]:
                refs[m] = (float(np.nanmax(np.nanmean(c, axis=0))), label, int(c.shape[0]))
                break
        else:
            refs[m] = (np.nan, METHOD_NONE, 0)
    return refs


class _FeatureRows:
    """Columns of the features table, gathered as arrays of codes (strings built at the end)."""

    def __init__(self, t: _Trial, points: int) -> None:
        ph = t.phases
        self.phases = ph
        self.phase_names = sorted(set(ph.name), key=ph.name.index)
        self.ph_code = np.array([self.phase_names.index(n) for n in ph.name], dtype=np.int64)
        cycle_code = self.phase_names.index("cycle") if "cycle" in self.phase_names else -1
        self.is_cycle = self.ph_code == cycle_code
        self.grid = np.linspace(0.0, 100.0, points)
        self.in_phase = (self.grid[None, :] >= ph.lo_pct[:, None] - 1e-9) & (
            self.grid[None, :] <= ph.hi_pct[:, None] + 1e-9
        )
        self.names: list[str] = []
        self.features: list[str] = []
        self.units: list[str] = []
        self.parts: dict[str, list] = {k: [] for k in ("row", "muscle", "phase", "feature",
                                                        "value", "unit", "excluded")}  # fmt: skip

    def add(self, muscle: str, excl: np.ndarray, feature: str, values: np.ndarray, unit: str,
            cycle_only: bool = False) -> None:  # fmt: skip
        ph, parts = self.phases, self.parts
        rows = np.flatnonzero(self.is_cycle) if cycle_only else np.arange(ph.cycle.size)
        n = rows.size
        parts["row"].append(ph.cycle[rows])
        parts["phase"].append(self.ph_code[rows])
        parts["muscle"].append(np.full(n, _code(self.names, muscle)))
        parts["feature"].append(np.full(n, _code(self.features, feature)))
        parts["unit"].append(np.full(n, _code(self.units, unit)))
        parts["value"].append(np.asarray(values, dtype=float))
        parts["excluded"].append(excl[ph.cycle[rows]])

    def add_muscles(self, muscles: list[str], excluded: np.ndarray, features: list[tuple]) -> None:
        """Rows of every muscle: ``features`` = (name, values (muscles x rows), units, cycle_only).

        The same rows, in the same order, as :meth:`add` muscle by muscle and feature by feature.
        """
        ph, parts = self.phases, self.parts
        n_m = len(muscles)
        all_rows, cycle_rows = np.arange(ph.cycle.size), np.flatnonzero(self.is_cycle)
        rows = [cycle_rows if f[3] else all_rows for f in features]
        lengths = np.array([r.size for r in rows])
        rows_t = np.concatenate(rows)
        feat = np.repeat([_code(self.features, f[0]) for f in features], lengths)
        unit = np.array([[_code(self.units, f[2][k]) for f in features] for k in range(n_m)])
        names = np.array([_code(self.names, m) for m in muscles])
        total = rows_t.size
        parts["row"].append(np.tile(ph.cycle[rows_t], n_m))
        parts["phase"].append(np.tile(self.ph_code[rows_t], n_m))
        parts["muscle"].append(np.repeat(names, total))
        parts["feature"].append(np.tile(feat, n_m))
        parts["unit"].append(np.repeat(unit, lengths, axis=1).ravel())
        parts["value"].append(np.concatenate([f[1] for f in features], axis=1).ravel())
        parts["excluded"].append(excluded.T[:, ph.cycle[rows_t]].ravel())

    def add_to(self, table: Table, cycle_ids: np.ndarray) -> None:
        parts = self.parts
        if not parts["row"]:
            return
        row = np.concatenate(parts["row"])
        table.values("cycle", cycle_ids[row])
        table.strings("muscle", self.names, np.concatenate(parts["muscle"]))
        table.strings("phase", self.phase_names, np.concatenate(parts["phase"]))
        table.strings("feature", self.features, np.concatenate(parts["feature"]))
        table.values("value", np.concatenate(parts["value"]))
        table.strings("unit", self.units, np.concatenate(parts["unit"]))
        table.values("excluded", np.concatenate(parts["excluded"]).astype(bool))

    @property
    def n_rows(self) -> int:
        return int(sum(v.size for v in self.parts["value"]))


def _code(categories: list[str], value: str) -> int:
    if value not in categories:
        categories.append(value)
    return categories.index(value)


def _add_curves(table: Table, t: _Trial, curves: np.ndarray, units: list[str], keys: dict) -> None:
    n_used, n_m, points = curves.shape
    unit_names = sorted(set(units))
    table.add_trial(keys, curves.size)
    # narrow integers while the trials accumulate (Int64 in the table)
    table.values("cycle", np.repeat(t.cycle_ids.astype(np.int32), n_m * points))
    table.strings("muscle", t.muscles, np.tile(np.repeat(np.arange(n_m), points), n_used))
    pct = np.rint(np.linspace(0, 100, points)).astype(np.int16)
    table.values("pct", np.tile(pct, n_used * n_m))
    table.values("value", curves.ravel())
    codes = np.repeat([unit_names.index(u) for u in units], points)
    table.strings("norm_unit", unit_names, np.tile(codes, n_used))
    table.values("excluded", np.repeat(t.excluded, points, axis=1).ravel())


def _muscle_features(
    t: _Trial, out: _FeatureRows, curves: np.ndarray, scale: np.ndarray, units: list[str], p: dict
) -> None:
    """mean, peak, iemg, peak_time of every phase; onset, offset, active_pct of each cycle.

    Computed for all muscles at once (rows = muscles), added muscle by muscle.
    """
    ph, points = t.phases, curves.shape[2]
    n_used = curves.shape[0]
    fine = {key: np.stack([t.fine[m][key] for m in t.muscles]) for key in ("sum", "n", "max")}
    s = _combine(fine, ph)
    sc = scale[:, None]
    mean = s["sum"] / s["n"] * sc
    peak = s["max"] * sc
    iemg = s["sum"] / t.rate * sc
    c = np.where(out.in_phase[:, None, :], curves[ph.cycle], -np.inf)
    peak_time = out.grid[np.argmax(c, axis=2)].T
    peak_time = np.where(~out.in_phase.any(axis=1) | np.isnan(mean), np.nan, peak_time)
    thr = np.repeat([_onset_threshold(t, curves, k, p) for k in range(len(t.muscles))], n_used)
    min_pts = max(1, int(round(float(p["onset"]["min_duration_pct"]) / 100 * (points - 1))))
    rows = curves.transpose(1, 0, 2).reshape(-1, points)
    on, off, active = (v.reshape(len(t.muscles), n_used) for v in onset_offset(rows, thr, min_pts))
    unit_s = [f"{u}*s" for u in units]
    cycle = ["% cycle"] * len(units)
    out.add_muscles(t.muscles, t.excluded, [
        ("mean", mean, units, False), ("peak", peak, units, False), ("iemg", iemg, unit_s, False),
        ("peak_time", peak_time, cycle, False), ("onset", on, cycle, True),
        ("offset", off, cycle, True), ("active_pct", active, cycle, True),
    ])  # fmt: skip


def _onset_threshold(t: _Trial, curves: np.ndarray, k: int, p: dict) -> float:
    """The onset threshold of muscle ``k`` from its included cycles (all if none is)."""
    included = curves[~t.excluded[:, k], k, :]
    base = included if included.shape[0] else curves[:, k, :]
    thr, _, _ = onset_threshold(
        base, float(p["onset"]["baseline_sd"]), float(p["onset"]["baseline_window_pct"])
    )
    return thr


def _pair_features(
    t: _Trial, out: _FeatureRows, scale: np.ndarray, units: list[str], p: dict
) -> None:
    """Co-contraction indices of each configured pair of muscles, per phase."""
    ph = t.phases
    for a_m, b_m in p["cocontraction_pairs"]:
        if a_m not in t.kept_env or b_m not in t.kept_env:
            continue
        ka, kb = t.muscles.index(a_m), t.muscles.index(b_m)
        lo, both, rud = cocontraction_samples(
            t.kept_env[a_m] * scale[ka], t.kept_env[b_m] * scale[kb]
        )
        s_lo = _combine(segment_stats(lo, ph.fine_a, ph.fine_b), ph)["sum"]
        s_both = _combine(segment_stats(both, ph.fine_a, ph.fine_b), ph)["sum"]
        s_rud = _combine(segment_stats(rud, ph.fine_a, ph.fine_b), ph)
        del lo, both, rud
        excl = t.excluded[:, ka] | t.excluded[:, kb]
        with np.errstate(invalid="ignore", divide="ignore"):
            fw = np.where(s_both > 0, 200.0 * s_lo / s_both, np.nan)
        pair = f"{a_m}/{b_m}"
        out.add(pair, excl, "cci_falconer_winter", fw, "%")
        out.add(pair, excl, "cci_rudolph", s_rud["sum"] / s_rud["n"],
                units[ka] if units[ka] == units[kb] else "mixed")  # fmt: skip


def _add_trial(tables: dict[str, Table], t: _Trial, refs: dict, p: dict, keys: dict) -> None:
    """The trial's curves and features, added to the subject's tables."""
    with stage("cycles"):
        scale = np.array([100.0 / refs[m][0] if refs[m][0] > 0 else np.nan for m in t.muscles])
        units = [UNIT_MVC if refs[m][1] == METHOD_MVC else UNIT_REF for m in t.muscles]
        curves = t.curves * scale[None, :, None]
    with stage("tables"):
        _add_curves(tables["curves"], t, curves, units, keys)
    with stage("features"):
        rows = _FeatureRows(t, curves.shape[2])
        if t.used.size:
            _muscle_features(t, rows, curves, scale, units, p)
            _pair_features(t, rows, scale, units, p)
    with stage("tables"):
        tables["features"].add_trial(keys, rows.n_rows)
        rows.add_to(tables["features"], t.cycle_ids)


def process_subject(
    recordings: list[Recording],
    params: EmgSettings | Mapping | None,
    *,
    cohort: str,
    subject: str,
    mvc: dict[str, EMG | list[EMG]] | None = None,
) -> EMGResult:
    """Run the whole EMG stage for one subject's trials.

    Parameters
    ----------
    recordings : list of Recording
        All the subject's trials (every session and direction: the amplitude reference is shared
        across them).
    params : EmgSettings or mapping
        The cohort's resolved EMG settings (:class:`analysis.core.settings.EmgSettings`), or a
        partial ``emg:`` mapping whose missing keys take the defaults.
    cohort, subject : str
    mvc : dict, optional
        Muscle code -> MVC recording(s) (:class:`EMG` or list of them, raw microvolts).

    Returns
    -------
    EMGResult
        ``curves``, ``features``, ``qc``, ``spatiotemporal`` and ``normalisation`` tables
        (columns in docs/emg.md). Every cycle is kept; ``excluded`` marks what the statistics
        leave out, with the reasons in ``qc``. Each table has a ``side`` column: channels coded
        ``L_``/``R_`` (or all channels, by ``emg.side``) are processed with the gait cycles of
        their own leg (:mod:`analysis.emg.sides`).

    Examples
    --------
    >>> from analysis.simulate import activation_profile
    >>> rng = np.random.default_rng(0)
    >>> rate, stride = 1000.0, 1.0
    >>> t = np.arange(int(8 * rate)) / rate
    >>> pct = (t % stride) / stride * 100
    >>> ta = activation_profile([(5.0, 5.0, 50.0)], pct) * rng.standard_normal(t.size)
    >>> emg = EMG(ta, rate, ("TA",))
    >>> contacts = np.arange(0.0, 8.0, stride)
    >>> events = pl.DataFrame({"side": "right", "event": ["foot_contact"] * 8 + ["foot_off"] * 8,
    ...                        "time_s": np.r_[contacts, contacts + 0.62]}).sort("time_s")
    >>> out = process_subject([Recording("baseline", "forward", 1, emg, events)], {},
    ...                       cohort="demo", subject="S01")
    >>> out.normalisation["method"].item()
    'reference: peak of mean forward envelope'
    >>> curve = out.curves.group_by("pct").agg(pl.col("value").mean()).sort("value")
    >>> curve["pct"][-1] < 15 or curve["pct"][-1] > 95
    True
    """
    tables = process_by_side(
        recordings, params, cohort=cohort, subject=subject, mvc=mvc, one_side=process_side
    )
    return EMGResult(**tables)


def process_side(
    recordings: list[Recording],
    params: EmgSettings | Mapping | None,
    *,
    cohort: str,
    subject: str,
    mvc: dict[str, EMG | list[EMG]] | None = None,
) -> EMGResult:
    """The EMG stage for the channels of one leg, cycles from that leg's contacts.

    ``params["cycles"]["side"]`` names the leg; :func:`process_subject` calls it once per leg
    (:mod:`analysis.emg.sides`) and adds the ``side`` column. Same parameters and tables.
    """
    p = merge_params(params)
    exclude_flagged = bool(p["qc"]["exclude_flagged"])
    pair_muscles = {m for pair in p["cocontraction_pairs"] for m in pair}
    trials = [_prepare(rec, p, pair_muscles) for rec in recordings]
    with stage("cycles"):
        for t in trials:
            t.excluded = _exclusions(t, exclude_flagged)
        refs = _references(trials, p, mvc)
    tables = {"curves": Table(CURVE_SCHEMA), "features": Table(FEATURE_SCHEMA)}
    qc_rows: list[tuple] = []
    st_rows: list[tuple] = []
    for t in trials:
        rec = t.rec
        keys = {"cohort": cohort, "subject": subject, "session": rec.session,
                "direction": rec.direction, "trial": int(rec.trial)}  # fmt: skip
        _add_trial(tables, t, refs, p, keys)
        with stage("tables"):
            key = tuple(keys.values())
            qc_rows += [(*key, m, c, fl, r, _severity_excluded(s, exclude_flagged))
                        for m, c, fl, r, s in t.qc]  # fmt: skip
            st_rows += [(*key, *row) for row in _spatiotemporal_rows(t, exclude_flagged)]
        t.kept_env = {}  # free the envelopes before the next trial's rows
    with stage("tables"):
        return EMGResult(
            curves=tables["curves"].frame(),
            features=tables["features"].frame(),
            qc=rows_frame(qc_rows, QC_SCHEMA) if trials else pl.DataFrame(),
            spatiotemporal=rows_frame(st_rows, SPATIOTEMPORAL_SCHEMA) if trials else pl.DataFrame(),
            normalisation=_normalisation_frame(refs, cohort, subject),
        )


def _spatiotemporal_rows(t: _Trial, exclude_flagged: bool) -> list[tuple]:
    """(cycle, parameter, value, unit, excluded) of every cycle of the trial."""
    cycle_excl = {
        int(cyc)
        for m, cyc, _f, _r, s in t.qc
        if m is None and cyc is not None and _severity_excluded(s, exclude_flagged)
    }
    trial_excl = any(
        m is None and cyc is None and _severity_excluded(s, exclude_flagged)
        for m, cyc, _f, _r, s in t.qc
    )
    return [
        (*row, trial_excl or row[0] in cycle_excl)
        for row in spatiotemporal_rows(t.cycles, speed_m_s=t.rec.speed_m_s)
    ]


def _normalisation_frame(refs: dict, cohort: str, subject: str) -> pl.DataFrame:
    rows = [
        (cohort, subject, m, method, ref, "uV", UNIT_MVC if method == METHOD_MVC else UNIT_REF, n)
        for m, (ref, method, n) in refs.items()
    ]
    return pl.DataFrame(
        rows,
        schema={
            "cohort": pl.String,
            "subject": pl.String,
            "muscle": pl.String,
            "method": pl.String,
            "reference_value": pl.Float64,
            "units": pl.String,
            "norm_unit": pl.String,
            "n_cycles": pl.Int64,
        },  # fmt: skip
        orient="row",
    )
