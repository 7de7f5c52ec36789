"""Power curve of a planned study: power against subjects per group, with Monte Carlo CIs."""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from analysis.report.figures.style import (
    GROUP_COLORS,
    NEUTRAL,
    OKABE_ITO,
    SINGLE_COLUMN_IN,
    new_figure,
    style,
    wrap_title,
)

__all__ = ["plot_power_curve"]

_COLORS = (OKABE_ITO["blue"], OKABE_ITO["vermillion"], *GROUP_COLORS)
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def plot_power_curve(
    summary: pl.DataFrame,
    test: str,
    target: float = 0.8,
    *,
    title: str | None = None,
    per_group: bool = True,
) -> Figure:
    """Power of ``test`` against subjects per group, one line per trials x sessions design.

    Parameters
    ----------
    summary : polars.DataFrame
        The power table (:func:`analysis.models.power.summarise`): n_per_group, n_trials,
        n_sessions, test, power, ci_low, ci_high.
    test : str
        The test to draw.
    target : float
        Target power, drawn as a dashed line.
    per_group : bool
        Label the x axis "per group" (two or more groups) or "in total".

    Returns
    -------
    matplotlib.figure.Figure
        Save with :func:`analysis.report.figures.style.save_figure` (identical bytes on rerun).

    Examples
    --------
    >>> s = pl.DataFrame({"n_per_group": [4, 8, 4, 8], "n_trials": [1, 1, 3, 3],
    ...                   "n_sessions": 2, "test": "t", "power": [0.3, 0.6, 0.5, 0.85],
    ...                   "ci_low": [0.2, 0.5, 0.4, 0.8], "ci_high": [0.4, 0.7, 0.6, 0.9]})
    >>> fig = plot_power_curve(s, "t")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['1 trial, 2 sessions', '3 trials, 2 sessions']
    """
    part = summary.filter(pl.col("test") == test)
    if not part.height:
        raise ValueError(f"no test {test!r} in the power table")
    designs = part.select("n_trials", "n_sessions").unique().sort(["n_trials", "n_sessions"])
    with style():
        fig = new_figure(SINGLE_COLUMN_IN, 0.8 * SINGLE_COLUMN_IN)
        ax = fig.add_subplot()
        ax.axhline(target, color=NEUTRAL, linestyle="--", linewidth=0.8, zorder=1)
        ax.text(
            0.01,
            target,
            f" target {target:.0%}",
            transform=ax.get_yaxis_transform(),
            va="bottom",
            ha="left",
            color=NEUTRAL,
            fontsize=7,
        )
        n_designs = designs.height
        for i, (trials, sessions) in enumerate(designs.rows()):
            rows = part.filter(
                (pl.col("n_trials") == trials) & (pl.col("n_sessions") == sessions)
            ).sort("n_per_group")
            x = rows["n_per_group"].to_numpy()
            # small horizontal offsets keep the intervals of several designs apart
            dx = (i - (n_designs - 1) / 2) * 0.12 if n_designs > 1 else 0.0
            p = rows["power"].to_numpy()
            err = np.clip([p - rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy() - p], 0, 1)
            label = (
                f"{trials} trial{'s' if trials != 1 else ''}, "
                f"{sessions} session{'s' if sessions != 1 else ''}"
            )
            ax.errorbar(
                x + dx,
                p,
                yerr=err,
                color=_COLORS[i % len(_COLORS)],
                marker=_MARKERS[i % len(_MARKERS)],
                capsize=2,
                elinewidth=0.8,
                label=label,
                zorder=2,
            )
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("Subjects per group" if per_group else "Subjects")
        ax.set_ylabel("Power (95% Monte Carlo CI)")
        ax.set_xticks(sorted(set(part["n_per_group"].to_list())))
        ax.legend(loc="lower right")
        label = test.partition(": ")[2] or test
        ax.set_title(wrap_title(title or label, 48))
    return fig
