"""``process_subject``: one subject's trials from raw EMG and events to tidy tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from analysis.emg.features import onset_offset, onset_threshold, segment_stats, time_normalise
from analysis.emg.filters import bandpass, moving_average, notch, rectify
from analysis.emg.filters import envelope as envelope_chain
from analysis.emg.gait import events_from_threshold, gait_cycles, spatiotemporal
from analysis.emg.params import merge_params
from analysis.emg.qc import check_channels
from analysis.io.channels import CANONICAL_MUSCLES
from analysis.signal import EMG

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
        side, event, time_s[, contact] (:func:`analysis.io.read_events`).
    speed_m_s : float, optional
        Treadmill speed, for stride length.
    footswitch : str or dict, optional
        Channel(s) of ``emg`` to detect events from when ``events`` is None (see
        :func:`analysis.emg.gait.events_from_threshold`).
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
    log: list[str] = field(default_factory=list)


@dataclass
class _Trial:
    rec: Recording
    muscles: list[str]
    env: EMG
    cycles: pl.DataFrame  # all cycles from the events
    used: np.ndarray  # indices into `cycles` of the cycles inside the recording
    curves: np.ndarray  # (n_used, n_muscles, points), microvolts
    qc: list[tuple]  # (muscle, cycle, flag, reason, severity)
    excluded: np.ndarray | None = None  # (n_used, n_muscles)


def _severity_excluded(severity: str, exclude_flagged: bool) -> bool:
    return severity == "hard" or (severity == "soft" and exclude_flagged)


def _prepare(rec: Recording, p: dict) -> _Trial:
    emg = rec.emg
    qc_rows: list[tuple] = []
    muscles = [c for c in emg.channels if c in CANONICAL_MUSCLES]
    for c in emg.channels:
        if c not in CANONICAL_MUSCLES:
            qc_rows.append(
                (c, None, "not_a_muscle", f"channel '{c}' is not a canonical muscle code: not "
                 "processed as EMG", "info")
            )  # fmt: skip
    events = rec.events
    if events is None and rec.footswitch is not None:
        fs = p["footswitch"]
        events = events_from_threshold(
            emg,
            rec.footswitch,
            side=p["cycles"]["side"],
            threshold_fraction=float(fs["threshold_fraction"]),
            min_contact_s=float(fs["min_contact_s"]),
            min_swing_s=float(fs["min_swing_s"]),
        )
    if events is None:
        events = pl.DataFrame(schema={"side": pl.String, "event": pl.String, "time_s": pl.Float64})
        qc_rows.append((None, None, "no_events", "no events file and no footswitch", "hard"))
    t_end = emg.t0 + (emg.n_samples - 1) / emg.rate
    cycles, issues = gait_cycles(
        events,
        p["cycles"],
        recording=(emg.t0, t_end),
        duration_mad=float(p["qc"]["cycle_duration_mad"]),
        duration_min_dev_pct=float(p["qc"].get("cycle_duration_min_dev_pct", 10.0)),
    )
    if not (events.height == 0 and qc_rows and qc_rows[-1][2] == "no_events"):
        qc_rows += [(None, r["cycle"], r["flag"], r["reason"], r["severity"])
                    for r in issues.iter_rows(named=True)]  # fmt: skip
    outside = set(issues.filter(pl.col("flag") == "outside_recording")["cycle"].to_list())
    used = np.array([i for i, c in enumerate(cycles["cycle"].to_list()) if c not in outside], int)
    raw = emg.select(muscles)
    qc_rows += [(r["muscle"], None, r["flag"], r["reason"], r["severity"])
                for r in check_channels(raw, p).iter_rows(named=True)]  # fmt: skip
    env = envelope_chain(raw, p)
    starts = cycles["start_s"].to_numpy()[used] if used.size else np.empty(0)
    ends = cycles["end_s"].to_numpy()[used] if used.size else np.empty(0)
    curves = time_normalise(env, starts, ends, int(p["cycles"]["points"]))
    cycle_ids = cycles["cycle"].to_numpy()[used] if used.size else np.empty(0, int)
    i0, i1 = env.index_at(starts), env.index_at(ends) + 1
    for m, x in enumerate(env.data):
        if not np.isnan(x).any():
            continue
        nan_cs = np.concatenate([[0], np.cumsum(np.isnan(x))])
        for k in range(used.size):
            n_nan = nan_cs[min(i1[k], x.size)] - nan_cs[max(i0[k], 0)]
            if n_nan:
                qc_rows.append(
                    (muscles[m], int(cycle_ids[k]), "gap", f"{n_nan / env.rate * 1000:.0f} ms of "
                     "the cycle missing (or too short to filter)", "hard")
                )  # fmt: skip
    return _Trial(rec, muscles, env, cycles, used, curves, qc_rows)


def _exclusions(t: _Trial, exclude_flagged: bool) -> np.ndarray:
    cycle_ids = t.cycles["cycle"].to_numpy()[t.used] if t.used.size else np.empty(0, int)
    out = np.zeros((t.used.size, len(t.muscles)), dtype=bool)
    pos = {int(c): k for k, c in enumerate(cycle_ids)}
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


def mvc_reference(mvc: EMG | list[EMG], muscle: str, params: dict) -> float:
    """Peak of the moving-average envelope of a muscle's MVC trial(s), in microvolts.

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
    p = merge_params(params)
    bp, nt = p["bandpass"], p["notch"]
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
        env = moving_average(rectify(y), float(p["normalisation"]["mvc_window_s"]))
        best = np.nanmax([best, np.nanmax(env.data)])
    return float(best)


def _references(
    trials: list[_Trial], p: dict, mvc: dict | None
) -> dict[str, tuple[float, str, int]]:
    method = p["normalisation"]["method"]
    muscles = sorted({m for t in trials for m in t.muscles}, key=CANONICAL_MUSCLES.index)
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


def _phase_segments(t: _Trial) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str, int, int]]]:
    """Fine segments (sample ranges) of each used cycle and the phases made of them."""
    env = t.env
    cyc = t.cycles
    cols = {c: cyc[c].to_numpy().astype(float) for c in ("start_s", "end_s", "foot_off_s",
                                                         "opp_off_s", "opp_contact_s")}  # fmt: skip
    fine_a, fine_b, phases = [], [], []
    for k, i in enumerate(t.used):
        a, b = cols["start_s"][i], cols["end_s"][i]
        off, oo, oc = cols["foot_off_s"][i], cols["opp_off_s"][i], cols["opp_contact_s"][i]
        candidates = [[a, oo, oc, off, b], [a, off, b], [a, b]]
        for times in candidates:
            if np.isnan(times).any():
                continue
            idx = np.clip(env.index_at(np.array(times)), 0, env.n_samples)
            idx[-1] = min(idx[-1] + 1, env.n_samples)  # the cycle's last sample belongs to it
            if np.all(np.diff(idx) > 0):
                break
        n0 = len(fine_a)
        fine_a += idx[:-1].tolist()
        fine_b += idx[1:].tolist()
        nf = len(idx) - 1
        phases.append((k, "cycle", n0, n0 + nf - 1))
        if nf >= 2:
            phases.append((k, "stance", n0, n0 + nf - 2))
            phases.append((k, "swing", n0 + nf - 1, n0 + nf - 1))
        if nf == 4:
            phases += [(k, "double_support_1", n0, n0), (k, "single_support", n0 + 1, n0 + 1),
                       (k, "double_support_2", n0 + 2, n0 + 2)]  # fmt: skip
    return np.array(fine_a, dtype=np.int64), np.array(fine_b, dtype=np.int64), phases


def _combine(fine: dict, first: np.ndarray, last: np.ndarray) -> dict[str, np.ndarray]:
    cs = {k: np.concatenate([[0.0], np.cumsum(fine[k])]) for k in ("sum", "n", "nan")}
    out = {k: cs[k][last + 1] - cs[k][first] for k in cs}
    best = np.full(first.size, -np.inf)
    arg = np.zeros(first.size, dtype=np.int64)
    for o in range(int((last - first).max(initial=0)) + 1):
        j = np.minimum(first + o, last)
        better = (first + o <= last) & (fine["max"][j] > best)
        best = np.where(better, fine["max"][j], best)
        arg = np.where(better, fine["argmax"][j], arg)
    out["max"] = np.where(out["nan"] > 0, np.nan, best)
    out["argmax"] = arg
    return out


def _trial_frames(t: _Trial, refs: dict, p: dict, keys: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    points = int(p["cycles"]["points"])
    cycle_ids = t.cycles["cycle"].to_numpy()[t.used] if t.used.size else np.empty(0, np.int64)
    n_used, n_m = t.used.size, len(t.muscles)
    scale = np.array([100.0 / refs[m][0] if refs[m][0] > 0 else np.nan for m in t.muscles])
    units = [UNIT_MVC if refs[m][1] == METHOD_MVC else UNIT_REF for m in t.muscles]
    curves = t.curves * scale[None, :, None]
    # curves: cycle x muscle x pct, flattened in that order
    curve_frame = pl.DataFrame(
        {
            "cycle": np.repeat(cycle_ids, n_m * points),
            "muscle": pl.Series(
                np.tile(np.repeat(np.array(t.muscles, dtype=object), points), n_used),
                dtype=pl.String,
            ),  # fmt: skip
            "pct": np.tile(np.rint(np.linspace(0, 100, points)).astype(np.int64), n_used * n_m),
            "value": curves.ravel(),
            "norm_unit": pl.Series(
                np.tile(np.repeat(np.array(units, dtype=object), points), n_used), dtype=pl.String
            ),  # fmt: skip
            "excluded": np.repeat(t.excluded, points, axis=1).ravel(),
        }
    )
    fine_a, fine_b, phases = _phase_segments(t)
    ph_cycle = np.array([x[0] for x in phases], dtype=np.int64)
    ph_name = np.array([x[1] for x in phases], dtype=object)
    first = np.array([x[2] for x in phases], dtype=np.int64)
    last = np.array([x[3] for x in phases], dtype=np.int64)
    starts_s = t.cycles["start_s"].to_numpy()[t.used] if n_used else np.empty(0)
    ends_s = t.cycles["end_s"].to_numpy()[t.used] if n_used else np.empty(0)
    cols: dict[str, list] = {k: [] for k in ("cycle", "muscle", "phase", "feature", "value",
                                             "unit", "excluded")}  # fmt: skip

    def add(muscle: str, excl: np.ndarray, feature: str, values: np.ndarray, unit: str,
            rows: np.ndarray | None = None, phase: np.ndarray | None = None) -> None:  # fmt: skip
        rows = ph_cycle if rows is None else rows
        n = rows.size
        cols["cycle"].append(cycle_ids[rows])
        cols["muscle"].append(np.full(n, muscle, dtype=object))
        cols["phase"].append(ph_name if phase is None else phase)
        cols["feature"].append(np.full(n, feature, dtype=object))
        cols["value"].append(np.asarray(values, dtype=float))
        cols["unit"].append(np.full(n, unit, dtype=object))
        cols["excluded"].append(excl[rows])

    duration = (ends_s - starts_s)[ph_cycle] if n_used else np.empty(0)
    stats = {}
    if n_used:
        for k, m in enumerate(t.muscles):
            x = t.env.data[k]
            fine = segment_stats(x, fine_a, fine_b)
            s = _combine(fine, first, last)
            stats[m] = s
            unit = units[k]
            excl = t.excluded[:, k]
            mean = s["sum"] / s["n"] * scale[k]
            mean = np.where(s["nan"] > 0, np.nan, mean)
            add(m, excl, "mean", mean, unit)
            add(m, excl, "peak", s["max"] * scale[k], unit)
            add(m, excl, "iemg", mean * (s["n"] / t.env.rate), f"{unit}*s")
            t_peak = t.env.t0 + s["argmax"] / t.env.rate
            peak_time = (t_peak - starts_s[ph_cycle]) / duration * 100
            add(m, excl, "peak_time", np.where(np.isnan(s["max"]), np.nan, peak_time), "% cycle")
            included = curves[~excl, k, :]
            base = included if included.shape[0] else curves[:, k, :]
            thr, _, _ = onset_threshold(base, float(p["onset"]["baseline_sd"]),
                                        float(p["onset"]["baseline_window_pct"]))  # fmt: skip
            min_pts = max(1, int(round(float(p["onset"]["min_duration_pct"]) / 100 *
                                       (points - 1))))  # fmt: skip
            on, off, active = onset_offset(curves[:, k, :], thr, min_pts)
            rows = np.arange(n_used)
            cyc_phase = np.full(n_used, "cycle", dtype=object)
            add(m, excl, "onset", on, "% cycle", rows, cyc_phase)
            add(m, excl, "offset", off, "% cycle", rows, cyc_phase)
            add(m, excl, "active_pct", active, "% cycle", rows, cyc_phase)
        for a_m, b_m in p["cocontraction_pairs"]:
            if a_m not in t.muscles or b_m not in t.muscles:
                continue
            ka, kb = t.muscles.index(a_m), t.muscles.index(b_m)
            a = np.maximum(t.env.data[ka] * scale[ka], 0.0)
            b = np.maximum(t.env.data[kb] * scale[kb], 0.0)
            lo = np.minimum(a, b)
            hi = np.maximum(a, b)
            with np.errstate(invalid="ignore", divide="ignore"):
                rud = np.where(hi > 0, lo / hi * (a + b), 0.0)
            both = a + b
            s_lo = _combine(segment_stats(lo, fine_a, fine_b), first, last)["sum"]
            s_both = _combine(segment_stats(both, fine_a, fine_b), first, last)["sum"]
            s_rud = _combine(segment_stats(rud, fine_a, fine_b), first, last)
            del a, b, lo, hi, rud, both
            excl = t.excluded[:, ka] | t.excluded[:, kb]
            with np.errstate(invalid="ignore", divide="ignore"):
                fw = np.where(s_both > 0, 200.0 * s_lo / s_both, np.nan)
            pair = f"{a_m}/{b_m}"
            pair_unit = units[ka] if units[ka] == units[kb] else "mixed"
            add(pair, excl, "cci_falconer_winter", fw, "%")
            add(pair, excl, "cci_rudolph", s_rud["sum"] / s_rud["n"], pair_unit)
    if cols["cycle"]:
        feat = pl.DataFrame(
            {
                "cycle": np.concatenate(cols["cycle"]).astype(np.int64),
                "muscle": pl.Series(np.concatenate(cols["muscle"]), dtype=pl.String),
                "phase": pl.Series(np.concatenate(cols["phase"]), dtype=pl.String),
                "feature": pl.Series(np.concatenate(cols["feature"]), dtype=pl.String),
                "value": np.concatenate(cols["value"]),
                "unit": pl.Series(np.concatenate(cols["unit"]), dtype=pl.String),
                "excluded": np.concatenate(cols["excluded"]).astype(bool),
            }
        )
    else:
        feat = pl.DataFrame(schema=FEATURE_SCHEMA_TAIL)
    return _with_keys(curve_frame, keys), _with_keys(feat, keys)


FEATURE_SCHEMA_TAIL = {
    "cycle": pl.Int64,
    "muscle": pl.String,
    "phase": pl.String,
    "feature": pl.String,
    "value": pl.Float64,
    "unit": pl.String,
    "excluded": pl.Boolean,
}


def _with_keys(df: pl.DataFrame, keys: dict) -> pl.DataFrame:
    lits = [
        pl.lit(v, dtype=pl.Int64 if k == "trial" else pl.String).alias(k) for k, v in keys.items()
    ]
    return df.with_columns(lits).select([*keys, *[c for c in df.columns if c not in keys]])


def process_subject(
    recordings: list[Recording],
    params: dict | None,
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
    params : dict
        The merged ``emg:`` configuration block (missing keys take the defaults).
    cohort, subject : str
    mvc : dict, optional
        Muscle code -> MVC recording(s) (:class:`EMG` or list of them, raw microvolts).

    Returns
    -------
    EMGResult
        ``curves``, ``features``, ``qc``, ``spatiotemporal`` and ``normalisation`` tables
        (columns in docs/emg.md). Every cycle is kept; ``excluded`` marks what the statistics
        leave out, with the reasons in ``qc``.

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
    p = merge_params(params)
    exclude_flagged = bool(p["qc"]["exclude_flagged"])
    trials = [_prepare(rec, p) for rec in recordings]
    for t in trials:
        t.excluded = _exclusions(t, exclude_flagged)
    refs = _references(trials, p, mvc)
    curves, features, qc_frames, st_frames = [], [], [], []
    for t in trials:
        rec = t.rec
        keys = {"cohort": cohort, "subject": subject, "session": rec.session,
                "direction": rec.direction, "trial": int(rec.trial)}  # fmt: skip
        c, f = _trial_frames(t, refs, p, keys)
        curves.append(c)
        features.append(f)
        qc = pl.DataFrame(
            [(m, c_, fl, r, _severity_excluded(s, exclude_flagged)) for m, c_, fl, r, s in t.qc],
            schema={
                "muscle": pl.String,
                "cycle": pl.Int64,
                "flag": pl.String,
                "reason": pl.String,
                "excluded": pl.Boolean,
            },  # fmt: skip
            orient="row",
        )
        qc_frames.append(_with_keys(qc, keys))
        st = spatiotemporal(t.cycles, speed_m_s=rec.speed_m_s)
        cycle_excl = {
            int(cyc)
            for m, cyc, _f, _r, s in t.qc
            if m is None and cyc is not None and _severity_excluded(s, exclude_flagged)
        }
        trial_excl = any(
            m is None and cyc is None and _severity_excluded(s, exclude_flagged)
            for m, cyc, _f, _r, s in t.qc
        )
        st = st.with_columns(
            excluded=pl.lit(trial_excl) | pl.col("cycle").is_in(sorted(cycle_excl))
        )
        st_frames.append(_with_keys(st, keys))
        t.env = None  # free the envelope before the next trial's frames
    normalisation = pl.DataFrame(
        [(cohort, subject, m, method, ref, "uV", n) for m, (ref, method, n) in refs.items()],
        schema={
            "cohort": pl.String,
            "subject": pl.String,
            "muscle": pl.String,
            "method": pl.String,
            "reference_value": pl.Float64,
            "units": pl.String,
            "n_cycles": pl.Int64,
        },  # fmt: skip
        orient="row",
    )
    return EMGResult(
        curves=_concat(curves),
        features=_concat(features),
        qc=_concat(qc_frames),
        spatiotemporal=_concat(st_frames),
        normalisation=normalisation,
    )


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    if len(frames) == 1:
        return frames[0]
    return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()
