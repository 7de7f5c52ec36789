"""Agreement of detected gait events with reference (e.g. stored, hand-checked) events."""

from __future__ import annotations

import numpy as np
import polars as pl


def match_events(
    reference: pl.DataFrame, detected: pl.DataFrame, *, max_gap_s: float = 0.1
) -> pl.DataFrame:
    """Pair each reference event with the nearest detected event of the same side and kind.

    Returns
    -------
    polars.DataFrame
        side, event, reference_s, detected_s (null when nothing lies within ``max_gap_s``),
        diff_ms (detected - reference, milliseconds).

    Examples
    --------
    >>> ref = pl.DataFrame({"side": ["left"], "event": ["foot_contact"], "time_s": [1.00]})
    >>> det = pl.DataFrame({"side": ["left"], "event": ["foot_contact"], "time_s": [1.012]})
    >>> round(match_events(ref, det)["diff_ms"][0], 1)
    12.0
    """
    rows = []
    for side, event, t in reference.select("side", "event", "time_s").iter_rows():
        cand = detected.filter((pl.col("side") == side) & (pl.col("event") == event))
        times = cand["time_s"].to_numpy()
        found = None
        if times.size:
            k = int(np.argmin(np.abs(times - t)))
            if abs(times[k] - t) <= max_gap_s:
                found = float(times[k])
        diff = None if found is None else (found - t) * 1000.0
        rows.append((side, event, float(t), found, diff))
    schema = {
        "side": pl.String,
        "event": pl.String,
        "reference_s": pl.Float64,
        "detected_s": pl.Float64,
        "diff_ms": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def agreement_summary(matched: pl.DataFrame) -> dict[str, float | int]:
    """n reference events, n matched, median and 95th percentile of the absolute difference (ms).

    Examples
    --------
    >>> m = pl.DataFrame({"diff_ms": [2.0, -4.0, None]})
    >>> agreement_summary(m)
    {'n_reference': 3, 'n_matched': 2, 'median_abs_ms': 3.0, 'p95_abs_ms': 3.9}
    """
    d = np.abs(matched["diff_ms"].drop_nulls().to_numpy())
    return {
        "n_reference": matched.height,
        "n_matched": int(d.size),
        "median_abs_ms": round(float(np.median(d)), 1) if d.size else float("nan"),
        "p95_abs_ms": round(float(np.percentile(d, 95)), 1) if d.size else float("nan"),
    }
