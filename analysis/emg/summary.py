"""What a cohort's EMG stage left usable, and why not when nothing is.

A family that ends up with no data (every EMG channel flagged, no trial with gait cycles) is
said here once: :func:`emg_summary` writes the cohort's EMG summary (``emg/summary.txt``) and
:func:`no_data_reason` the sentence that the figures and the methods/results text use.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["EmgSummary", "emg_summary", "no_data_reason"]


@dataclass(frozen=True)
class EmgSummary:
    """Counts of a cohort's EMG stage output.

    Attributes
    ----------
    usable : bool
        Whether any muscle has an included gait cycle.
    per_muscle : polars.DataFrame
        side, muscle, cycles, included.
    text : str
        The summary for ``emg/summary.txt`` and the logs.
    """

    usable: bool
    per_muscle: pl.DataFrame
    text: str


def _excluded_flags(qc: pl.DataFrame | None) -> list[tuple[str, int]]:
    if qc is None or qc.height == 0 or "flag" not in qc.columns:
        return []
    bad = qc.filter(pl.col("excluded"))
    counts = bad.group_by("flag").len().sort(["len", "flag"], descending=[True, False])
    return [(str(f), int(n)) for f, n in counts.rows()]


def no_data_reason(qc: pl.DataFrame | None) -> str:
    """Why no EMG data were usable, from the QC flags that excluded them.

    Examples
    --------
    >>> qc = pl.DataFrame({"flag": ["flat", "flat", "gap"], "excluded": [True, True, False]})
    >>> no_data_reason(qc)
    'quality control excluded every EMG cycle (flat: 2 rows)'
    >>> no_data_reason(None)
    'no EMG gait cycle was recorded or detected'
    """
    flags = _excluded_flags(qc)
    if not flags:
        return "no EMG gait cycle was recorded or detected"
    detail = ", ".join(f"{f}: {n} row{'s' if n != 1 else ''}" for f, n in flags[:4])
    return f"quality control excluded every EMG cycle ({detail})"


def emg_summary(
    cohort: str, features: pl.DataFrame | pl.LazyFrame, qc: pl.DataFrame | None
) -> EmgSummary:
    """Cycles per muscle and leg, how many are included, the excluding flags, the event sources.

    Parameters
    ----------
    cohort : str
    features : polars.DataFrame or LazyFrame
        The cohort's EMG features (only the ``mean`` over the ``cycle`` phase is read).
    qc : polars.DataFrame, optional
        The cohort's QC table.

    Returns
    -------
    EmgSummary

    Examples
    --------
    >>> f = pl.DataFrame({"side": "right", "muscle": ["VL", "VL"], "cycle": [1, 2],
    ...     "feature": "mean", "phase": "cycle", "excluded": [True, True]})
    >>> q = pl.DataFrame({"flag": ["flat"], "excluded": [True], "reason": ["flat"]})
    >>> s = emg_summary("demo", f, q)
    >>> s.usable, s.text.splitlines()[-1]
    (False, 'EMG family: no usable data: quality control excluded every EMG cycle (flat: 1 row)')
    """
    lazy = features.lazy() if isinstance(features, pl.DataFrame) else features
    names = lazy.collect_schema().names()
    if "muscle" in names:
        keys = [c for c in ("side", "muscle") if c in names]
        per = (
            lazy.filter(
                (pl.col("feature") == "mean")
                & (pl.col("phase") == "cycle")
                & ~pl.col("muscle").str.contains("/", literal=True)
            )
            .group_by(keys)
            .agg(
                pl.len().cast(pl.Int64).alias("cycles"),
                (~pl.col("excluded")).sum().cast(pl.Int64).alias("included"),
            )
            .sort(keys)
            .collect()
        )
    else:
        per = pl.DataFrame(schema={"muscle": pl.String, "cycles": pl.Int64, "included": pl.Int64})
    usable = bool(per.height and per["included"].sum() > 0)
    lines = [f"EMG summary, cohort {cohort}", "", "cycles per muscle (included / all):"]
    for r in per.iter_rows(named=True):
        side = f" ({r['side']})" if r.get("side") else ""
        lines.append(f"  {r['muscle']}{side}: {r['included']} / {r['cycles']}")
    if not per.height:
        lines.append("  none")
    flags = _excluded_flags(qc)
    lines.append("QC flags that exclude data: " + (", ".join(f"{f} {n}" for f, n in flags)
                                                   or "none"))  # fmt: skip
    if qc is not None and qc.height and "flag" in qc.columns:
        src = qc.filter(pl.col("flag") == "events_source")["reason"]
        kinds = src.str.split(" ").list.first().value_counts(sort=True)
        if kinds.height:
            lines.append("gait events: " + ", ".join(f"{k} ({n} trials)" for k, n in kinds.rows()))
    lines.append(
        "EMG family: usable" if usable else f"EMG family: no usable data: {no_data_reason(qc)}"
    )
    return EmgSummary(usable, per, "\n".join(lines))
