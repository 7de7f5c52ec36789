"""Gait cycles, event checks and spatiotemporal parameters.

A gait cycle runs from one foot contact of the instrumented side to the next; stance runs from
foot contact to foot off. "Foot contact" is whatever touched the ground first: backward walking
lands toe-first, so nothing here assumes heel strike.
"""

from __future__ import annotations

import numpy as np
import polars as pl

CYCLE_SCHEMA = {
    "cycle": pl.Int64,
    "start_s": pl.Float64,
    "end_s": pl.Float64,
    "foot_off_s": pl.Float64,
    "opp_off_s": pl.Float64,
    "opp_contact_s": pl.Float64,
    "contact": pl.String,
}
ISSUE_SCHEMA = {"cycle": pl.Int64, "flag": pl.String, "reason": pl.String, "severity": pl.String}


def _rows(events: pl.DataFrame, side: str, event: str) -> np.ndarray:
    """Which rows of ``events`` are ``event`` of foot ``side`` (null side or event: none)."""
    sides = events["side"].cast(pl.String).to_numpy()
    kinds = events["event"].cast(pl.String).to_numpy()
    return (sides == side) & (kinds == event)


def _times(events: pl.DataFrame, side: str, event: str) -> np.ndarray:
    return np.sort(events["time_s"].to_numpy().astype(float)[_rows(events, side, event)])


def _between(times: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each ``(lo, hi)`` pair: how many ``times`` lie strictly between, and the first one.

    The first is NaN when there is none. Any comparison with NaN is false (as in
    ``times[(times > lo) & (times < hi)]``).

    Examples
    --------
    >>> n, first = _between(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 5.0]),
    ...                     np.array([2.5, 3.5, 6.0]))
    >>> n.tolist(), first.tolist()
    ([2, 2, 0], [1.0, 2.0, nan])
    >>> _between(np.empty(0), np.array([0.0]), np.array([1.0]))[0].tolist()
    [0]
    """
    inside = (times[None, :] > lo[:, None]) & (times[None, :] < hi[:, None])
    count = inside.sum(axis=1)
    first = np.full(lo.size, np.nan)
    some = count > 0
    if some.any():
        first[some] = times[np.argmax(inside[some], axis=1)]
    return count, first


def gait_cycles(
    events: pl.DataFrame,
    cycles: dict,
    *,
    recording: tuple[float, float] | None = None,
    duration_mad: float = 3.5,
    duration_min_dev_pct: float = 10.0,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cut a trial into gait cycles and check them.

    Parameters
    ----------
    events : polars.DataFrame
        side, event, time_s[, contact] (see :func:`analysis.ingest.readers.read_events`).
    cycles : dict
        The ``emg.cycles`` parameters: ``side``, ``min_stride_s``, ``max_stride_s``,
        ``min_stance_pct``, ``max_stance_pct``.
    recording : (start_s, end_s), optional
        Time span of the EMG; cycles not inside it are flagged ``outside_recording``.
    duration_mad, duration_min_dev_pct : float
        A stride time is an outlier (``cycle_duration``) when it is more than ``duration_mad``
        scaled MADs *and* more than ``duration_min_dev_pct`` % away from the trial's median.

    Returns
    -------
    cycles, issues : polars.DataFrame
        One row per cycle (cycle, start_s, end_s, foot_off_s, opp_off_s, opp_contact_s,
        contact); ``foot_off_s`` is null when the events are out of order and the opposite
        foot's events are null unless they fall in the expected order (contact -> opposite off
        -> opposite contact -> foot off). ``issues``: cycle (null = whole trial), flag, reason,
        severity (``hard``: unusable whatever the configuration; ``soft``: excluded when
        ``qc.exclude_flagged``; ``info``: never excluded).

    Examples
    --------
    >>> ev = pl.DataFrame({"side": ["right"] * 5,
    ...     "event": ["foot_contact", "foot_off", "foot_contact", "foot_off", "foot_contact"],
    ...     "time_s": [0.5, 1.2, 1.6, 2.3, 2.7]})
    >>> cyc, issues = gait_cycles(ev, {"side": "right", "min_stride_s": 0.6, "max_stride_s": 2.5,
    ...                                "min_stance_pct": 45, "max_stance_pct": 80})
    >>> cyc["cycle"].to_list(), [round(x, 1) for x in cyc["foot_off_s"].to_list()], issues.height
    ([1, 2], [1.2, 2.3], 0)
    """
    side = cycles.get("side", "right")
    opp = "left" if side == "right" else "right"
    contacts = _times(events, side, "foot_contact")
    offs = _times(events, side, "foot_off")
    opp_offs = _times(events, opp, "foot_off")
    opp_contacts = _times(events, opp, "foot_contact")
    has_opp = opp_offs.size > 0 or opp_contacts.size > 0
    contact_type = {}
    if "contact" in events.columns:
        sel = events.filter(_rows(events, side, "foot_contact"))
        contact_type = dict(zip(sel["time_s"].to_list(), sel["contact"].to_list(), strict=True))
    starts, ends = contacts[:-1], contacts[1:]
    n_offs, first_off = _between(offs, starts, ends)
    n_opp_offs, first_opp_off = _between(opp_offs, starts, first_off)
    n_opp_contacts, first_opp_contact = _between(opp_contacts, starts, first_off)
    rows, issues = [], []
    if contacts.size < 2:
        issues.append(
            (
                None,
                "no_cycles",
                f"{contacts.size} {side} foot_contact event(s): no gait cycle",
                "hard",
            )
        )
    for k in range(contacts.size - 1):
        a, b, cyc = float(contacts[k]), float(contacts[k + 1]), k + 1
        stride = b - a
        off = None
        if n_offs[k] == 1:
            off = float(first_off[k])
        else:
            what = "no" if n_offs[k] == 0 else f"{n_offs[k]}"
            issues.append(
                (cyc, "event_order", f"{what} {side} foot_off between contacts at {a:.3f} s "
                 f"and {b:.3f} s", "hard")
            )  # fmt: skip
        opp_off = opp_contact = None
        if off is not None and has_opp:
            o1, o2 = first_opp_off[k], first_opp_contact[k]
            if n_opp_offs[k] == 1 and n_opp_contacts[k] == 1 and o1 < o2:
                opp_off, opp_contact = float(o1), float(o2)
            else:
                issues.append(
                    (cyc, "opposite_events", f"{opp} foot events not in the order contact -> "
                     f"{opp} off -> {opp} contact -> foot off; no double support or finer "
                     "phases for this cycle", "info")
                )  # fmt: skip
        if not cycles["min_stride_s"] <= stride <= cycles["max_stride_s"]:
            issues.append(
                (cyc, "stride_time", f"stride time {stride:.3f} s outside "
                 f"{cycles['min_stride_s']}-{cycles['max_stride_s']} s", "soft")
            )  # fmt: skip
        if off is not None:
            stance = (off - a) / stride * 100
            if not cycles["min_stance_pct"] <= stance <= cycles["max_stance_pct"]:
                issues.append(
                    (cyc, "stance_time", f"stance {stance:.1f} % of the cycle outside "
                     f"{cycles['min_stance_pct']}-{cycles['max_stance_pct']} %", "soft")
                )  # fmt: skip
        if recording is not None and (a < recording[0] or b > recording[1]):
            issues.append(
                (cyc, "outside_recording", f"cycle {a:.3f}-{b:.3f} s not inside the EMG "
                 f"recording ({recording[0]:.3f}-{recording[1]:.3f} s)", "hard")
            )  # fmt: skip
        rows.append((cyc, a, b, off, opp_off, opp_contact, contact_type.get(contacts[k])))
    out = pl.DataFrame(rows, schema=CYCLE_SCHEMA, orient="row")
    strides = np.diff(contacts)
    if strides.size >= 3:
        med = float(np.median(strides))
        mad = 1.4826 * float(np.median(np.abs(strides - med)))
        for k, s in enumerate(strides):
            dev = abs(s - med)
            if dev > duration_mad * mad and dev > duration_min_dev_pct / 100 * med:
                issues.append(
                    (k + 1, "cycle_duration", f"stride time {s:.3f} s is an outlier (trial "
                     f"median {med:.3f} s, scaled MAD {mad:.3f} s)", "soft")
                )  # fmt: skip
    return out, pl.DataFrame(issues, schema=ISSUE_SCHEMA, orient="row")


def spatiotemporal(cycles: pl.DataFrame, *, speed_m_s: float | None = None) -> pl.DataFrame:
    """Spatiotemporal parameters of each cycle, long format (cycle, parameter, value, unit).

    stride_time (s), cadence (steps/min, two steps per stride), stance_pct and swing_pct (% of
    the cycle); with the opposite foot's events also step_time (s, contact to opposite contact),
    double_support_pct (both double-support periods) and single_support_pct; with a treadmill
    speed also stride_length (m = speed x stride time).

    Examples
    --------
    >>> cyc = pl.DataFrame({"cycle": [1], "start_s": [0.0], "end_s": [1.0], "foot_off_s": [0.6],
    ...                     "opp_off_s": [0.1], "opp_contact_s": [0.5], "contact": ["toe"]})
    >>> st = spatiotemporal(cyc)
    >>> dict(zip(st["parameter"], [round(v, 1) for v in st["value"]]))["double_support_pct"]
    20.0
    """
    return pl.DataFrame(
        spatiotemporal_rows(cycles, speed_m_s=speed_m_s),
        schema={"cycle": pl.Int64, "parameter": pl.String, "value": pl.Float64, "unit": pl.String},
        orient="row",
    )


def spatiotemporal_rows(
    cycles: pl.DataFrame, *, speed_m_s: float | None = None
) -> list[tuple[int, str, float, str]]:
    """The rows of :func:`spatiotemporal`: (cycle, parameter, value, unit)."""
    rows = []
    for r in cycles.iter_rows(named=True):
        a, b, off = r["start_s"], r["end_s"], r["foot_off_s"]
        stride = b - a
        rows += [(r["cycle"], "stride_time", stride, "s"), (r["cycle"], "cadence", 120.0 / stride,
                 "steps/min")]  # fmt: skip
        if speed_m_s is not None and np.isfinite(speed_m_s):
            rows.append((r["cycle"], "stride_length", speed_m_s * stride, "m"))
        if off is not None:
            rows += [
                (r["cycle"], "stance_pct", (off - a) / stride * 100, "%"),
                (r["cycle"], "swing_pct", (b - off) / stride * 100, "%"),
            ]
        if off is not None and r["opp_off_s"] is not None and r["opp_contact_s"] is not None:
            ds = (r["opp_off_s"] - a) + (off - r["opp_contact_s"])
            rows += [
                (r["cycle"], "step_time", r["opp_contact_s"] - a, "s"),
                (r["cycle"], "double_support_pct", ds / stride * 100, "%"),
                (r["cycle"], "single_support_pct", (r["opp_contact_s"] - r["opp_off_s"]) / stride
                 * 100, "%"),
            ]  # fmt: skip
    return rows
