"""Every outcome family of a study's outcome table, modelled as its settings say."""

from __future__ import annotations

from concurrent.futures import Executor

import polars as pl

from analysis.core.settings import ModelSettings
from analysis.models.analyse import analyse_outcomes
from analysis.models.pooling import POOLED, pooled_spec


def fit_study(
    outcomes: pl.DataFrame,
    models: ModelSettings,
    *,
    levels: dict[str, list[str]] | None = None,
    cohort_effect: str | None = None,
    workers: int | Executor = 1,
    log=None,
) -> dict[str, pl.DataFrame]:
    """Fit each outcome family with its configured formula and report the tidy tables.

    Parameters
    ----------
    outcomes : polars.DataFrame
        The outcome table of one cohort, or of pooled cohorts (docs/architecture.md).
    models : ModelSettings
        Formula per family, primary contrast, REML or ML, df method, alpha (CI level = 1 -
        alpha), multiplicity adjustment and families: the same object the methods text reads.
    levels : dict, optional
        Level order per factor (sessions chronological, groups).
    cohort_effect : {"fixed", "random"}, optional
        Pooled cohorts: how the cohort enters each model (:func:`pooled_spec`).
    workers : int or Executor
        Passed to :func:`analyse_outcomes`.
    log : file-like, optional
        Receives one line per family.

    Returns
    -------
    dict of polars.DataFrame
        The tables of :func:`analyse_outcomes`, stacked over families.
    """
    results: dict[str, list[pl.DataFrame]] = {}
    for (family,), part in outcomes.group_by("family", maintain_order=True):
        formula = models.formula_for(family)
        # pooled cohorts: the cohort term is added to the parsed model, not to the text
        spec = pooled_spec(formula, cohort_effect) if cohort_effect is not None else formula
        if log is not None:
            shown = spec if isinstance(spec, str) else spec.formula
            print(f"{family}: {part['outcome'].n_unique()} outcomes, {shown}", file=log)
        res = analyse_outcomes(
            part,
            spec,
            family_col=[c for c in models.multiplicity_family if c in part.columns],
            adjust=models.adjust,
            ddf=models.ddf,
            reml=models.reml,
            level=models.ci_level,
            levels=levels,
            primary=models.primary_for(family),
            workers=workers,
        )
        for k, v in res.items():
            if cohort_effect is not None and "cohort" in v.columns:
                v = v.with_columns(pl.lit(POOLED).alias("cohort"))
            results.setdefault(k, []).append(v)
    return {
        k: pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
        for k, parts in ((k, [p for p in v if p.height]) for k, v in results.items())
    }
