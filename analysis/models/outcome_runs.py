"""One model per outcome: the grouping, the rows that name each fit, and the stacked tables.

Shared by the linear (:func:`analysis.models.analyse.analyse_outcomes`) and the generalised
(:func:`analysis.models.analyse_generalised.analyse_generalised`) analyses, so that both group
outcomes, label their rows and adjust their p-values the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass

import polars as pl

from analysis.models.formula import ModelSpec
from analysis.models.multiplicity import adjust_pvalues
from analysis.models.pooling import POOLED
from analysis.models.reported import DESCRIPTORS
from analysis.models.workers import _map_outcomes

TABLES = (
    "contrasts",
    "emmeans",
    "anova",
    "variance",
    "crosscheck",
    "residuals",
    "random_effects",
    "models",
)
"""The tables of an analysis, in the order they are returned."""


@dataclass(frozen=True)
class OutcomeGrouping:
    """How a long outcome table splits into models, and the columns that label each.

    ``model_keys``: one model per combination (cohort, family, outcome; a column the formula
    uses, ``cohort`` in a pooled model, varies within one model); ``families``: the multiplicity
    family columns present; ``extra``: those not among the keys; ``descriptors``: muscle,
    feature, phase, side... carried onto every row.
    """

    model_keys: tuple[str, ...]
    families: tuple[str, ...]
    extra: tuple[str, ...]
    descriptors: tuple[str, ...]


def outcome_grouping(
    outcomes: pl.DataFrame,
    spec: ModelSpec,
    family_col: str | list[str] = "family",
    outcome_col: str = "outcome",
) -> OutcomeGrouping:
    """The :class:`OutcomeGrouping` of ``outcomes`` modelled by ``spec``.

    Examples
    --------
    >>> from analysis.models.formula import parse_formula
    >>> df = pl.DataFrame({"cohort": "a", "family": "emg", "outcome": "VL", "feature": "mean"})
    >>> g = outcome_grouping(df, parse_formula("value ~ direction + (1 | subject)"),
    ...                      ["family", "feature"])
    >>> g.model_keys, g.extra
    (('cohort', 'family', 'outcome'), ('feature',))
    """
    families = [family_col] if isinstance(family_col, str) else list(family_col)
    families = [c for c in dict.fromkeys(families) if c in outcomes.columns]
    model_keys = [
        c
        for c in ("cohort", "family", outcome_col)
        if c in outcomes.columns and (c == outcome_col or c not in spec.variables)
    ]
    extra = [c for c in families if c not in model_keys]
    descriptors = [
        c for c in DESCRIPTORS if c in outcomes.columns and c not in (*extra, *model_keys)
    ]
    return OutcomeGrouping(tuple(model_keys), tuple(families), tuple(extra), tuple(descriptors))


def single_value(part: pl.DataFrame, col: str):
    """The one non-null value of ``col`` in ``part``, or None when it has none or several."""
    vals = part[col].drop_nulls().unique(maintain_order=True)
    return vals[0] if vals.len() == 1 else None


def outcome_meta(key: tuple, part: pl.DataFrame, grouping: OutcomeGrouping) -> dict:
    """The labels of one outcome's model: its keys, family columns, descriptors and unit."""
    meta = dict(zip(grouping.model_keys, key, strict=True))
    if "cohort" in part.columns and "cohort" not in meta:
        meta = {"cohort": single_value(part, "cohort") or POOLED, **meta}
    for c in (*grouping.extra, *grouping.descriptors):
        meta[c] = single_value(part, c)
    if "unit" in part.columns:
        units = part["unit"].drop_nulls()
        meta["unit"] = units.first() if units.len() else None
    return meta


def model_row(
    meta: dict,
    spec: ModelSpec,
    notes: list[str],
    *,
    ddf_method: str,
    estimation: str | None,
    level: float,
    adapted: ModelSpec | None = None,
    **extra,
) -> dict:
    """The ``models`` row of one outcome before its fit: what was asked, with no result yet.

    ``formula_adapted`` is ``adapted`` (:func:`analysis.models.adapt.adapt_spec`: the request
    without the terms these data cannot support), else the request; ``extra`` columns (e.g.
    ``observation``) stand after ``notes``.
    """
    return {
        **meta,
        "formula_requested": spec.formula,
        "formula_adapted": (adapted or spec).formula,
        "formula_used": None,
        "n_subjects": None,
        "n_obs": None,
        "n_dropped": None,
        "singular": None,
        "ddf_method": ddf_method,
        "estimation": estimation,
        "ci_level": level,
        "notes": "; ".join(notes),
        **extra,
        "error": None,
    }


def tagger(info: dict) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """A function that prefixes a result table with the model row ``info`` (error left out)."""
    tag = pl.DataFrame([info]).drop("error")

    def with_meta(df: pl.DataFrame) -> pl.DataFrame:
        if not df.height:
            return df
        return tag.join(df.drop([c for c in df.columns if c in tag.columns]), how="cross")

    return with_meta


def run_outcomes(
    fit_one: Callable[[tuple[tuple, pl.DataFrame]], dict[str, pl.DataFrame]],
    outcomes: pl.DataFrame,
    grouping: OutcomeGrouping,
    *,
    adjust: str,
    workers: int | Executor,
) -> dict[str, pl.DataFrame]:
    """Fit every outcome with ``fit_one``, stack each table and adjust p within families."""
    frames: dict[str, list[pl.DataFrame]] = {k: [] for k in TABLES}
    parts: Iterable = outcomes.group_by(list(grouping.model_keys), maintain_order=True)
    for tables in _map_outcomes(fit_one, parts, workers):
        for k, v in tables.items():
            frames[k].append(v)
    out = {
        k: pl.concat([f for f in v if f.height], how="diagonal_relaxed")
        if any(f.height for f in v)
        else pl.DataFrame()
        for k, v in frames.items()
    }
    if out["contrasts"].height:
        out["contrasts"] = adjust_within_families(
            out["contrasts"], ["cohort", *grouping.families], adjust
        )
    return out


def adjust_within_families(
    contrasts: pl.DataFrame, family_cols: list[str], method: str = "holm"
) -> pl.DataFrame:
    """Add ``p_adj``: ``p`` adjusted across the rows of each family and contrast label.

    Rows form a family when they agree on every column of ``family_cols`` present (null equals
    null, differs from any value) and on ``contrast``; ``adjust`` names the method.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"family": ["emg", "emg", "balance"], "feature": ["mean", "mean", None],
    ...                   "contrast": "b - f", "p": [0.01, 0.04, 0.03]})
    >>> adjust_within_families(c, ["family", "feature"])["p_adj"].to_list()
    [0.02, 0.04, 0.03]
    """
    fam = [c for c in dict.fromkeys(family_cols) if c in contrasts.columns]
    con = contrasts.with_row_index("_row")
    adj = []
    for _, grp in con.group_by([*fam, "contrast"], maintain_order=True):
        adj.append(grp.select("_row", p_adj=pl.Series(adjust_pvalues(grp["p"].to_numpy(), method))))
    con = con.join(pl.concat(adj), on="_row").sort("_row").drop("_row")
    return con.with_columns(adjust=pl.lit(method))
