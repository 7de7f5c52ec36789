"""Paired per-subject plots of discrete outcomes, one panel per outcome.

:func:`plot_paired` joins each subject's forward and backward means; :func:`plot_paired_sessions`
joins each subject's first and last session (for outcomes without a walking direction, such as
balance scores).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import polars as pl
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis.report.figures.ensemble import _one_cohort
from analysis.report.figures.style import (
    DIRECTION_COLORS,
    DIRECTION_MARKERS,
    DIRECTION_ORDER,
    DOUBLE_COLUMN_IN,
    NEUTRAL,
    group_colors,
    n_text,
    new_figure,
    panel_title,
    style,
)
from analysis.report.labels import outcome_label, outcome_sort_key

__all__ = ["paired_means", "plot_paired", "plot_paired_sessions", "session_means"]


def paired_means(outcomes: pl.DataFrame, *, cohort: str | None = None) -> pl.DataFrame:
    """Subject means per outcome and walking direction (trials within sessions, then sessions).

    Rows without a direction (e.g. balance scores measured once per session) are left out.

    Parameters
    ----------
    outcomes : polars.DataFrame
        The long outcome table (cohort, subject, group, session, direction, trial, family,
        outcome, value, unit).
    cohort : str, optional
        Cohort to use when the table holds several.

    Returns
    -------
    polars.DataFrame
        family, outcome, unit, subject, direction, value.

    Examples
    --------
    >>> import polars as pl
    >>> o = pl.DataFrame({"cohort": "A", "subject": "s1", "session": ["T0", "T0", "T1"],
    ...     "direction": "forward", "trial": [1, 2, 1], "family": "emg",
    ...     "outcome": "VL_mean_cycle", "value": [1.0, 3.0, 6.0], "unit": "% ref"})
    >>> paired_means(o)["value"].to_list()  # T0 -> 2.0, T1 -> 6.0
    [4.0]
    """
    o = _one_cohort(outcomes, cohort, "outcomes").filter(pl.col("direction").is_not_null())
    unit = pl.col("unit").first() if "unit" in o.columns else pl.lit(None, dtype=pl.String)
    keys = ["family", "outcome", "subject", "direction"]
    sess = [c for c in ("session",) if c in o.columns]
    per_session = o.group_by([*keys, *sess]).agg(pl.col("value").mean(), unit.alias("unit"))
    out = per_session.group_by(keys).agg(pl.col("value").mean(), pl.col("unit").first())
    return out.select("family", "outcome", "unit", "subject", "direction", "value").sort(keys)


def plot_paired(
    outcomes: pl.DataFrame,
    *,
    cohort: str | None = None,
    family: str | Sequence[str] | None = None,
    outcome_names: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    ncols: int = 3,
    width: float = DOUBLE_COLUMN_IN,
    contrast: tuple[str, str, str] | None = None,
) -> Figure:
    """One panel per outcome: each subject's forward and backward mean joined by a line.

    With ``contrast=(factor, level, reference)`` of a declared trial factor (a column of
    ``outcomes``, e.g. ``("task", "turn", "straight")``) each subject's mean at the reference
    and at the level are joined instead, averaged over the other conditions.

    Each axes holds one grey Line2D per subject measured in both directions, then one black
    Line2D joining the means of those subjects, and one scatter (PathCollection) per direction
    with every subject's mean.

    Parameters
    ----------
    outcomes : polars.DataFrame
        The long outcome table.
    cohort : str, optional
        Cohort to draw when the table holds several.
    family : str or sequence of str, optional
        Outcome families to include (default all with a direction).
    outcome_names : sequence of str, optional
        Outcomes and their order (default: by family, then muscle hip to ankle, then name).
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
    >>> o = pl.DataFrame({"cohort": "A", "subject": ["s1", "s1", "s2", "s2"],
    ...     "session": "T0", "direction": ["forward", "backward"] * 2, "trial": 1,
    ...     "family": "pain", "outcome": "pain", "value": [5.0, 3.0, 6.0, 5.0], "unit": "NRS"})
    >>> fig = plot_paired(o)
    >>> len(fig.axes), len(fig.axes[0].get_lines())  # 2 subjects + the mean
    (1, 3)
    """
    names = {d: d.capitalize() for d in DIRECTION_ORDER}
    if contrast is not None and contrast[0] != "direction":
        factor, level, reference = contrast
        outcomes = outcomes.filter(pl.col(factor).is_in([level, reference])).with_columns(
            direction=pl.when(pl.col(factor) == level)
            .then(pl.lit("backward"))
            .otherwise(pl.lit("forward"))
        )
        names = {"forward": reference.capitalize(), "backward": level.capitalize()}
    means = paired_means(outcomes, cohort=cohort)
    if family is not None:
        fams = [family] if isinstance(family, str) else list(family)
        means = means.filter(pl.col("family").is_in(fams))
    if outcome_names is None:
        pairs = means.select("family", "outcome").unique().rows()
        outcome_list = [o for _, o in sorted(pairs, key=lambda r: (r[0], outcome_sort_key(r[1])))]
    else:
        present = set(means["outcome"].to_list())
        outcome_list = [o for o in outcome_names if o in present]
    if not outcome_list:
        raise ValueError("no outcome measured in both walking directions to plot")
    n = len(outcome_list)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    with style():
        fig = new_figure(width, 1.55 * nrows + 0.35)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
        for ax in axes[n:]:
            fig.delaxes(ax)
        counts = []
        for i, (ax, outcome) in enumerate(zip(axes, outcome_list, strict=False)):
            counts.append(_panel(ax, means.filter(pl.col("outcome") == outcome), names))
            panel_title(ax, i, outcome_label(outcome, labels, full=True), 30)
        handles = [
            Line2D([], [], color=DIRECTION_COLORS[d], marker=DIRECTION_MARKERS[d], ls="",
                   label=f"{names[d]}: subject means")
            for d in DIRECTION_ORDER
        ]  # fmt: skip
        handles.append(
            Line2D([], [], color="black", lw=1.8, label=f"Mean ({n_text(counts)} subjects)")
        )
        fig.legend(handles=handles, loc="outside upper center", ncols=3)
    return fig


def _panel(ax, m: pl.DataFrame, names: Mapping[str, str]) -> int:
    """Draw one outcome; returns the number of subjects measured in both directions."""
    wide = m.pivot(on="direction", index="subject", values="value").sort("subject")
    for d in DIRECTION_ORDER:
        if d not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(d))
    both = wide.drop_nulls(list(DIRECTION_ORDER))
    for f, b in both.select(*DIRECTION_ORDER).iter_rows():
        ax.plot([0, 1], [f, b], color=NEUTRAL, lw=0.6, alpha=0.6, zorder=1)
    if both.height:
        ax.plot(
            [0, 1],
            [both[DIRECTION_ORDER[0]].mean(), both[DIRECTION_ORDER[1]].mean()],
            color="black",
            lw=1.8,
            zorder=3,
        )
    for x, d in enumerate(DIRECTION_ORDER):
        vals = wide[d].drop_nulls().to_numpy()
        ax.scatter(
            [x] * vals.size,
            vals,
            s=12,
            color=DIRECTION_COLORS[d],
            marker=DIRECTION_MARKERS[d],
            edgecolor="white",
            linewidth=0.4,
            zorder=2,
        )
    ax.set_xticks([0, 1], [names[d] for d in DIRECTION_ORDER])
    ax.set_xlim(-0.35, 1.35)
    for tick, d in zip(ax.get_xticklabels(), DIRECTION_ORDER, strict=True):
        tick.set_color(DIRECTION_COLORS[d])
    unit = m["unit"].drop_nulls().first() if m["unit"].drop_nulls().len() else None
    ax.set_ylabel(unit if unit else "value")
    return both.height


def session_means(
    outcomes: pl.DataFrame,
    *,
    cohort: str | None = None,
    family: str | Sequence[str] | None = None,
) -> pl.DataFrame:
    """Subject means per outcome and session (over trials and walking directions).

    Parameters
    ----------
    outcomes : polars.DataFrame
        The long outcome table (cohort, subject, group, session, direction, trial, family,
        outcome, value, unit). Without ``group`` every subject is in group ``"all"``.
    cohort : str, optional
        Cohort to use when the table holds several.
    family : str or sequence of str, optional
        Outcome families to keep (default all).

    Returns
    -------
    polars.DataFrame
        family, outcome, unit, group, subject, session, value; sorted by family, outcome,
        subject, then session in order of first appearance in ``outcomes``.

    Examples
    --------
    >>> import polars as pl
    >>> o = pl.DataFrame({"cohort": "A", "subject": "s1", "group": "g",
    ...     "session": ["T0", "T0", "T1"], "direction": ["forward", "backward", None],
    ...     "trial": None, "family": "pain", "outcome": "pain", "value": [4.0, 2.0, 1.0],
    ...     "unit": "NRS"})
    >>> session_means(o)["value"].to_list()  # T0: mean of both directions
    [3.0, 1.0]
    """
    o = _one_cohort(outcomes, cohort, "outcomes").filter(pl.col("value").is_not_null())
    if family is not None:
        fams = [family] if isinstance(family, str) else list(family)
        o = o.filter(pl.col("family").is_in(fams))
    if "group" not in o.columns:
        o = o.with_columns(group=pl.lit("all"))
    if "unit" not in o.columns:
        o = o.with_columns(unit=pl.lit(None, dtype=pl.String))
    rank = {s: i for i, s in enumerate(o["session"].unique(maintain_order=True).to_list())}
    keys = ["family", "outcome", "subject", "session"]
    out = o.group_by(keys).agg(
        pl.col("value").mean(), pl.col("unit").drop_nulls().first(), pl.col("group").first()
    )
    out = out.with_columns(_rank=pl.col("session").replace_strict(rank, return_dtype=pl.Int64))
    out = out.sort("family", "outcome", "subject", "_rank")
    return out.select("family", "outcome", "unit", "group", "subject", "session", "value")


def plot_paired_sessions(
    outcomes: pl.DataFrame,
    *,
    cohort: str | None = None,
    family: str | Sequence[str] = "balance",
    session_order: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    ncols: int = 3,
    width: float = DOUBLE_COLUMN_IN,
) -> Figure:
    """One panel per outcome: each subject's first and last session joined by a line.

    For outcomes measured once per session (e.g. Berg Balance Scale, Timed Up and Go); outcomes
    with a walking direction are averaged over directions (see :func:`session_means`). The x
    axis holds the first and last session of ``session_order`` that the family was measured in.
    Each axes holds one grey Line2D per subject measured in both sessions, then one thick
    Line2D per group joining the means of its subjects measured in both sessions, and one
    scatter (PathCollection) per group with every subject's value, coloured by group.

    Parameters
    ----------
    outcomes : polars.DataFrame
        The long outcome table (with ``group``; without it, one group ``"all"``).
    cohort : str, optional
        Cohort to draw when the table holds several.
    family : str or sequence of str
        Outcome families to draw.
    session_order : sequence of str, optional
        Session order (``sessions:`` of cohort.yaml); default the order of first appearance
        in ``outcomes``. Sessions in which the family was not measured are skipped.
    labels : mapping, optional
        Outcome code -> readable title.
    ncols : int
        Panels per row.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        When no outcome of ``family`` has a subject measured in two sessions.

    Examples
    --------
    >>> import polars as pl
    >>> o = pl.DataFrame({"cohort": "A", "subject": ["s1", "s2", "s3"] * 2,
    ...     "group": ["a", "b", "b"] * 2, "session": ["T0"] * 3 + ["T1"] * 3,
    ...     "direction": None, "trial": None, "family": "balance", "outcome": "BBS",
    ...     "value": [50.0, 52.0, 47.0, 53.0, 52.5, 50.0], "unit": "points"})
    >>> fig = plot_paired_sessions(o, session_order=["T0", "T1"])
    >>> len(fig.axes), len(fig.axes[0].get_lines())  # 3 subjects + 2 group means
    (1, 5)
    """
    fams = [family] if isinstance(family, str) else list(family)
    means = session_means(outcomes, cohort=cohort, family=fams)
    present = means["session"].unique(maintain_order=True).to_list()
    if session_order is None:
        first_seen = _one_cohort(outcomes, cohort, "outcomes")["session"]
        session_order = [s for s in first_seen.unique(maintain_order=True) if s in present]
    sessions = [s for s in session_order if s in set(present)]
    if len(sessions) < 2:
        raise ValueError(
            f"no outcome of family {', '.join(fams)} measured in two sessions to plot "
            f"(sessions with data: {present or 'none'})"
        )
    first, last = sessions[0], sessions[-1]
    wide = (
        means.filter(pl.col("session").is_in([first, last]))
        .pivot(on="session", index=["family", "outcome", "group", "subject"], values="value")
        .sort("family", "outcome", "subject")
    )
    for s in (first, last):
        if s not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(s))
    paired = wide.drop_nulls([first, last])
    if paired.height == 0:
        raise ValueError(
            f"no outcome of family {', '.join(fams)} measured in two sessions to plot "
            f"(no subject has both {first!r} and {last!r})"
        )
    fam_rank = {f: i for i, f in enumerate(fams)}
    pairs = paired.select("family", "outcome").unique().rows()
    outcome_list = [
        o for _, o in sorted(pairs, key=lambda r: (fam_rank.get(r[0], 99), outcome_sort_key(r[1])))
    ]
    groups = sorted(means["group"].drop_nulls().unique().to_list())
    gcol = group_colors(groups)
    n = len(outcome_list)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    with style():
        fig = new_figure(width, 1.55 * nrows + 0.45)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
        for ax in axes[n:]:
            fig.delaxes(ax)
        for i, (ax, outcome) in enumerate(zip(axes, outcome_list, strict=False)):
            _session_panel(
                ax,
                wide.filter(pl.col("outcome") == outcome),
                means.filter(pl.col("outcome") == outcome),
                (first, last),
                gcol,
            )
            panel_title(ax, i, outcome_label(outcome, labels, full=True), 30)
        n_group = _subjects_per_group(means)
        handles = [
            Line2D([], [], color=gcol[g], lw=2, marker="o", ms=3.5, label=f"{g} (n = {n_group[g]})")
            for g in groups
        ]
        fig.legend(
            handles=handles,
            loc="outside upper center",
            ncols=min(5, len(handles)),
            title="Group (thick line: mean)",
        )
    return fig


def _subjects_per_group(frame: pl.DataFrame) -> dict[str, int]:
    """Distinct subjects per group (the n of the legends)."""
    counts = frame.group_by("group").agg(pl.col("subject").n_unique())
    return {g: int(n) for g, n in counts.drop_nulls("group").iter_rows()}


def _session_panel(
    ax, wide: pl.DataFrame, m: pl.DataFrame, sessions: tuple[str, str], gcol: dict[str, str]
) -> None:
    first, last = sessions
    both = wide.drop_nulls([first, last])
    for a, b in both.select(first, last).iter_rows():
        ax.plot([0, 1], [a, b], color=NEUTRAL, lw=0.6, alpha=0.6, zorder=1)
    for g, color in gcol.items():
        gb = both.filter(pl.col("group") == g)
        if gb.height:
            ax.plot(
                [0, 1],
                [gb[first].mean(), gb[last].mean()],
                color=color,
                lw=2.2,
                marker="o",
                ms=4,
                zorder=3,
            )
    for g, color in gcol.items():
        gw = wide.filter(pl.col("group") == g)
        x = [0] * gw[first].drop_nulls().len() + [1] * gw[last].drop_nulls().len()
        y = [*gw[first].drop_nulls().to_list(), *gw[last].drop_nulls().to_list()]
        if y:
            ax.scatter(x, y, s=12, color=color, edgecolor="white", linewidth=0.4, zorder=2)
    ax.set_xticks([0, 1], [first, last])
    ax.set_xlim(-0.35, 1.35)
    unit = m["unit"].drop_nulls().first() if m["unit"].drop_nulls().len() else None
    ax.set_ylabel(unit if unit else "value")
