"""Category probabilities of an ordinal outcome (pain rating) per condition, from its model."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl
from matplotlib import colormaps
from matplotlib.figure import Figure

from analysis.report.figures.ensemble import _one_cohort
from analysis.report.figures.style import ONE_HALF_COLUMN_IN, new_figure, style
from analysis.report.labels import outcome_label

__all__ = ["category_probabilities", "plot_category_probabilities"]

_CONDITIONS = ("group", "session", "direction")


def category_probabilities(
    emmeans: pl.DataFrame, outcome: str, *, cohort: str | None = None
) -> pl.DataFrame:
    """The model's P(rating = k) per cell of an ordinal outcome's primary analysis.

    Parameters
    ----------
    emmeans : polars.DataFrame
        The emmeans table of the models stage (``quantity`` ``prob`` rows, ``category``).
    outcome : str
    cohort : str, optional

    Returns
    -------
    polars.DataFrame
        The condition columns present (group, session, direction), ``condition`` (their levels
        joined, in the table's order), category, emmean.
    """
    e = _one_cohort(emmeans, cohort, "emmeans")
    e = e.filter((pl.col("outcome") == outcome) & (pl.col("quantity") == "prob"))
    if "analysis" in e.columns:
        e = e.filter(pl.col("analysis") == "primary")
    conds = [c for c in _CONDITIONS if c in e.columns and e[c].drop_nulls().len()]
    e = e.with_columns(
        condition=pl.concat_str([pl.col(c) for c in conds], separator=", ") if conds else pl.lit("")
    )
    return e.select(*conds, "condition", "category", "emmean")


def plot_category_probabilities(
    emmeans: pl.DataFrame,
    *,
    cohort: str | None = None,
    labels: Mapping[str, str] | None = None,
    width: float = ONE_HALF_COLUMN_IN,
) -> Figure:
    """Stacked bars of the model-implied probability of each rating, one bar per condition.

    One panel per ordinal outcome (emmeans rows with ``quantity`` ``prob``); each horizontal bar
    is a condition (group, session, direction) and its segments the probabilities of ratings 0
    (lightest) to the highest (darkest), for a subject with random effects at zero. The mean
    rating implied by the model is printed at the bar's end.

    Examples
    --------
    >>> import polars as pl
    >>> e = pl.DataFrame({"outcome": "pain", "quantity": ["prob"] * 6 + ["mean"] * 2,
    ...     "analysis": "primary", "direction": ["forward"] * 3 + ["backward"] * 3
    ...     + ["forward", "backward"], "category": ["0", "1", "2"] * 2 + [None, None],
    ...     "emmean": [0.2, 0.5, 0.3, 0.5, 0.4, 0.1, 1.1, 0.6]})
    >>> fig = plot_category_probabilities(e)
    >>> len(fig.axes[0].patches)
    6
    """
    e = _one_cohort(emmeans, cohort, "emmeans")
    if "quantity" not in e.columns:
        raise ValueError("no category probabilities (quantity 'prob') in the emmeans table")
    outcomes = e.filter(pl.col("quantity") == "prob")["outcome"].unique(maintain_order=True)
    if not outcomes.len():
        raise ValueError("no category probabilities (quantity 'prob') in the emmeans table")
    with style():
        tables = [category_probabilities(e, o, cohort=None) for o in outcomes]
        n_rows = sum(t["condition"].n_unique() for t in tables)
        fig = new_figure(width, 0.28 * n_rows + 0.9 * len(tables) + 0.4)
        axes = fig.subplots(len(tables), 1, squeeze=False)[:, 0]
        for ax, outcome, t in zip(axes, outcomes.to_list(), tables, strict=True):
            cats = list(dict.fromkeys(t["category"].to_list()))
            conds = list(dict.fromkeys(t["condition"].to_list()))
            cmap = colormaps["YlOrRd"]
            colors = [cmap(0.1 + 0.85 * i / max(len(cats) - 1, 1)) for i in range(len(cats))]
            left = np.zeros(len(conds))
            y = np.arange(len(conds))[::-1]
            for k, col in zip(cats, colors, strict=True):
                vals = np.array(
                    [
                        t.filter((pl.col("condition") == c) & (pl.col("category") == k))[
                            "emmean"
                        ].sum()
                        for c in conds
                    ]
                )
                ax.barh(y, vals, left=left, color=col, edgecolor="white", lw=0.3, label=k)
                left += vals
            mean = _mean_rating(e, outcome, t, conds)
            for yi, m in zip(y, mean, strict=True):
                if m is not None:
                    ax.text(1.01, yi, f"mean {m:.1f}", va="center", fontsize=6.5)
            ax.set_yticks(y, conds)
            ax.set_xlim(0, 1)
            ax.set_xlabel("Model-implied probability of each rating")
            ax.set_title(outcome_label(str(outcome), labels), loc="left")
            ax.legend(
                title="Rating",
                ncols=min(len(cats), 11),
                loc="lower center",
                bbox_to_anchor=(0.5, 1.12),
                fontsize=6,
                title_fontsize=6.5,
                handlelength=1.0,
                columnspacing=0.6,
            )
    return fig


def _mean_rating(
    e: pl.DataFrame, outcome: str, t: pl.DataFrame, conds: list[str]
) -> list[float | None]:
    """The model-implied mean rating of each condition (the ``mean`` EMM of that cell)."""
    cols = [c for c in _CONDITIONS if c in t.columns]
    m = e.filter((pl.col("outcome") == outcome) & (pl.col("quantity") == "mean"))
    if "analysis" in m.columns:
        m = m.filter(pl.col("analysis") == "primary")
    out: list[float | None] = []
    for cond in conds:
        levels = t.filter(pl.col("condition") == cond).row(0, named=True)
        hit = m
        for c in cols:
            if c not in hit.columns:
                hit = hit.clear()
                break
            hit = hit.filter(pl.col(c) == levels[c])
        for c in _CONDITIONS:
            if c not in cols and c in hit.columns:
                hit = hit.filter(pl.col(c).is_null())
        out.append(float(hit["emmean"][0]) if hit.height == 1 else None)
    return out
