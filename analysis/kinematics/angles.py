"""Sagittal-plane hip, knee and ankle angles: per gait cycle, time-normalised, and features.

A trial's angles (degrees, on the capture clock) are cut into gait cycles with the same events
and checks as its EMG (:func:`analysis.emg.gait.gait_cycles`), each leg's angles by that leg's
own contacts, and resampled to ``points`` samples from contact (0 %) to the next contact
(100 %). The features of every cycle are the angle at contact, and the peak (maximum) and range
(maximum - minimum) over stance (contact to foot off), swing (foot off to the next contact) and
the whole cycle. Sign conventions are those of the model that wrote the angles (Plug-in Gait:
hip and knee flexion, ankle dorsiflexion positive).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from analysis.emg.gait import gait_cycles

JOINTS = {"hip": "HipAngles", "knee": "KneeAngles", "ankle": "AnkleAngles"}
"""Joint -> the model output's label stem (``L``/``R`` prefix per leg), Plug-in Gait names."""

SIDES = {"left": "L", "right": "R"}
UNIT = "deg"

ANGLE_CURVE_SCHEMA = {
    "cohort": pl.String,
    "subject": pl.String,
    "session": pl.String,
    "direction": pl.String,
    "trial": pl.Int64,
    "side": pl.String,
    "cycle": pl.Int64,
    "joint": pl.String,
    "pct": pl.Int64,
    "value": pl.Float64,
    "unit": pl.String,
}
ANGLE_FEATURE_SCHEMA = {
    **{k: v for k, v in ANGLE_CURVE_SCHEMA.items() if k not in ("pct", "value", "unit")},
    "phase": pl.String,
    "feature": pl.String,
    "value": pl.Float64,
    "unit": pl.String,
}


def sagittal_angles(
    values: Mapping[str, np.ndarray], joints: Mapping[str, str] = JOINTS
) -> dict[tuple[str, str], np.ndarray]:
    """(side, joint) -> the sagittal component (first of x, y, z) of each joint angle found.

    Examples
    --------
    >>> a = {"LKneeAngles": np.array([[10.0, 1, 2], [20.0, 1, 2]]), "RFootProgressAngles": 0}
    >>> {k: v.tolist() for k, v in sagittal_angles(a).items()}
    {('left', 'knee'): [10.0, 20.0]}
    """
    out = {}
    for side, prefix in SIDES.items():
        for joint, stem in joints.items():
            xyz = values.get(f"{prefix}{stem}")
            if xyz is not None:
                out[(side, joint)] = np.asarray(xyz, dtype=float)[:, 0]
    return out


def angle_curves(
    angles: Mapping[tuple[str, str], np.ndarray],
    rate: float,
    t0: float,
    events: pl.DataFrame,
    cycles: Mapping,
    keys: Mapping[str, object],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Time-normalised joint-angle curves of one trial, per leg and gait cycle.

    Parameters
    ----------
    angles : mapping
        (side, joint) -> angle samples in degrees (:func:`sagittal_angles`).
    rate, t0 : float
        Sampling rate (Hz) and capture-clock time (s) of the first sample.
    events : polars.DataFrame
        The trial's gait events (side, event, time_s).
    cycles : mapping
        The ``emg.cycles`` settings (``points``, stride and stance limits).
    keys : mapping
        cohort, subject, session, direction, trial of the trial.

    Returns
    -------
    curves, phases : polars.DataFrame
        ``curves`` in :data:`ANGLE_CURVE_SCHEMA` (joint coded ``L_knee``); ``phases``: side,
        cycle, foot_off_pct of every cycle kept. A cycle is kept when the gait-cycle checks
        pass and the angle has no gap in it.

    Examples
    --------
    >>> t = np.arange(0, 3.0, 0.01)
    >>> knee = 30 - 25 * np.cos(2 * np.pi * t)  # one stride per second
    >>> ev = pl.DataFrame({"side": "left", "event": ["foot_contact", "foot_off"] * 3,
    ...                    "time_s": [0.0, 0.6, 1.0, 1.6, 2.0, 2.6]})
    >>> keys = {"cohort": "c", "subject": "s", "session": "a", "direction": "forward", "trial": 1}
    >>> cyc = {"points": 101, "min_stride_s": 0.5, "max_stride_s": 2.0,
    ...        "min_stance_pct": 40, "max_stance_pct": 80}
    >>> curves, phases = angle_curves({("left", "knee"): knee}, 100.0, 0.0, ev, cyc, keys)
    >>> sorted(set(curves["cycle"])), round(curves.filter(pl.col("pct") == 50)["value"][0], 1)
    ([1, 2], 55.0)
    """
    points = int(cycles.get("points", 101))
    time = t0 + np.arange(max((len(v) for v in angles.values()), default=0)) / rate
    pct = np.arange(points, dtype=np.int64) * 100 // (points - 1)
    grid = np.linspace(0.0, 1.0, points)
    rows: dict[str, list] = {k: [] for k in ANGLE_CURVE_SCHEMA}
    phase_rows = []
    for side in SIDES:
        joints = {j: v for (s, j), v in angles.items() if s == side}
        if not joints:
            continue
        params = {**cycles, "side": side}
        cyc, issues = gait_cycles(events, params, recording=(time[0], time[-1]))
        hard = issues.filter(pl.col("severity") != "info")
        if hard.filter(pl.col("cycle").is_null()).height:
            continue
        bad = set(hard["cycle"].drop_nulls().to_list())
        for c in cyc.iter_rows(named=True):
            if c["cycle"] in bad:
                continue
            at = c["start_s"] + grid * (c["end_s"] - c["start_s"])
            kept = False
            for joint, v in joints.items():
                inside = (time >= c["start_s"] - 1 / rate) & (time <= c["end_s"] + 1 / rate)
                if not inside.any() or np.isnan(v[inside]).any():
                    continue
                y = np.interp(at, time, v)
                code = f"{SIDES[side]}_{joint}"
                for k, val in keys.items():
                    rows[k] += [val] * points
                rows["side"] += [side] * points
                rows["cycle"] += [int(c["cycle"])] * points
                rows["joint"] += [code] * points
                rows["pct"] += pct.tolist()
                rows["value"] += y.tolist()
                rows["unit"] += [UNIT] * points
                kept = True
            if kept:
                off = c["foot_off_s"]
                frac = None if off is None else (off - c["start_s"]) / (c["end_s"] - c["start_s"])
                phase_rows.append((side, int(c["cycle"]), None if frac is None else 100 * frac))
    curves = pl.DataFrame(rows, schema=ANGLE_CURVE_SCHEMA)
    phases = pl.DataFrame(
        phase_rows,
        schema={"side": pl.String, "cycle": pl.Int64, "foot_off_pct": pl.Float64},
        orient="row",
    )
    return curves, phases


def angle_features(curves: pl.DataFrame, phases: pl.DataFrame) -> pl.DataFrame:
    """Per-cycle features of the angle curves: ``contact`` (the angle at contact, phase
    ``cycle``), and ``peak`` and ``range`` in ``stance``, ``swing`` and the whole ``cycle``.

    Stance runs from 0 % to the cycle's foot off, swing from foot off to 100 %; a cycle without a
    foot off has only its ``cycle`` features.

    Examples
    --------
    >>> pct = np.arange(101)
    >>> c = pl.DataFrame({"cohort": "c", "subject": "s", "session": "a", "direction": "forward",
    ...     "trial": 1, "side": "left", "cycle": 1, "joint": "L_knee", "pct": pct,
    ...     "value": np.where(pct < 60, 10.0, 60.0) + pct / 100, "unit": "deg"})
    >>> ph = pl.DataFrame({"side": ["left"], "cycle": [1], "foot_off_pct": [60.0]})
    >>> f = angle_features(c, ph)
    >>> f.filter(pl.col("phase") == "swing", pl.col("feature") == "range")["value"].round(2).item()
    0.39
    >>> f.filter(pl.col("feature") == "contact")["value"].item()
    10.0
    """
    if not curves.height:
        return pl.DataFrame(schema=ANGLE_FEATURE_SCHEMA)
    keys = [k for k in ANGLE_FEATURE_SCHEMA if k not in ("phase", "feature", "value", "unit")]
    c = curves.join(phases, on=["side", "cycle"], how="left")
    phase = (
        pl.when(pl.col("foot_off_pct").is_null())
        .then(None)
        .when(pl.col("pct") <= pl.col("foot_off_pct"))
        .then(pl.lit("stance"))
        .otherwise(pl.lit("swing"))
    )
    c = c.with_columns(phase=phase)
    stats = [
        pl.col("value").max().alias("peak"),
        (pl.col("value").max() - pl.col("value").min()).alias("range"),
    ]
    by_phase = c.filter(pl.col("phase").is_not_null()).group_by([*keys, "phase"]).agg(stats)
    whole = (
        c.group_by(keys)
        .agg(pl.col("value").sort_by("pct").first().alias("contact"), *stats)
        .with_columns(phase=pl.lit("cycle"))
    )
    long = pl.concat(
        [
            by_phase.unpivot(index=[*keys, "phase"], variable_name="feature"),
            whole.unpivot(index=[*keys, "phase"], variable_name="feature"),
        ]
    )
    return (
        long.with_columns(unit=pl.lit(UNIT))
        .select(list(ANGLE_FEATURE_SCHEMA))
        .cast(ANGLE_FEATURE_SCHEMA)
        .sort([*keys, "phase", "feature"])
    )
