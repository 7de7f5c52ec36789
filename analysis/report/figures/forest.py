"""Forest plot of every contrast with its CI and adjusted p value, grouped by outcome family."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import polars as pl
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.textpath import text_to_path

from analysis.report.contrasts import Contrast, read_contrast
from analysis.report.figures.ensemble import _one_cohort
from analysis.report.figures.style import DOUBLE_COLUMN_IN, new_figure, style
from analysis.report.findings import adaptive_decimals
from analysis.report.labels import FAMILY_NAMES, format_p, outcome_label, outcome_sort_key

__all__ = ["forest_rows", "plot_forest", "text_columns"]

ROW_IN = 0.17
_KIND_RANK = {"main": 0, "simple": 1, "interaction": 2}


# markers are filled by the adjusted p, while the CIs drawn are unadjusted: both say so
_ADJ = "multiplicity-adjusted"


def _selected(
    c: pl.DataFrame, contrast_types: Sequence[str] | None, direction_only: bool
) -> list[tuple[dict, Contrast]]:
    out = []
    rows = [(r, read_contrast(r)) for r in c.iter_rows(named=True)]
    # a study without backward walking (e.g. a declared task factor only): its own contrasts
    direction_only = direction_only and any(info.is_direction for _, info in rows)
    for r, info in rows:
        if r.get("analysis") == "sensitivity":  # the primary analysis of each outcome only
            continue
        if contrast_types is not None and info.kind not in contrast_types:
            continue
        if direction_only and not info.is_direction:
            continue
        out.append((r, info))
    return out


def _condition(info: Contrast) -> str:
    if info.kind == "interaction":
        return f"{info.by_level} − {info.by_reference}"
    return ", ".join(f"{k} {v}" for k, v in info.condition)


def _is_ratio(r: Mapping) -> bool:
    """Whether a contrast is drawn as a ratio (odds or rate ratio, log axis)."""
    return r.get("ratio") is not None


def _linear_rows(contrasts: pl.DataFrame) -> pl.DataFrame:
    """The rows drawn on a linear axis: not ratios, not sensitivity analyses."""
    c = contrasts
    if "ratio" in c.columns:
        c = c.filter(pl.col("ratio").is_null())
    if "analysis" in c.columns:
        c = c.filter(pl.col("analysis").is_null() | (pl.col("analysis") != "sensitivity"))
    return c


def _measure(contrasts: pl.DataFrame, measure: str) -> tuple[str, str, str]:
    contrasts = _linear_rows(contrasts)
    if measure == "auto":
        has_es = "effect_size" in contrasts.columns and contrasts["effect_size"].null_count() == 0
        measure = "effect_size" if has_es and contrasts.height else "estimate"
    if measure == "effect_size":
        return "effect_size", "es_ci_low", "es_ci_high"
    if measure == "estimate":
        return "estimate", "ci_low", "ci_high"
    raise ValueError(f"measure must be 'auto', 'effect_size' or 'estimate', got {measure!r}")


def forest_rows(
    contrasts: pl.DataFrame,
    *,
    cohort: str | None = None,
    measure: Literal["auto", "effect_size", "estimate"] = "auto",
    families: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    contrast_types: Sequence[str] | None = ("main",),
    direction_only: bool = True,
) -> pl.DataFrame:
    """The rows of the forest plot, top to bottom: family headers and contrasts.

    Parameters are those of :func:`plot_forest`.

    Rows of the sensitivity analyses (``analysis``) are left out. Contrasts with an odds or
    rate ratio (``ratio``: ordinal and binomial models) give the ratio and its CI, with
    ``scale`` ``"ratio"`` (drawn on a log axis), the others ``"linear"``; ratio families come
    last.

    Returns
    -------
    polars.DataFrame
        kind (``"family"``/``"contrast"``), family, label, value, low, high (what is drawn),
        p_adj (``p`` when there is no adjusted p), scale, the difference in the outcome's own
        units (estimate, ci_low, ci_high, unit; empty for ratios), effect_size, y (0 at the
        bottom).

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"family": ["emg", "pain"], "outcome": ["VL_mean_cycle", "pain"],
    ...     "contrast": "backward - forward", "estimate": [1.0, -1.0], "ci_low": [0.5, -2.0],
    ...     "ci_high": [1.5, 0.1], "p_adj": [0.01, 0.2]})
    >>> forest_rows(c)["label"].to_list()
    ['EMG (backward − forward)', 'VL mean amplitude (gait cycle)', 'Pain (backward − forward)', 'pain']
    """  # noqa: E501
    c = _one_cohort(contrasts, cohort, "contrasts")
    value, low, high = _measure(c, measure)
    pcol = "p_adj" if "p_adj" in c.columns else "p"
    picked = _selected(c, contrast_types, direction_only)
    present = list(dict.fromkeys(r["family"] for r, _ in picked))
    fam_order = [f for f in families if f in present] if families else present
    ratio_fams = {r["family"] for r, _ in picked if _is_ratio(r)}
    fam_order = sorted(fam_order, key=lambda f: f in ratio_fams)
    rows: list[dict] = []
    for fam in fam_order:
        records = sorted(
            ((r, i) for r, i in picked if r["family"] == fam),
            key=lambda ri: (
                outcome_sort_key(str(ri[0]["outcome"])),
                _KIND_RANK.get(ri[1].kind, 3),
                _condition(ri[1]),
                ri[1].pair,
            ),
        )
        pairs = sorted({i.pair for _, i in records})
        name = FAMILY_NAMES.get(str(fam), str(fam).capitalize())
        header = f"{name} ({pairs[0]})" if len(pairs) == 1 else name
        rows.append({"kind": "family", "family": fam, "label": header})
        for r, info in records:
            label = outcome_label(str(r["outcome"]), labels)
            extra = [_condition(info)] + ([info.pair] if len(pairs) > 1 else [])
            extra = [e for e in extra if e]
            if extra:
                label += f" ({'; '.join(extra)})"
            ratio = _is_ratio(r)
            rows.append(
                {
                    "kind": "contrast",
                    "family": fam,
                    "label": label,
                    "value": r["ratio"] if ratio else r[value],
                    "low": r.get("ratio_ci_low") if ratio else r.get(low),
                    "high": r.get("ratio_ci_high") if ratio else r.get(high),
                    "p_adj": r.get(pcol),
                    "scale": "ratio" if ratio else "linear",
                    "estimate": None if ratio else r.get("estimate"),
                    "ci_low": None if ratio else r.get("ci_low"),
                    "ci_high": None if ratio else r.get("ci_high"),
                    "unit": None if ratio else r.get("unit"),
                    "effect_size": None if ratio else r.get("effect_size"),
                }
            )
    schema = {
        "kind": pl.String,
        "family": pl.String,
        "label": pl.String,
        "value": pl.Float64,
        "low": pl.Float64,
        "high": pl.Float64,
        "p_adj": pl.Float64,
        "scale": pl.String,
        "estimate": pl.Float64,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
        "unit": pl.String,
        "effect_size": pl.Float64,
    }
    out = pl.DataFrame(rows, schema=schema)
    # a family header takes the scale of its contrasts
    out = out.with_columns(pl.col("scale").backward_fill().over("family").fill_null("linear"))
    return out.with_columns(y=(pl.len() - 1 - pl.int_range(pl.len())).cast(pl.Int64))


def plot_forest(
    contrasts: pl.DataFrame,
    *,
    cohort: str | None = None,
    measure: Literal["auto", "effect_size", "estimate"] = "auto",
    alpha: float = 0.05,
    families: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    contrast_types: Sequence[str] | None = ("main",),
    direction_only: bool = True,
    width: float = DOUBLE_COLUMN_IN,
) -> Figure:
    """Forest plot of all contrasts: point estimate and 95% CI per row, grouped by family.

    Filled markers have an adjusted p below ``alpha``, open markers do not; the CIs drawn are
    unadjusted, and the legend says so. Outcomes of different units share one axis through
    their standardised differences, so the right-hand columns give each difference first in
    the outcome's own units with its 95% CI, then the standardised difference and the adjusted
    p (:func:`text_columns`). The main axes holds one scatter per marker style
    (PathCollection, one point per contrast), one LineCollection of CI segments, a vertical
    reference line at zero and the columns as annotations.

    Parameters
    ----------
    contrasts : polars.DataFrame
        The contrast table (family, outcome, estimate, ci_low, ci_high, p_adj, effect_size,
        es_ci_low, es_ci_high; contrast_type and the level columns when present, see
        :func:`analysis.report.contrasts.read_contrast`).
    cohort : str, optional
        Cohort to draw when the table holds several.
    measure : {"auto", "effect_size", "estimate"}
        Standardised effect sizes (comparable across outcomes) or raw estimates; ``auto``
        uses effect sizes when every row has one.
    alpha : float
        Threshold of the adjusted p for filled markers.
    families : sequence of str, optional
        Families and their order (default: order of appearance).
    labels : mapping, optional
        Outcome code -> readable label.
    contrast_types : sequence of str, optional
        Kinds of contrast drawn (``main``, ``simple``, ``interaction``, see
        :func:`analysis.report.contrasts.read_contrast`); default the main contrast of every
        outcome, ``None`` for all.
    direction_only : bool
        Only backward − forward contrasts (and their interactions); ``False`` adds contrasts
        between sessions or groups.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"family": ["emg", "emg"], "outcome": ["VL_mean_cycle", "TA_mean_cycle"],
    ...     "estimate": [1.0, -0.2], "ci_low": [0.5, -0.6], "ci_high": [1.5, 0.2],
    ...     "p_adj": [0.01, 0.3]})
    >>> from matplotlib.collections import PathCollection
    >>> fig = plot_forest(c)
    >>> [len(p.get_offsets()) for p in fig.axes[0].collections if isinstance(p, PathCollection)]
    [1, 1]
    """
    rows = forest_rows(
        contrasts,
        cohort=cohort,
        measure=measure,
        families=families,
        labels=labels,
        contrast_types=contrast_types,
        direction_only=direction_only,
    )
    one = _one_cohort(contrasts, cohort, "contrasts")
    value_col = _measure(one, measure)[0]
    p_name = "adj. p" if "p_adj" in one.columns else "p"
    if rows.filter(pl.col("kind") == "contrast").height == 0:
        raise ValueError("no contrasts to plot")
    # one panel per scale: differences or effect sizes (linear axis), odds or rate ratios (log)
    panels = [rows.filter(pl.col("scale") == sc) for sc in ("linear", "ratio")]
    panels = [
        pr.with_columns(y=pl.len() - 1 - pl.int_range(pl.len())) for pr in panels if pr.height
    ]
    with style():
        fig = new_figure(width, ROW_IN * rows.height + 0.75 + 0.45 * (len(panels) - 1))
        grid = fig.add_gridspec(len(panels), 1, height_ratios=[pr.height for pr in panels])
        for i, pr in enumerate(panels):
            ratio = pr["scale"][0] == "ratio"
            if ratio:
                xlabel = "Odds ratio (unadjusted 95% CI), log scale"
            elif value_col == "effect_size":
                xlabel = "Standardised difference: difference / SD (unadjusted 95% CI)"
            else:
                xlabel = "Difference (unadjusted 95% CI), outcome units"
            ax = fig.add_subplot(grid[i])
            _panel(ax, pr, alpha, ratio, xlabel, p_name)
            if i == 0:
                ax.legend(
                    handles=[
                        Line2D(
                            [],
                            [],
                            ls="",
                            marker="o",
                            color="black",
                            label=f"{_ADJ} p < {alpha:g}",
                        ),
                        Line2D(
                            [],
                            [],
                            ls="",
                            marker="o",
                            markerfacecolor="white",
                            markeredgecolor="black",
                            label=f"{_ADJ} p ≥ {alpha:g} (a CI may exclude 0)",
                        ),
                    ],
                    loc="lower center",
                    bbox_to_anchor=(0.5, 1.0),
                    ncols=2,
                )
    return fig


def _fmt(x: float, decimals: int) -> str:
    return "" if not np.isfinite(x) else f"{x:.{decimals}f}".replace("-", "−")


def _interval(est: float, lo: float, hi: float, decimals: int) -> str:
    if not np.isfinite(est):
        return ""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return _fmt(est, decimals)
    return f"{_fmt(est, decimals)} [{_fmt(lo, decimals)}, {_fmt(hi, decimals)}]"


def text_columns(
    rows: pl.DataFrame, *, ratio: bool, p_name: str = "adj. p"
) -> list[tuple[str, str, list[str]]]:
    """The right-hand columns of a forest panel: (header, alignment, one cell per contrast).

    The difference comes first in the outcome's own units, with as many decimals as give its
    standard error (from the CI) two significant digits; the standardised effect follows.

    Examples
    --------
    >>> import polars as pl
    >>> r = pl.DataFrame({"kind": ["contrast"], "value": [-1.3], "low": [-1.8], "high": [-0.8],
    ...     "p_adj": [0.0002], "estimate": [-0.0417], "ci_low": [-0.0441], "ci_high": [-0.0393],
    ...     "unit": ["s"], "effect_size": [-1.3]})
    >>> [(h, cells[0]) for h, _, cells in text_columns(r, ratio=False)]
    [('Difference [95% CI]', '−0.0417 [−0.0441, −0.0393]'), ('', 's'), ('Std.', '−1.30'), ('adj. p', '< .001')]
    """  # noqa: E501
    pts = rows.filter(pl.col("kind") == "contrast")
    p = [format_p(q) for q in pts["p_adj"].cast(pl.Float64).to_list()]
    if ratio:
        cells = [
            _interval(*(float("nan") if x is None else x for x in t), 2)
            for t in pts.select("value", "low", "high").iter_rows()
        ]
        return [("Odds ratio [95% CI]", "right", cells), (p_name, "right", p)]
    diffs, units, std = [], [], []
    for r in pts.iter_rows(named=True):
        est, lo, hi = (float("nan") if r[k] is None else float(r[k]) for k in _OWN_UNITS)
        if not np.isfinite(est):  # an outcome drawn from its raw estimate only
            est, lo, hi = (float("nan") if r[k] is None else float(r[k]) for k in _DRAWN)
        width = (hi - lo) / 3.92 if np.isfinite(lo) and np.isfinite(hi) else None
        diffs.append(_interval(est, lo, hi, adaptive_decimals(width, maximum=4)))
        units.append(r.get("unit") or "")
        es = r.get("effect_size")
        std.append("" if es is None else _fmt(float(es), 2))
    columns = [("Difference [95% CI]", "right", diffs), ("", "left", units)]
    if any(std):
        columns.append(("Std.", "right", std))
    return [*columns, (p_name, "right", p)]


_OWN_UNITS = ("estimate", "ci_low", "ci_high")
_DRAWN = ("value", "low", "high")
_GAP_PT = 7.0


def _draw_columns(ax, rows: pl.DataFrame, columns, fontsize: float) -> None:
    """Text columns to the right of the axes, each as wide as its widest cell."""
    pts = rows.filter(pl.col("kind") == "contrast")
    y = pts["y"].to_list()
    head_y = rows["y"].max()
    regular = FontProperties(size=fontsize)
    bold = FontProperties(size=fontsize, weight="bold")
    x = _GAP_PT
    for header, align, cells in columns:
        widths = [text_to_path.get_text_width_height_descent(c, regular, False)[0] for c in cells]
        width = max([*widths, text_to_path.get_text_width_height_descent(header, bold, False)[0]])
        at = x + width if align == "right" else x
        for text, yy, font in [
            *zip(cells, y, [regular] * len(y), strict=True),
            (header, head_y, bold),
        ]:
            if text:
                ax.annotate(
                    text,
                    xy=(1.0, yy),
                    xycoords=("axes fraction", "data"),
                    xytext=(at, 0.0),
                    textcoords="offset points",
                    ha=align,
                    va="center",
                    fontproperties=font,
                    annotation_clip=False,
                )
        x += width + _GAP_PT


def _panel(ax, rows: pl.DataFrame, alpha: float, ratio: bool, xlabel: str, p_name: str) -> None:
    """One panel of the forest plot: the rows of one scale, a log axis for ratios."""
    pts = rows.filter(pl.col("kind") == "contrast")
    y = pts["y"].to_numpy()
    v = pts["value"].to_numpy().astype(float)
    lo = pts["low"].to_numpy().astype(float)
    hi = pts["high"].to_numpy().astype(float)
    p = pts["p_adj"].to_numpy().astype(float)
    sig = np.nan_to_num(p, nan=1.0) < alpha
    ok = np.isfinite(lo) & np.isfinite(hi)
    ax.hlines(y[ok], lo[ok], hi[ok], color="black", lw=0.9)
    ax.scatter(v[sig], y[sig], marker="o", s=16, color="black", zorder=3)
    ax.scatter(v[~sig], y[~sig], marker="o", s=16, facecolor="white", edgecolor="black", zorder=3)
    if ratio:
        ax.set_xscale("log")
    ax.axvline(1.0 if ratio else 0.0, color="#888888", lw=0.6, ls=":")
    ax.set_yticks(rows["y"].to_list(), rows["label"].to_list())
    for tick, kind in zip(ax.get_yticklabels(), rows["kind"].to_list(), strict=True):
        if kind == "family":
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.7, rows.height - 0.3)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    _draw_columns(ax, rows, text_columns(rows, ratio=ratio, p_name=p_name), fontsize=6.5)
    ax.set_xlabel(xlabel)
