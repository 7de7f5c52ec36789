"""Sampling rate and start time from a time column and/or a declared rate; unit scaling."""

from __future__ import annotations

import numpy as np

from analysis.core.errors import Problem

RATE_TOLERANCE = 0.005  # declared rate and time column may differ by 0.5 % at most

UNIT_TO_UV = {"uv": 1.0, "µv": 1.0, "μv": 1.0, "mv": 1e3, "v": 1e6}


def uv_factor(units: str) -> float | None:
    """Factor converting ``units`` to microvolts, or ``None`` when unknown.

    Examples
    --------
    >>> uv_factor("mV"), uv_factor("µV"), uv_factor("N")
    (1000.0, 1.0, None)
    """
    return UNIT_TO_UV.get(str(units).strip().casefold())


def check_rates(
    file_rate: float | None,
    declared: float | None,
    *,
    cohort: str,
    file: str,
    column: str | None = None,
    source: str = "the file",
) -> tuple[float | None, list[Problem]]:
    """The sampling rate to use, or a problem when the file's and the declared rate disagree."""
    if file_rate is None:
        return declared, []
    if declared is not None and abs(file_rate - declared) > RATE_TOLERANCE * declared:
        return None, [
            Problem(
                cohort,
                file,
                None,
                column,
                f"{source} gives {file_rate:.6g} Hz but {declared:.6g} Hz was declared "
                f"(differ by {abs(file_rate - declared) / declared:.1%}, more than 0.5 %)",
                "fix emg.sampling_rate_hz in cohort.yaml or the file's time stamps",
            )
        ]
    return (declared if declared is not None else file_rate), []


def timebase(
    t: np.ndarray,
    declared: float | None,
    *,
    cohort: str,
    file: str,
    column: str,
    first_row: int = 1,
) -> tuple[float | None, float, np.ndarray | None, list[Problem]]:
    """Rate, start time and sample positions from a time column (seconds).

    Returns ``(rate, t0, positions, problems)``. ``positions`` maps each row to its sample index
    when whole samples are missing (a gap in the time stamps that is a whole number of sampling
    intervals), else ``None``. Negative, missing, non-increasing or irregular times are problems
    naming the first offending row (``first_row`` is the row number of ``t[0]``).

    Examples
    --------
    >>> rate, t0, pos, problems = timebase(np.array([1.0, 1.001, 1.002]), None, cohort="c",
    ...                                    file="f", column="time_s")
    >>> round(rate, 3), t0, pos, problems
    (1000.0, 1.0, None, [])
    """
    problems: list[Problem] = []

    def bad(idx: int, message: str, fix: str = "") -> None:
        problems.append(Problem(cohort, file, int(idx) + first_row, column, message, fix))

    if t.size < 2:
        problems.append(
            Problem(cohort, file, None, column, "fewer than two samples: no sampling rate")
        )
        return None, 0.0, None, problems
    missing = np.flatnonzero(~np.isfinite(t))
    if missing.size:
        bad(missing[0], f"time is missing or not finite ({missing.size} rows)")
        return None, 0.0, None, problems
    negative = np.flatnonzero(t < 0)
    if negative.size:
        bad(negative[0], f"negative time {t[negative[0]]:g} s", "times are seconds from >= 0")
    d = np.diff(t)
    back = np.flatnonzero(d <= 0)
    if back.size:
        i = back[0] + 1
        bad(
            i,
            f"time does not increase ({t[i - 1]:g} s then {t[i]:g} s"
            + (f"; {back.size} such rows)" if back.size > 1 else ")"),
            "rows must be in time order without repeated time stamps",
        )
    if problems:
        return None, float(t[0]), None, problems
    dt = float(np.median(d))
    # time stamps written in decimal lose the last bits: 999.9999999999991 Hz is 1000 Hz
    rate, rate_problems = check_rates(
        float(f"{1.0 / dt:.9g}"),
        declared,
        cohort=cohort,
        file=file,
        column=column,
        source="the time column",
    )
    problems += rate_problems
    if rate is None:
        return None, float(t[0]), None, problems
    step = 1.0 / rate
    ratio = d / step
    irregular = np.flatnonzero(
        (ratio < 0.5) | ((ratio > 1.5) & (np.abs(ratio - np.rint(ratio)) > 0.25))
    )
    if irregular.size:
        i = irregular[0] + 1
        bad(
            i,
            f"irregular sampling: {d[i - 1]:g} s between rows, expected {step:g} s",
            "resample the recording to a constant rate",
        )
        return None, float(t[0]), None, problems
    positions = None
    if (ratio > 1.5).any():
        positions = np.concatenate([[0], np.cumsum(np.rint(ratio).astype(np.int64))])
    return rate, float(t[0]), positions, problems
