"""Balance and pain across sessions, by group (and walking direction where it applies)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from scipy import stats

from analysis.report.figures.ensemble import _one_cohort
from analysis.report.figures.style import (
    DIRECTION_COLORS,
    DIRECTION_MARKERS,
    DIRECTION_ORDER,
    DOUBLE_COLUMN_IN,
    NEUTRAL,
    group_colors,
    new_figure,
    panel_title,
    style,
)
from analysis.report.labels import outcome_label, outcome_sort_key

__all__ = ["trajectory_means", "plot_trajectories"]

_LINESTYLE = {"forward": "-", "backward": "--", None: "-"}
_MARKER = {**DIRECTION_MARKERS, None: "D"}


def trajectory_means(
    outcomes: pl.DataFrame,
    *,
    families: Sequence[str] = ("balance", "pain"),
    cohort: str | None = None,
    ci: float = 0.95,
) -> pl.DataFrame:
    """Mean and t-based CI across subjects per outcome, group, direction and session.

    Trials are averaged within subject and session first, so each subject counts once.

    Returns
    -------
    polars.DataFrame
        family, outcome, unit, group, direction (null where it does not apply), session, mean,
        sd, n_subjects, ci_low, ci_high.

    Examples
    --------
    >>> import polars as pl
    >>> o = pl.DataFrame({"cohort": "A", "subject": ["s1", "s2"], "group": "g",
    ...     "session": "T0", "direction": None, "trial": None, "family": "balance",
    ...     "outcome": "BBS", "value": [50.0, 52.0], "unit": "points"})
    >>> trajectory_means(o).select("mean", "n_subjects").row(0)
    (51.0, 2)
    """
    o = _one_cohort(outcomes, cohort, "outcomes").filter(pl.col("family").is_in(list(families)))
    if "group" not in o.columns:
        o = o.with_columns(group=pl.lit("all"))
    if "unit" not in o.columns:
        o = o.with_columns(unit=pl.lit(None, dtype=pl.String))
    keys = ["family", "outcome", "group", "direction", "session"]
    subj = o.group_by([*keys, "subject"]).agg(pl.col("value").mean(), pl.col("unit").first())
    out = subj.group_by(keys).agg(
        pl.col("unit").first(),
        pl.col("value").mean().alias("mean"),
        pl.col("value").std(ddof=1).alias("sd"),
        pl.col("value").count().cast(pl.Int64).alias("n_subjects"),
    )
    n = out["n_subjects"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        tcrit = np.where(n > 1, stats.t.ppf(0.5 + ci / 2, np.maximum(n - 1, 1)), np.nan)
        half = tcrit * out["sd"].to_numpy() / np.sqrt(n)
    out = out.with_columns(
        ci_low=pl.col("mean") - pl.Series(half), ci_high=pl.col("mean") + pl.Series(half)
    )
    cols = ["family", "outcome", "unit", "group", "direction", "session", "mean", "sd"]
    return out.select(*cols, "n_subjects", "ci_low", "ci_high").sort(keys, nulls_last=True)


def plot_trajectories(
    outcomes: pl.DataFrame,
    *,
    cohort: str | None = None,
    families: Sequence[str] = ("balance", "pain"),
    session_order: Sequence[str] | None = None,
    ci: float = 0.95,
    labels: Mapping[str, str] | None = None,
    ncols: int = 3,
    width: float = DOUBLE_COLUMN_IN,
) -> Figure:
    """One panel per outcome: mean and 95% CI per session, one line per group x direction.

    With several groups, colour marks the group and line style the direction (solid forward or
    no direction, dashed backward); with one group, colour marks the direction in the
    forward/backward colours. Each axes holds one Line2D and one LineCollection (CIs) per
    group x direction line.

    Parameters
    ----------
    outcomes : polars.DataFrame
        The long outcome table (with ``group``).
    cohort : str, optional
        Cohort to draw when the table holds several.
    families : sequence of str
        Outcome families to draw.
    session_order : sequence of str, optional
        Session order on the x axis (``sessions:`` of cohort.yaml); default sorted.
    ci : float
        Confidence level.
    labels : mapping, optional
        Outcome code -> readable title.
    ncols : int
        Panels per row.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import polars as pl
    >>> o = pl.DataFrame({"cohort": "A", "subject": ["s1", "s2"] * 2, "group": ["a", "b"] * 2,
    ...     "session": ["T0", "T0", "T1", "T1"], "direction": None, "trial": None,
    ...     "family": "balance", "outcome": "BBS", "value": [50.0, 52.0, 53.0, 52.5],
    ...     "unit": "points"})
    >>> fig = plot_trajectories(o, session_order=["T0", "T1"])
    >>> len(fig.axes), len(fig.axes[0].get_lines())
    (1, 2)
    """
    means = trajectory_means(outcomes, families=families, cohort=cohort, ci=ci)
    if means.height == 0:
        raise ValueError(f"no outcomes of families {list(families)} to plot")
    sessions = list(session_order) if session_order else sorted(means["session"].unique())
    sessions = [s for s in sessions if s in set(means["session"].to_list())]
    xpos = {s: i for i, s in enumerate(sessions)}
    pairs = means.select("family", "outcome").unique().rows()
    fam_rank = {f: i for i, f in enumerate(families)}
    outcome_list = [
        o for _, o in sorted(pairs, key=lambda r: (fam_rank.get(r[0], 99), outcome_sort_key(r[1])))
    ]
    groups = sorted(means["group"].drop_nulls().unique().to_list())
    gcol = group_colors(groups)
    by_group = len(groups) > 1
    n = len(outcome_list)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    seen: dict[tuple, dict] = {}
    with style():
        fig = new_figure(width, 1.6 * nrows + 0.45)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
        for ax in axes[n:]:
            fig.delaxes(ax)
        for i, (ax, outcome) in enumerate(zip(axes, outcome_list, strict=False)):
            sub = means.filter(pl.col("outcome") == outcome)
            combos = sub.select("group", "direction").unique().rows()
            order = {d: i for i, d in enumerate(DIRECTION_ORDER)}
            combos.sort(key=lambda c: (groups.index(c[0]), order.get(c[1], -1)))
            offsets = np.linspace(-0.08, 0.08, len(combos)) if len(combos) > 1 else [0.0]
            for (g, d), off in zip(combos, offsets, strict=True):
                line = sub.filter(
                    (pl.col("group") == g)
                    & (pl.col("direction").is_null() if d is None else pl.col("direction") == d)
                )
                line = line.filter(pl.col("session").is_in(sessions))
                line = line.sort(pl.col("session").replace_strict(xpos))
                x = np.array([xpos[s] for s in line["session"]]) + off
                color = gcol[g] if by_group else DIRECTION_COLORS.get(d, NEUTRAL)
                kw = {"color": color, "ls": _LINESTYLE[d], "marker": _MARKER[d], "ms": 3.5}
                ax.plot(x, line["mean"].to_numpy(), **kw)
                ax.vlines(
                    x, line["ci_low"].to_numpy(), line["ci_high"].to_numpy(), color=color, lw=0.8
                )
                seen[(g, d)] = kw
            ax.set_xticks(range(len(sessions)), sessions)
            ax.set_xlim(-0.4, len(sessions) - 0.6)
            unit = sub["unit"].drop_nulls().first() if sub["unit"].drop_nulls().len() else None
            ax.set_ylabel(unit or "value")
            panel_title(ax, i, outcome_label(outcome, labels, full=True), 30)
        fig.supxlabel("Session", fontsize=8)
        handles = _legend(seen, gcol, by_group, _group_n(outcomes, families, cohort))
        fig.legend(
            handles=handles,
            loc="outside upper center",
            ncols=min(5, len(handles)),
            title="Mean (95% CI)",
        )
    return fig


_DIRECTION_LABEL = {"forward": "forward", "backward": "backward", None: "no direction"}


def _group_n(outcomes: pl.DataFrame, families: Sequence[str], cohort: str | None) -> dict:
    """Distinct subjects per group with an outcome of ``families``."""
    o = _one_cohort(outcomes, cohort, "outcomes").filter(pl.col("family").is_in(list(families)))
    if "group" not in o.columns:
        return {}
    counts = o.group_by("group").agg(pl.col("subject").n_unique())
    return {g: int(n) for g, n in counts.drop_nulls("group").iter_rows()}


def _legend(
    seen: dict[tuple, dict], gcol: dict[str, str], by_group: bool, n_group: dict | None = None
) -> list[Line2D]:
    """Groups as colours (with n per group), then directions as line style and marker."""
    n_group = n_group or {}
    directions = sorted(
        {d for _, d in seen}, key=lambda d: -1 if d is None else 1 + (d == "backward")
    )
    handles = []
    if by_group:
        for g in sorted({g for g, _ in seen}):
            label = f"{g} (n = {n_group[g]})" if g in n_group else g
            handles.append(Line2D([], [], color=gcol[g], lw=2, label=label))
    for d in directions:
        color = NEUTRAL if by_group else DIRECTION_COLORS.get(d, NEUTRAL)
        handles.append(
            Line2D(
                [],
                [],
                color=color,
                ls=_LINESTYLE[d],
                marker=_MARKER[d],
                ms=3.5,
                label=_DIRECTION_LABEL[d],
            )
        )
    return handles
