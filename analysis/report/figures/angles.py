"""Joint-angle ensemble curves: hip, knee and ankle of each leg, one line per condition."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy import stats

from analysis.report.figures.empty import no_data_figure
from analysis.report.figures.style import (
    CLUSTER_SHADE,
    DIRECTION_COLORS,
    DOUBLE_COLUMN_IN,
    NEUTRAL,
    n_text,
    new_figure,
    panel_title,
    style,
)
from analysis.report.labels import JOINT_NAMES

__all__ = ["angle_ensemble", "plot_angles"]

JOINT_ORDER = ("hip", "knee", "ankle")
# the reference level in the forward colour, the compared level in the backward colour
LEVEL_COLORS = (DIRECTION_COLORS["forward"], DIRECTION_COLORS["backward"])


def angle_ensemble(
    curves: pl.DataFrame, contrast: tuple[str, str, str], ci: float = 0.95
) -> pl.DataFrame:
    """Mean joint-angle curve across subjects at the two levels compared, with a t-based CI.

    Cycles are averaged within trials, trials within subjects (so every subject weighs the
    same), then subjects at each pct.

    Parameters
    ----------
    curves : polars.DataFrame
        Trial-mean angle curves: subject, joint (``L_knee``), pct, value and the ``contrast``
        factor's column.
    contrast : (factor, level, reference)
        E.g. ``("task", "turn", "straight")`` or ``("direction", "backward", "forward")``.
    ci : float
        Confidence level of the band.

    Returns
    -------
    polars.DataFrame
        joint, level, pct, mean, ci_low, ci_high, n_subjects.

    Examples
    --------
    >>> c = pl.DataFrame({"subject": ["a", "b", "a", "b"], "joint": "L_knee", "pct": 0,
    ...     "task": ["straight", "straight", "turn", "turn"], "value": [1.0, 3.0, 2.0, 6.0]})
    >>> e = angle_ensemble(c, ("task", "turn", "straight"))
    >>> e.select("level", "mean", "n_subjects").rows()
    [('straight', 2.0, 2), ('turn', 4.0, 2)]
    """
    factor, level, reference = contrast
    sub = (
        curves.filter(pl.col(factor).is_in([reference, level]))
        .group_by("joint", factor, "subject", "pct", maintain_order=True)
        .agg(pl.col("value").mean())
        .sort("joint", factor, "pct", "subject")
    )
    out = (
        sub.group_by("joint", factor, "pct", maintain_order=True)
        .agg(
            pl.col("value").mean().alias("mean"),
            pl.col("value").std(ddof=1).alias("sd"),
            pl.len().alias("n_subjects"),
        )
        .rename({factor: "level"})
    )
    n = out["n_subjects"].to_numpy()
    with np.errstate(invalid="ignore"):
        tq = np.where(n > 1, stats.t.ppf(0.5 + ci / 2, np.maximum(n - 1, 1)), np.nan)
        half = tq * out["sd"].to_numpy() / np.sqrt(n)
    return (
        out.with_columns(
            ci_low=pl.col("mean") - pl.Series(half), ci_high=pl.col("mean") + pl.Series(half)
        )
        .drop("sd")
        .select("joint", "level", "pct", "mean", "ci_low", "ci_high", "n_subjects")
        .sort("joint", "level", "pct")
    )


def _joints(present: Sequence[str]) -> list[str]:
    order = [f"{s}_{j}" for j in JOINT_ORDER for s in ("L", "R")]
    return [j for j in order if j in present]


def plot_angles(
    curves: pl.DataFrame,
    contrast: tuple[str, str, str],
    clusters: pl.DataFrame | None = None,
    *,
    cohort: str | None = None,
    ci: float = 0.95,
    width: float = DOUBLE_COLUMN_IN,
) -> Figure:
    """Hip, knee and ankle angles (rows) of the left and right leg (columns) over the gait
    cycle: mean across subjects at the reference and the compared level with their CI bands,
    SPM clusters of the paired t test shaded.

    Parameters
    ----------
    curves : polars.DataFrame
        Trial-mean angle curves (subject, joint, pct, value, the contrast's factor).
    contrast : (factor, level, reference)
    clusters : polars.DataFrame, optional
        SPM clusters (muscle = joint, start_pct, end_pct) of the same contrast.
    cohort : str, optional
        Named in the title.
    ci : float
        Confidence level of the bands.
    width : float
        Figure width in inches.

    Examples
    --------
    >>> pct = np.arange(101)
    >>> rows = [pl.DataFrame({"subject": s, "joint": "L_knee", "pct": pct, "task": t,
    ...     "value": 30 - 25 * np.cos(2 * np.pi * pct / 100) + k + i})
    ...     for i, s in enumerate("abc") for k, t in enumerate(["straight", "turn"])]
    >>> fig = plot_angles(pl.concat(rows), ("task", "turn", "straight"))
    >>> len(fig.axes[0].lines)  # the two means and the zero line
    3
    """
    if not curves.height:
        return no_data_figure("joint angles", "no gait cycle with joint angles")
    factor, level, reference = contrast
    ens = angle_ensemble(curves, contrast, ci)
    joints = _joints(ens["joint"].unique().to_list())
    rows = [j for j in JOINT_ORDER if any(x.endswith(f"_{j}") for x in joints)]
    with style():
        fig = new_figure(width, 1.7 * len(rows) + 0.5)
        axes = fig.subplots(len(rows), 2, squeeze=False, sharex=True)
        counts = []
        for r, joint in enumerate(rows):
            for c, side in enumerate(("L", "R")):
                ax = axes[r][c]
                code = f"{side}_{joint}"
                title = f"{'Left' if side == 'L' else 'Right'} {JOINT_NAMES[joint]}"
                panel_title(ax, r * 2 + c, title, 40)
                g = ens.filter(pl.col("joint") == code)
                if clusters is not None and clusters.height:
                    for cl in clusters.filter(
                        (pl.col("muscle") == code) & pl.col("cluster").is_not_null()
                    ).iter_rows(named=True):
                        ax.axvspan(cl["start_pct"], cl["end_pct"], color=CLUSTER_SHADE, lw=0)
                for lev, color in zip((reference, level), LEVEL_COLORS, strict=True):
                    d = g.filter(pl.col("level") == lev).sort("pct")
                    if not d.height:
                        continue
                    counts.append(int(d["n_subjects"].min()))
                    ax.fill_between(
                        d["pct"], d["ci_low"], d["ci_high"], color=to_rgba(color, 0.3), lw=0
                    )
                    ax.plot(d["pct"], d["mean"], color=color, lw=1.4)
                ax.axhline(0, color=NEUTRAL, lw=0.4)
                ax.set_xlim(0, 100)
                ax.set_ylabel("deg")
        for ax in axes[-1]:
            ax.set_xlabel("Gait cycle (%, contact to contact)")
        handles = [
            Line2D([], [], color=col, lw=1.4, label=f"{lev.capitalize()} (mean, {ci:.0%} CI)")
            for lev, col in zip((reference, level), LEVEL_COLORS, strict=True)
        ]
        if clusters is not None:
            handles.append(Patch(color=CLUSTER_SHADE, label="SPM cluster (paired t)"))
        head = f"{level.capitalize()} vs {reference} ({factor})"
        head += f", cohort {cohort}" if cohort else ""
        head += f"; {n_text(counts)} subjects" if counts else ""
        fig.suptitle(head, fontsize=8)
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    return fig
