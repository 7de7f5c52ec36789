"""EMG ensemble curves and standardised-effect curves, one panel per muscle."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import polars as pl
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.ingest.readers.channels import split_side
from analysis.models.waveform import ensemble_mean
from analysis.report.figures.empty import no_data_figure
from analysis.report.figures.style import (
    CLUSTER_SHADE,
    DIRECTION_COLORS,
    DIRECTION_ORDER,
    DOUBLE_COLUMN_IN,
    NEUTRAL,
    n_text,
    new_figure,
    panel_letter,
    style,
)
from analysis.report.labels import muscle_sort_key, muscle_title, norm_label

__all__ = ["mean_toe_off", "plot_ensemble", "plot_effect_size"]

PANEL_HEIGHT_IN = 1.45
BAND_ALPHA = 0.35


def _panel(ax, i: int, muscle: str) -> None:
    """Panel letter, full muscle name, and the code kept as the axes' gid."""
    panel_letter(ax, i)
    ax.set_title(_title(muscle), fontsize=7)
    ax.set_gid(muscle)


def _context(frame: pl.DataFrame, groups: Sequence[str] | None) -> str:
    """Which sessions and groups the curves pool, e.g. "Sessions pooled: T0, T1"."""
    parts = []
    if "session" in frame.columns:
        sessions = sorted(map(str, frame["session"].drop_nulls().unique().to_list()))
        if sessions:
            word = "Session" if len(sessions) == 1 else "Sessions pooled"
            parts.append(f"{word}: {', '.join(sessions)}")
    if groups:
        word = "Group" if len(groups) == 1 else "Groups pooled"
        parts.append(f"{word}: {', '.join(groups)}")
    return "; ".join(parts)


def _one_cohort(frame: pl.DataFrame, cohort: str | None, what: str) -> pl.DataFrame:
    if "cohort" not in frame.columns:
        return frame
    if cohort is not None:
        return frame.filter(pl.col("cohort") == cohort)
    cohorts = frame["cohort"].unique().to_list()
    if len(cohorts) > 1:
        raise ValueError(f"{what} holds cohorts {sorted(cohorts)}; pass cohort= to choose one")
    return frame


def _muscles(frame: pl.DataFrame, muscles: Sequence[str] | None) -> list[str]:
    present = set(frame["muscle"].unique().to_list())
    if muscles is None:
        return sorted(present, key=_sided_sort_key)
    return [m for m in muscles if m in present]


def _sided_sort_key(code: str) -> tuple:
    """Hip to ankle, the left leg before the right one for the same muscle (``L_VL``)."""
    side, muscle = split_side(code)
    return (*muscle_sort_key(muscle), side or "")


def _title(code: str) -> str:
    """Panel title: full name and code, e.g. ``Vastus lateralis (VL)``, with the leg for a
    muscle of one of both legs: ``Vastus lateralis (VL), left``."""
    side, muscle = split_side(code)
    return f"{muscle_title(muscle)}, {side}" if side else muscle_title(code)


def _grid(n: int, ncols: int, width: float) -> tuple[Figure, list]:
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig = new_figure(width, PANEL_HEIGHT_IN * nrows + 0.45)
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        fig.delaxes(ax)
    return fig, axes[:n]


def mean_toe_off(
    spatiotemporal: pl.DataFrame,
    *,
    parameter: str = "stance_pct",
    cohort: str | None = None,
) -> pl.DataFrame:
    """Mean toe-off (stance/swing boundary, % of cycle) per direction from subject means.

    Parameters
    ----------
    spatiotemporal : polars.DataFrame
        cohort, subject, session, direction, trial, cycle, parameter, value, unit
        [, excluded: rows true are left out].
    parameter : str
        Name of the stance-duration parameter in % of the gait cycle.
    cohort : str, optional
        Cohort to use when the table holds several.

    Returns
    -------
    polars.DataFrame
        direction, toe_off_pct, n_subjects.

    Examples
    --------
    >>> import polars as pl
    >>> st = pl.DataFrame({"cohort": "A", "subject": ["s1", "s1", "s2", "s1"],
    ...     "direction": ["forward", "forward", "forward", "backward"],
    ...     "parameter": "stance_pct", "value": [60.0, 62.0, 63.0, 67.0]})
    >>> mean_toe_off(st).rows()
    [('forward', 62.0, 2), ('backward', 67.0, 1)]
    """
    st = _one_cohort(spatiotemporal, cohort, "spatiotemporal")
    st = st.filter(pl.col("parameter") == parameter)
    if "excluded" in st.columns:
        st = st.filter(~pl.col("excluded").fill_null(False))
    per_subject = st.group_by("subject", "direction").agg(pl.col("value").mean())
    out = per_subject.group_by("direction").agg(
        pl.col("value").mean().alias("toe_off_pct"),
        pl.col("subject").n_unique().cast(pl.Int64).alias("n_subjects"),
    )
    order = {d: i for i, d in enumerate(DIRECTION_ORDER)}
    return out.sort(pl.col("direction").replace_strict(order, default=len(order)))


def _shade_clusters(ax, clusters: pl.DataFrame | None, muscle: str, strip: bool = False) -> int:
    """Grey span over each cluster (a bar along the top of the axes when ``strip``)."""
    if clusters is None or clusters.height == 0:
        return 0
    rows = clusters.filter((pl.col("muscle") == muscle) & pl.col("cluster").is_not_null())
    for r in rows.iter_rows(named=True):
        if strip:
            ax.axvspan(r["start_pct"], r["end_pct"], ymin=0.96, ymax=1.0, color="black", lw=0)
        else:
            ax.axvspan(r["start_pct"], r["end_pct"], color=CLUSTER_SHADE, alpha=0.5, lw=0, zorder=0)
    return rows.height


def _paired_clusters(
    clusters: pl.DataFrame | None, cohort: str | None, test: str
) -> pl.DataFrame | None:
    if clusters is None:
        return None
    c = _one_cohort(clusters, cohort, "clusters")
    if "test" in c.columns:
        c = c.filter(pl.col("test") == test)
    if "session" in c.columns:
        c = c.filter(pl.col("session").is_null())
    return c


def plot_ensemble(
    curves: pl.DataFrame,
    clusters: pl.DataFrame | None = None,
    toe_off: pl.DataFrame | None = None,
    *,
    cohort: str | None = None,
    muscles: Sequence[str] | None = None,
    ncols: int = 3,
    ci: float = 0.95,
    ylabel: str | None = None,
    cluster_test: str = "paired t",
    width: float = DOUBLE_COLUMN_IN,
    normalisation: pl.DataFrame | None = None,
    groups: Sequence[str] | None = None,
) -> Figure:
    """Mean EMG envelope per muscle walking forward and backward, with 95% CI bands.

    Each axes holds, in this order, the forward and the backward mean curve (Line2D, with a
    ``fill_between`` band), one dashed vertical line per direction at the mean toe-off when
    ``toe_off`` is given, and a grey span per supra-threshold SPM cluster.

    Parameters
    ----------
    curves : polars.DataFrame
        EMG curves (cohort, subject, session, direction, trial, cycle, muscle, pct, value,
        optionally norm_unit). Averaged with :func:`analysis.models.waveform.ensemble_mean`
        (subjects weigh equally; sessions pooled). Muscles of both legs (``L_VL``, ``R_VL``)
        get a panel each, titled ``VL (left)``.
    clusters : polars.DataFrame, optional
        :func:`analysis.models.waveform.spm_paired` output; rows of ``cluster_test`` are shaded.
    toe_off : polars.DataFrame, optional
        direction, toe_off_pct (e.g. :func:`mean_toe_off`); no boundary drawn without it.
    cohort : str, optional
        Cohort to draw when the frames hold several.
    muscles : sequence of str, optional
        Muscles and their order; default all, hip to ankle.
    ncols : int
        Panels per row.
    ci : float
        Confidence level of the bands.
    ylabel : str, optional
        Y axis label; default names the normalisation of ``norm_unit``
        (:func:`analysis.report.labels.norm_label`).
    cluster_test : str
        Which ``test`` of ``clusters`` to shade.
    width : float
        Figure width in inches.
    normalisation : polars.DataFrame, optional
        The EMG normalisation table (``method`` per subject x muscle), named in the y label.
    groups : sequence of str, optional
        Groups the curves pool, stated in the figure title with the sessions.

    Panels carry a bold letter (left title), the full muscle name (centre title) and the
    muscle code as gid; the legend gives n subjects per direction.

    Returns
    -------
    matplotlib.figure.Figure
        A :func:`~analysis.report.figures.empty.no_data_figure` when no muscle has curves.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(0)
    >>> c = pl.concat([pl.DataFrame({"cohort": "A", "subject": f"s{s}", "session": "T0",
    ...     "direction": d, "trial": 1, "cycle": 1, "muscle": m, "pct": np.arange(101),
    ...     "value": rng.random(101)}) for s in range(3) for d in ("forward", "backward")
    ...     for m in ("VL", "TA")])
    >>> fig = plot_ensemble(c)
    >>> len(fig.axes), [len(ax.get_lines()) for ax in fig.axes]
    (2, [2, 2])
    """
    curves = _one_cohort(curves, cohort, "curves")
    muscle_list = _muscles(curves, muscles)
    if not muscle_list:
        return no_data_figure("EMG ensemble curves", "no muscle has an included gait cycle")
    ens = ensemble_mean(curves.filter(pl.col("muscle").is_in(muscle_list)), ci=ci)
    clusters = _paired_clusters(clusters, cohort, cluster_test)
    if ylabel is None:
        units = _unique_str(curves, "norm_unit")
        methods = None
        if normalisation is not None and "method" in normalisation.columns:
            methods = normalisation["method"].drop_nulls().unique().to_list()
        ylabel = norm_label(units.split(", ") if units else None, methods)
    n_by_dir = {
        d: n_text(ens.filter(pl.col("direction") == d)["n_subjects"].to_list())
        for d in DIRECTION_ORDER
    }
    context = _context(curves, groups)
    with style():
        fig, axes = _grid(len(muscle_list), ncols, width)
        for i, (ax, muscle) in enumerate(zip(axes, muscle_list, strict=True)):
            sub = ens.filter(pl.col("muscle") == muscle)
            for d in DIRECTION_ORDER:
                g = sub.filter(pl.col("direction") == d).sort("pct")
                if g.height == 0:
                    continue
                x = g["pct"].to_numpy()
                ax.fill_between(
                    x,
                    g["ci_low"].to_numpy(),
                    g["ci_high"].to_numpy(),
                    color=DIRECTION_COLORS[d],
                    alpha=BAND_ALPHA,
                    lw=0,
                )
                ax.plot(x, g["mean"].to_numpy(), color=DIRECTION_COLORS[d], label=d)
            if toe_off is not None:
                for r in toe_off.iter_rows(named=True):
                    if r["direction"] in DIRECTION_COLORS and r["toe_off_pct"] is not None:
                        ax.axvline(
                            r["toe_off_pct"],
                            color=DIRECTION_COLORS[r["direction"]],
                            ls="--",
                            lw=0.8,
                        )
            _shade_clusters(ax, clusters, muscle)
            _panel(ax, i, muscle)
            ax.set_xlim(0, 100)
            ax.set_xticks([0, 25, 50, 75, 100])
            if i + min(ncols, len(muscle_list)) >= len(muscle_list):
                ax.tick_params(labelbottom=True)
        fig.supxlabel("Gait cycle (%)", fontsize=8)
        fig.supylabel(textwrap.fill(ylabel, 40), fontsize=8)
        fig.legend(
            handles=_legend_handles(toe_off is not None, clusters is not None, n_by_dir, ci),
            loc="outside upper center",
            ncols=2,
            title=context or None,
        )
    return fig


def _legend_handles(toe_off: bool, clusters: bool, n_by_dir: dict[str, str], ci: float) -> list:
    level = f"{ci:.0%}"
    handles = [
        Patch(
            facecolor=to_rgba(DIRECTION_COLORS[d], BAND_ALPHA),
            edgecolor=DIRECTION_COLORS[d],
            lw=1.2,
            label=f"{d.capitalize()} (mean, {level} CI; {n_by_dir[d]} subjects)",
        )
        for d in DIRECTION_ORDER
    ]
    if toe_off:
        handles.append(
            Line2D([], [], color=NEUTRAL, ls="--", lw=0.8, label="Toe-off (stance | swing)")
        )
    if clusters:
        handles.append(Patch(color=CLUSTER_SHADE, alpha=0.5, lw=0, label="SPM cluster"))
    return handles


def _unique_str(frame: pl.DataFrame, col: str) -> str | None:
    if col not in frame.columns:
        return None
    vals = frame[col].drop_nulls().unique().to_list()
    return ", ".join(sorted(map(str, vals))) if vals else None


def plot_effect_size(
    effect: pl.DataFrame,
    clusters: pl.DataFrame | None = None,
    *,
    cohort: str | None = None,
    muscles: Sequence[str] | None = None,
    ncols: int = 3,
    cluster_test: str = "paired t",
    width: float = DOUBLE_COLUMN_IN,
) -> Figure:
    """Standardised effect d_z (backward − forward) along the cycle with its pointwise CI band.

    Each axes holds the d_z curve (one Line2D), a band (``fill_between``), a horizontal line at
    zero and a black bar along its top edge per SPM cluster.

    Parameters
    ----------
    effect : polars.DataFrame
        :func:`analysis.models.waveform.effect_size_curve` output (muscle, pct, dz, ci_low,
        ci_high).
    clusters : polars.DataFrame, optional
        SPM clusters to shade (as in :func:`plot_ensemble`).
    cohort, muscles, ncols, cluster_test, width
        As in :func:`plot_ensemble`.

    Returns
    -------
    matplotlib.figure.Figure
        A :func:`~analysis.report.figures.empty.no_data_figure` when there are no curves.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> e = pl.DataFrame({"cohort": "A", "muscle": "VL", "pct": np.arange(101.0),
    ...     "dz": np.zeros(101), "ci_low": -np.ones(101), "ci_high": np.ones(101)})
    >>> fig = plot_effect_size(e)
    >>> len(fig.axes), len(fig.axes[0].get_lines())
    (1, 2)
    """
    effect = _one_cohort(effect, cohort, "effect")
    if "session" in effect.columns:
        effect = effect.filter(pl.col("session").is_null())
    muscle_list = _muscles(effect, muscles)
    if not muscle_list:
        return no_data_figure(
            "effect-size curves", "no muscle has included cycles in both directions"
        )
    clusters = _paired_clusters(clusters, cohort, cluster_test)
    ncol_eff = max(1, min(ncols, len(muscle_list)))
    with style():
        fig, axes = _grid(len(muscle_list), ncols, width)
        for i, (ax, muscle) in enumerate(zip(axes, muscle_list, strict=True)):
            g = effect.filter(pl.col("muscle") == muscle).sort("pct")
            x = g["pct"].to_numpy()
            ax.fill_between(
                x,
                g["ci_low"].to_numpy().astype(float),
                g["ci_high"].to_numpy().astype(float),
                color=NEUTRAL,
                alpha=BAND_ALPHA,
                lw=0,
            )
            ax.plot(x, g["dz"].to_numpy().astype(float), color=NEUTRAL)
            ax.axhline(0.0, color="black", lw=0.6)
            _shade_clusters(ax, clusters, muscle, strip=True)
            _panel(ax, i, muscle)
            ax.set_xlim(0, 100)
            ax.set_xticks([0, 25, 50, 75, 100])
            if i + ncol_eff >= len(muscle_list):
                ax.tick_params(labelbottom=True)
        fig.supxlabel("Gait cycle (%)", fontsize=8)
        # the comparison: backward - forward, or a declared factor's (the effect column)
        pair = _unique_str(effect, "effect") if "effect" in effect.columns else None
        pair = pair.replace(" - ", " − ") if pair else "backward − forward"
        fig.supylabel(f"d$_z$, {pair}\n(mean / SD of paired differences)", fontsize=8)
        n = n_text(effect["n_subjects"].to_list()) if "n_subjects" in effect.columns else None
        what = "Backward − forward walking" if pair == "backward − forward" else pair.capitalize()
        context = f"{what}, sessions pooled"
        context = f"{context}; {n} subjects" if n else context
        handles = [
            Patch(
                facecolor=to_rgba(NEUTRAL, BAND_ALPHA),
                edgecolor=NEUTRAL,
                lw=1.2,
                label="d$_z$ (mean line, pointwise 95% CI band)",
            ),
            *([Patch(color="black", lw=0, label="SPM cluster")] if clusters is not None else []),
        ]
        fig.legend(handles=handles, loc="outside upper center", ncols=2, title=context)
    return fig
