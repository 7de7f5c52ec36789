"""Model diagnostics: residual QQ, residuals vs fitted and random-effect QQ, one row per model.

Inputs are two small tidy frames produced from the fitted models:

- residuals: outcome, fitted, residual, optionally unit (one row per observation);
- random effects: outcome, group_level, effect, optionally term (e.g. ``"Intercept"``,
  ``"direction[T.backward]"``), one row per level of the grouping factor and term.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl
from matplotlib.figure import Figure
from scipy import stats

from analysis.report.figures.style import (
    DOUBLE_COLUMN_IN,
    GROUP_COLORS,
    NEUTRAL,
    new_figure,
    panel_letter,
    style,
    wrap_title,
)
from analysis.report.labels import FAMILY_NAMES, outcome_label

__all__ = ["qq_points", "plot_diagnostics"]

ROW_IN = 1.7
MODELS_ONE_PER_ROW = 6


def qq_points(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Normal QQ coordinates (Filliben plotting positions) and the least-squares line.

    Returns
    -------
    theoretical, ordered, slope, intercept

    Examples
    --------
    >>> import numpy as np
    >>> x, y, slope, intercept = qq_points(np.array([3.0, 1.0, 2.0]))
    >>> y.tolist(), round(float(x[1]), 6)
    ([1.0, 2.0, 3.0], 0.0)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    (osm, osr), (slope, intercept, _r) = stats.probplot(v, dist="norm", fit=True)
    return np.asarray(osm), np.asarray(osr), float(slope), float(intercept)


def plot_diagnostics(
    residuals: pl.DataFrame,
    random_effects: pl.DataFrame | None = None,
    *,
    outcomes: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    width: float = DOUBLE_COLUMN_IN,
    family: str | None = None,
    models_per_row: int | None = None,
) -> Figure:
    """Three diagnostic panels per model (outcome), side by side; one family per figure.

    Columns: residual normal QQ plot (points and reference line), residuals vs fitted
    (points and a zero line) and random-effect normal QQ plot (one point series per term and a
    reference line for each). The third column is left out when ``random_effects`` is None.

    Parameters
    ----------
    residuals : polars.DataFrame
        outcome, fitted, residual[, unit] (the unit labels the axes).
    random_effects : polars.DataFrame, optional
        outcome, group_level, effect[, term].
    outcomes : sequence of str, optional
        Models to draw and their order (default: order of appearance in ``residuals``).
    labels : mapping, optional
        Outcome code -> readable name.
    width : float
        Figure width in inches.
    family : str, optional
        Outcome family to draw (rows of the ``family`` column of both frames); the figure title
        names it. A family without residuals gives a figure saying so.
    models_per_row : int, optional
        Models side by side in one row of panels, each ``width`` wide; default one, two when
        there are more than ``MODELS_ONE_PER_ROW`` models, so that a family of many models
        stays about as wide as it is tall.

    Each row starts with a bold panel letter (A, B, ...) on its residual QQ panel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(0)
    >>> r = pl.DataFrame({"outcome": "BBS", "fitted": rng.normal(size=20),
    ...     "residual": rng.normal(size=20)})
    >>> u = pl.DataFrame({"outcome": "BBS", "group_level": list("abcdef"),
    ...     "effect": rng.normal(size=6)})
    >>> fig = plot_diagnostics(r, u)
    >>> len(fig.axes), len(fig.axes[0].collections[0].get_offsets())
    (3, 20)
    """
    if family is not None:
        residuals = _family_rows(residuals, family)
        random_effects = None if random_effects is None else _family_rows(random_effects, family)
        if residuals.height == 0:
            return _no_models(family, width)
    names = list(outcomes) if outcomes else residuals["outcome"].unique(maintain_order=True)
    names = list(names)
    if not names:
        raise ValueError("no model residuals to plot")
    ncols = 2 if random_effects is None else 3
    per_row = models_per_row or (1 if len(names) <= MODELS_ONE_PER_ROW else 2)
    n_rows = -(-len(names) // per_row)
    with style():
        fig = new_figure(width * per_row, ROW_IN * n_rows + 0.2 + (0.25 if family else 0))
        if family is not None:
            n_models = f"{len(names)} model{'' if len(names) == 1 else 's'}"
            fig.suptitle(f"Model diagnostics: {_family_name(family)} ({n_models})")
        grid = fig.subplots(n_rows, ncols * per_row, squeeze=False)
        # one model's panels side by side, models in reading order
        rows = [grid[i // per_row, (i % per_row) * ncols : (i % per_row + 1) * ncols]
                for i in range(n_rows * per_row)]  # fmt: skip
        for unused in rows[len(names) :]:
            for ax in unused:
                fig.delaxes(ax)
        for i, (row, outcome) in enumerate(zip(rows, names, strict=False)):
            panel_letter(row[0], i)
            res = residuals.filter(pl.col("outcome") == outcome)
            unit = "outcome units"
            if "unit" in res.columns and res["unit"].drop_nulls().len():
                unit = str(res["unit"].drop_nulls()[0])
            title = wrap_title(outcome_label(str(outcome), labels, full=True), 40)
            _qq(row[0], res["residual"].to_numpy(), NEUTRAL)
            row[0].set_title(f"{title}\nresidual QQ", fontsize=7)
            row[0].set_xlabel("Normal quantile")
            row[0].set_ylabel(f"Residual ({unit})")
            row[1].scatter(res["fitted"].to_numpy(), res["residual"].to_numpy(), s=6,
                           color=NEUTRAL, alpha=0.7, lw=0)  # fmt: skip
            row[1].axhline(0.0, color="black", lw=0.6)
            row[1].set_title("residuals vs fitted", fontsize=7)
            row[1].set_xlabel(f"Fitted value ({unit})")
            row[1].set_ylabel(f"Residual ({unit})")
            if random_effects is not None:
                _random_qq(row[2], random_effects.filter(pl.col("outcome") == outcome))
    return fig


def _family_name(family: str) -> str:
    return FAMILY_NAMES.get(family, family.replace("_", " ").capitalize())


def _family_rows(frame: pl.DataFrame, family: str) -> pl.DataFrame:
    if "family" not in frame.columns:
        raise ValueError(f"family={family!r} given but the table has no family column")
    return frame.filter(pl.col("family") == family)


def _no_models(family: str, width: float) -> Figure:
    with style():
        fig = new_figure(width, 1.2)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"No fitted models in the {_family_name(family)} family",
                ha="center", va="center", transform=ax.transAxes)  # fmt: skip
    return fig


def _qq(ax, values: np.ndarray, color: str, label: str | None = None) -> None:
    x, y, slope, intercept = qq_points(values)
    ax.scatter(x, y, s=6, color=color, lw=0, label=label)
    if x.size > 1:
        ax.plot(x[[0, -1]], intercept + slope * x[[0, -1]], color=color, lw=0.8)


def _random_qq(ax, ranef: pl.DataFrame) -> None:
    ax.set_title("random-effect QQ", fontsize=7)
    ax.set_xlabel("Normal quantile")
    ax.set_ylabel("Predicted random effect")
    if ranef.height == 0:
        ax.text(0.5, 0.5, "no random effects", ha="center", va="center", transform=ax.transAxes)
        return
    terms = ranef["term"].unique(maintain_order=True).to_list() if "term" in ranef else [None]
    for i, term in enumerate(terms):
        sub = ranef if term is None else ranef.filter(pl.col("term") == term)
        color = NEUTRAL if len(terms) == 1 else GROUP_COLORS[i % len(GROUP_COLORS)]
        _qq(ax, sub["effect"].to_numpy(), color, label=term)
    if len(terms) > 1:
        ax.legend(fontsize=6)
