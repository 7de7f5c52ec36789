"""Quality-control overview: what was flagged and what was left out, per subject and muscle.

A QC row (docs/architecture.md) concerns a whole trial (muscle and cycle null), one muscle of a
trial (cycle null), one cycle of every muscle (muscle null) or one cycle of one muscle. Counts
are of distinct such items, so a cycle flagged for two reasons counts once per subject x muscle.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from analysis.report.figures.ensemble import _one_cohort
from analysis.report.figures.style import (
    CLUSTER_SHADE,
    DOUBLE_COLUMN_IN,
    NEUTRAL,
    new_figure,
    panel_letter,
    style,
    wrap_title,
)
from analysis.report.labels import muscle_sort_key

__all__ = [
    "ALL_MUSCLES",
    "QC_CATEGORIES",
    "CATEGORY_ORDER",
    "qc_category",
    "qc_summary",
    "qc_reasons",
    "qc_categories",
    "plot_qc",
]

ALL_MUSCLES = "all muscles"
OTHER = "Other"
# QC flag (analysis.emg.qc, analysis.emg.gait, analysis.emg.pipeline) -> reported category
QC_CATEGORIES: dict[str, str] = {
    "all_nan": "Flat or empty signal",
    "flat": "Flat or empty signal",
    "clipping": "Clipping",
    "mains": "Mains interference",
    "ecg": "ECG contamination",
    "gap": "Missing samples (gaps)",
    "stride_time": "Cycle duration",
    "stance_time": "Cycle duration",
    "cycle_duration": "Cycle duration",
    "no_cycles": "Gait events",
    "event_order": "Gait events",
    "opposite_events": "Gait events",
    "outside_recording": "Gait events",
}
CATEGORY_ORDER: tuple[str, ...] = (*dict.fromkeys(QC_CATEGORIES.values()), OTHER)
MAX_TICK_LABELS = 40
MAX_ANNOTATED_CELLS = 400
_ITEM = ["session", "direction", "trial", "muscle", "cycle"]


def _items(qc: pl.DataFrame) -> pl.DataFrame:
    cols = [c for c in _ITEM if c in qc.columns]
    return qc.with_columns(
        pl.col("muscle").fill_null(ALL_MUSCLES),
        level=pl.when(pl.col("cycle").is_null()).then(pl.lit("trial")).otherwise(pl.lit("cycle")),
        item=pl.concat_str([pl.col(c).cast(pl.String).fill_null("-") for c in cols], separator="|"),
    )


def qc_summary(qc: pl.DataFrame, *, cohort: str | None = None) -> pl.DataFrame:
    """Flagged and excluded items per subject and muscle.

    Parameters
    ----------
    qc : polars.DataFrame
        The QC table (cohort, subject, session, direction, trial, muscle, cycle, flag, reason,
        excluded).
    cohort : str, optional
        Cohort to use when the table holds several.

    Returns
    -------
    polars.DataFrame
        subject, muscle (``"all muscles"`` for flags on every muscle), n_flagged, n_excluded,
        n_trials_excluded (whole trials, or one muscle over a whole trial), n_cycles_excluded.

    Examples
    --------
    >>> import polars as pl
    >>> q = pl.DataFrame({"cohort": "A", "subject": "s1", "session": "T0",
    ...     "direction": "forward", "trial": 1, "muscle": ["VL", "VL", None],
    ...     "cycle": [2, 2, None], "flag": ["a", "b", "c"], "reason": ["x", "y", "z"],
    ...     "excluded": [True, True, False]})
    >>> qc_summary(q).select("muscle", "n_flagged", "n_excluded").rows()
    [('VL', 1, 1), ('all muscles', 1, 0)]
    """
    q = _items(_one_cohort(qc, cohort, "qc"))
    out = q.group_by("subject", "muscle").agg(
        pl.col("item").n_unique().cast(pl.Int64).alias("n_flagged"),
        pl.col("item").filter(pl.col("excluded")).n_unique().cast(pl.Int64).alias("n_excluded"),
        pl.col("item")
        .filter(pl.col("excluded") & (pl.col("level") == "trial"))
        .n_unique()
        .cast(pl.Int64)
        .alias("n_trials_excluded"),
        pl.col("item")
        .filter(pl.col("excluded") & (pl.col("level") == "cycle"))
        .n_unique()
        .cast(pl.Int64)
        .alias("n_cycles_excluded"),
    )
    return out.sort(
        "subject", pl.col("muscle").map_elements(_muscle_rank, return_dtype=pl.Int64), "muscle"
    )


def _muscle_rank(m: str) -> int:
    return 10_000 if m == ALL_MUSCLES else muscle_sort_key(m)[0]


def qc_reasons(qc: pl.DataFrame, *, cohort: str | None = None) -> pl.DataFrame:
    """Flagged and excluded items per reason, most frequent first.

    Examples
    --------
    >>> import polars as pl
    >>> q = pl.DataFrame({"cohort": "A", "subject": ["s1", "s2"], "session": "T0",
    ...     "direction": "forward", "trial": 1, "muscle": "VL", "cycle": None,
    ...     "flag": "flat", "reason": "flat signal", "excluded": [True, False]})
    >>> qc_reasons(q).rows()
    [('flat signal', 2, 1)]
    """
    q = _items(_one_cohort(qc, cohort, "qc")).with_columns(
        item=pl.col("subject") + "|" + pl.col("item")
    )
    col = "reason" if "reason" in q.columns else "flag"
    out = q.group_by(col).agg(
        pl.col("item").n_unique().cast(pl.Int64).alias("n_flagged"),
        pl.col("item").filter(pl.col("excluded")).n_unique().cast(pl.Int64).alias("n_excluded"),
    )
    return out.rename({col: "reason"}).sort(["n_flagged", "reason"], descending=[True, False])


def qc_category(flag: str | None) -> str:
    """Reported category of a QC flag (unknown flags: ``"Other"``).

    Examples
    --------
    >>> qc_category("mains"), qc_category("stride_time"), qc_category("new_check")
    ('Mains interference', 'Cycle duration', 'Other')
    """
    return QC_CATEGORIES.get(flag or "", OTHER)


def qc_categories(qc: pl.DataFrame, *, cohort: str | None = None) -> pl.DataFrame:
    """Flagged and excluded items per category of the ``flag`` column, in CATEGORY_ORDER.

    Examples
    --------
    >>> import polars as pl
    >>> q = pl.DataFrame({"cohort": "A", "subject": ["s1", "s2", "s3"], "session": "T0",
    ...     "direction": "forward", "trial": 1, "muscle": "VL", "cycle": None,
    ...     "flag": ["flat", "all_nan", "odd"], "reason": ["a", "b", "c"],
    ...     "excluded": [True, False, False]})
    >>> qc_categories(q).rows()
    [('Flat or empty signal', 2, 1), ('Other', 1, 0)]
    """
    q = _items(_one_cohort(qc, cohort, "qc")).with_columns(
        item=pl.col("subject") + "|" + pl.col("item"),
        category=pl.col("flag").map_elements(qc_category, return_dtype=pl.String),
    )
    out = q.group_by("category").agg(
        pl.col("item").n_unique().cast(pl.Int64).alias("n_flagged"),
        pl.col("item").filter(pl.col("excluded")).n_unique().cast(pl.Int64).alias("n_excluded"),
    )
    rank = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    return out.sort(pl.col("category").replace_strict(rank, default=len(rank)))


def _thin_ticks(ax, axis: str, labels: Sequence[str]) -> None:
    """At most MAX_TICK_LABELS labels on a heatmap axis (every k-th cell)."""
    step = max(1, -(-len(labels) // MAX_TICK_LABELS))
    pos = np.arange(0, len(labels), step)
    texts = [labels[i] for i in pos]
    if axis == "y":
        ax.set_yticks(pos + 0.5, texts, rotation=0)
    else:
        ax.set_xticks(pos + 0.5, texts, rotation=0)


def plot_qc(
    qc: pl.DataFrame,
    *,
    cohort: str | None = None,
    subjects: Sequence[str] | None = None,
    muscles: Sequence[str] | None = None,
    width: float = DOUBLE_COLUMN_IN,
) -> Figure:
    """Heatmap of excluded items per subject x muscle, and flagged/excluded counts per reason.

    The first axes is the heatmap (one QuadMesh whose array holds ``n_excluded`` of
    :func:`qc_summary`, rows subjects, columns muscles then ``"all muscles"``; each cell is
    annotated with its count up to MAX_ANNOTATED_CELLS cells; at most MAX_TICK_LABELS subject
    labels); the second axes holds two horizontal bar containers, flagged and excluded, with one
    bar per category of the QC ``flag`` (:func:`qc_categories`). The legend sits above the
    figure, outside the axes.

    Parameters
    ----------
    qc : polars.DataFrame
        The QC table.
    cohort : str, optional
        Cohort to draw when the table holds several.
    subjects : sequence of str, optional
        Rows of the heatmap (e.g. every participant, so clean subjects show zeros); default the
        subjects with a flag.
    muscles : sequence of str, optional
        Columns of the heatmap (e.g. every recorded muscle); default the flagged muscles.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import polars as pl
    >>> q = pl.DataFrame({"cohort": "A", "subject": ["s1", "s2"], "session": "T0",
    ...     "direction": "forward", "trial": 1, "muscle": ["VL", "TA"], "cycle": None,
    ...     "flag": "flat", "reason": "flat signal", "excluded": [True, False]})
    >>> fig = plot_qc(q, subjects=["s1", "s2", "s3"])
    >>> fig.axes[0].collections[0].get_array().reshape(3, -1).tolist()
    [[1, 0, 0], [0, 0, 0], [0, 0, 0]]
    """
    summary = qc_summary(qc, cohort=cohort)
    reasons = qc_categories(qc, cohort=cohort)
    subj = list(subjects) if subjects is not None else sorted(set(summary["subject"]))
    flagged = set(summary["muscle"].to_list()) - {ALL_MUSCLES}
    extra = sorted(flagged - set(muscles or []), key=muscle_sort_key)
    cols = [*(muscles or []), *extra]
    cols = [*cols, ALL_MUSCLES]
    counts = np.zeros((len(subj), len(cols)), dtype=int)
    index = {s: i for i, s in enumerate(subj)}
    cindex = {m: j for j, m in enumerate(cols)}
    for s, m, n in summary.select("subject", "muscle", "n_excluded").iter_rows():
        if s in index and m in cindex:
            counts[index[s], cindex[m]] = n
    with style():
        shown = min(len(subj), MAX_TICK_LABELS)
        height = max(2.4, 0.16 * shown + 1.4)
        fig = new_figure(width, height)
        ax_map, ax_bar = fig.subplots(1, 2, width_ratios=[max(len(cols), 3), 4])
        if subj:
            sns.heatmap(
                counts,
                ax=ax_map,
                annot=counts.size <= MAX_ANNOTATED_CELLS,
                fmt="d",
                cmap="Greys",
                vmin=0,
                vmax=max(1, int(counts.max())),
                cbar=False,
                linewidths=0.4 if len(subj) <= MAX_TICK_LABELS else 0,
                linecolor="white",
                xticklabels=[c.replace(" ", "\n") for c in cols],
                yticklabels=False,
                annot_kws={"fontsize": 6},
            )
            _thin_ticks(ax_map, "y", subj)
            ax_map.tick_params(axis="x", rotation=0, length=0)
            ax_map.tick_params(axis="y", rotation=0, length=0)
        else:
            ax_map.text(0.5, 0.5, "no subjects", ha="center", va="center")
        panel_letter(ax_map, 0)
        ax_map.set_title("Excluded trials and cycles", fontsize=8)
        ax_map.set_xlabel("Muscle")
        ax_map.set_ylabel(f"Subject (n = {len(subj)})")
        y = np.arange(reasons.height)
        ax_bar.barh(y - 0.2, reasons["n_flagged"].to_numpy(), height=0.4, color=CLUSTER_SHADE,
                    label="flagged")  # fmt: skip
        ax_bar.barh(y + 0.2, reasons["n_excluded"].to_numpy(), height=0.4, color=NEUTRAL,
                    label="excluded")  # fmt: skip
        ax_bar.set_yticks(y, [wrap_title(c, 18) for c in reasons["category"].to_list()])
        ax_bar.set_ylim(reasons.height - 0.5, -0.5) if reasons.height else None
        ax_bar.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        ax_bar.set_xlabel("Flagged items\n(trials, channels or cycles)")
        panel_letter(ax_bar, 1)
        ax_bar.set_title("Flags by category", fontsize=8)
        if reasons.height:
            fig.legend(*ax_bar.get_legend_handles_labels(), loc="outside upper right", ncols=2)
        else:
            ax_bar.text(0.5, 0.5, "no QC flags", ha="center", va="center",
                        transform=ax_bar.transAxes)  # fmt: skip
    return fig
