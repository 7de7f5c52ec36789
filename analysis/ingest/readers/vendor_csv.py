"""Vendor CSV exports mixing sampling rates (Delsys, Noraxon, Cometa): recognised and refused.

A table holds one time base. Exports that write each channel at its own rate, either with a
time column per channel (Delsys EMGworks/Trigno Discover: ``X[s]`` before every channel) or in
one table where the slower channels stop early and are blank below (padding), cannot be read
as one recording without guessing; they are refused with what to export instead.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from analysis.core.errors import Problem

_TIME = re.compile(
    r"^\s*(x\s*\[s\]|time(\s*(\[s\]|\(s\)|_s))?|.*time\s*series\s*\(s\)|.*:\s*time.*)\s*$",
    re.IGNORECASE,
)
EXPORT_FIX = (
    "export the channels resampled to one common rate (one time column), or export EDF/BDF or "
    "C3D, which keep each channel's rate"
)


def time_columns(path: Path, sep: str = ",") -> list[str]:
    """Header names of ``path`` that are time columns (``time_s``, ``X[s]``, ``EMG 1: Time``).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(p, "w").write("X[s],EMG 1 (mV),X[s],ACC X (G)\\n0,1,0,1\\n")
    >>> time_columns(Path(p))
    ['X[s]', 'X[s]']
    """
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        header = next(csv.reader(fh, delimiter=sep), [])
    return [h for h in header if _TIME.match(h)]


def multirate_problem(path: Path, *, cohort: str, file: str) -> Problem | None:
    """A problem when the header holds several time columns (one per channel group)."""
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        line = fh.readline()
    if ";" in line and "," not in line:
        sep = ";"
    times = time_columns(path, sep)
    if len(times) < 2:
        return None
    return Problem(
        cohort,
        file,
        0,
        None,
        f"{len(times)} time columns ({', '.join(dict.fromkeys(times))}): channels recorded at "
        "different rates, each with its own time column (a Delsys/Noraxon/Cometa export)",
        EXPORT_FIX,
    )


def padded_problems(
    names: list[str], data: np.ndarray, *, cohort: str, file: str, rate: float | None = None
) -> list[Problem]:
    """Channels whose values stop early and are blank to the end while others go on.

    Such a column is a slower channel written into a faster table (values only in its first
    rows): read as is, its samples would be squeezed in time.

    Examples
    --------
    >>> x = np.ones((2, 100)); x[1, 10:] = np.nan
    >>> [p.column for p in padded_problems(["EMG", "ACC X"], x, cohort="c", file="f.csv")]
    ['ACC X']
    """
    finite = np.isfinite(data)
    if data.shape[1] < 20:
        return []
    last = np.array([np.flatnonzero(f)[-1] if f.any() else -1 for f in finite])
    n = data.shape[1]
    full = last == n - 1
    out = []
    for k, name in enumerate(names):
        if full[k] or not full.any() or last[k] < 0 or last[k] + 1 > 0.9 * n:
            continue
        if not finite[k, : last[k] + 1].all():
            continue  # a gap inside: not padding
        about = f" (about {rate * (last[k] + 1) / n:.4g} Hz)" if rate else ""
        out.append(
            Problem(
                cohort,
                file,
                int(last[k]) + 2,
                str(name),
                f"values stop at row {last[k] + 1} of {n} and the column is blank below: a "
                f"channel sampled at a lower rate{about} padded with blanks",
                f"{EXPORT_FIX}; or leave the channel out with emg.channel_map: {{'{name}': null}}",
            )
        )
    return out
