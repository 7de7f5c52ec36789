"""Every outcome family of a study's outcome table, modelled as its settings say."""

from __future__ import annotations

from concurrent.futures import Executor

import polars as pl

from analysis.core.settings import ModelSettings
from analysis.models.analyse import analyse_outcomes
from analysis.models.analyse_generalised import analyse_generalised, gaussian_misuse
from analysis.models.generalised import MODEL_NAMES
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
    """Fit each outcome family with its configured formula and model family; tidy tables.

    Each outcome family is fitted with the model its settings declare
    (:meth:`ModelSettings.family_for`): the linear mixed model (``gaussian``), or the
    cumulative-link (``ordinal``) or generalised (``binomial``, ``poisson``) mixed model of
    :func:`analysis.models.analyse_generalised.analyse_generalised`, then, when
    ``models.gaussian_sensitivity``, also the linear mixed model as a sensitivity analysis. Every
    row says which: ``analysis`` (``primary`` or ``sensitivity``), ``model_family`` and ``model``.
    A Gaussian primary model of data that are binary or take few integer levels is kept, with
    the reason in a ``warning`` column (and in ``models.notes``).

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
        Receives one line per family and model.

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
        model_family = models.family_for(family)
        runs = [(model_family, "primary")]
        if model_family != "gaussian" and models.gaussian_sensitivity:
            runs.append(("gaussian", "sensitivity"))
        for kind, analysis in runs:
            if log is not None:
                shown = spec if isinstance(spec, str) else spec.formula
                print(
                    f"{family}: {part['outcome'].n_unique()} outcomes, {shown} "
                    f"({MODEL_NAMES[kind]}, {analysis})",
                    file=log,
                )
            res = _fit_family(part, spec, kind, models, family, levels, workers)
            if log is not None:
                for outcome, why in not_fitted(res.get("models", pl.DataFrame())):
                    print(f"  {outcome}: not fitted: {why}", file=log)
            warnings = _misuse(part) if kind == "gaussian" and analysis == "primary" else {}
            for k, v in res.items():
                if not v.height:
                    continue
                if cohort_effect is not None and "cohort" in v.columns:
                    v = v.with_columns(pl.lit(POOLED).alias("cohort"))
                v = v.with_columns(
                    analysis=pl.lit(analysis),
                    model_family=pl.lit(kind),
                    model=pl.lit(MODEL_NAMES[kind]),
                )
                if k in ("contrasts", "models") and "outcome" in v.columns:
                    v = _with_warning(v, warnings)
                results.setdefault(k, []).append(v)
    return {
        k: pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
        for k, parts in ((k, [p for p in v if p.height]) for k, v in results.items())
    }


def not_fitted(fits: pl.DataFrame) -> list[tuple[str, str]]:
    """(outcome, reason) of each fit in a models table that failed.

    Examples
    --------
    >>> fits = pl.DataFrame({"outcome": ["a", "b"], "error": [None, "no finite estimates"]})
    >>> not_fitted(fits)
    [('b', 'no finite estimates')]
    """
    if not fits.height or "error" not in fits.columns:
        return []
    failed = fits.filter(pl.col("error").is_not_null())
    return list(zip(failed["outcome"].cast(pl.String), failed["error"], strict=True))


def _fit_family(
    part: pl.DataFrame,
    spec,
    kind: str,
    models: ModelSettings,
    family: str,
    levels: dict[str, list[str]] | None,
    workers: int | Executor,
) -> dict[str, pl.DataFrame]:
    common = {
        "family_col": [c for c in models.multiplicity_family if c in part.columns],
        "adjust": models.adjust,
        "level": models.ci_level,
        "levels": levels,
        "primary": models.primary_for(family),
        "workers": workers,
    }
    if kind == "gaussian":
        res = analyse_outcomes(part, spec, ddf=models.ddf, reml=models.reml, **common)
        if res["emmeans"].height:
            res["emmeans"] = res["emmeans"].with_columns(quantity=pl.lit("mean"))
        if res["contrasts"].height:
            res["contrasts"] = res["contrasts"].with_columns(
                scale=pl.lit("outcome units"), estimate_type=pl.lit("difference")
            )
        return res
    return analyse_generalised(part, spec, kind, nagq=models.nagq, **common)


def _misuse(part: pl.DataFrame) -> dict[str, str]:
    """Outcome -> why a Gaussian model does not suit its values (outcomes that are fine left
    out)."""
    out = {}
    for (outcome,), rows in part.group_by("outcome", maintain_order=True):
        reason = gaussian_misuse(rows["value"])
        if reason is not None:
            out[str(outcome)] = f"Gaussian model of non-Gaussian data: {reason}"
    return out


def _with_warning(table: pl.DataFrame, warnings: dict[str, str]) -> pl.DataFrame:
    """A ``warning`` column (null when none); for the models table also appended to notes."""
    warn = (
        pl.col("outcome")
        .cast(pl.String)
        .replace_strict(warnings, default=None, return_dtype=pl.String)
    )
    table = table.with_columns(warning=warn)
    if "notes" in table.columns and warnings:
        table = table.with_columns(
            notes=pl.when(pl.col("warning").is_null())
            .then(pl.col("notes"))
            .otherwise(
                pl.concat_str([pl.col("notes"), pl.col("warning")], separator="; ").str.strip_chars(
                    "; "
                )
            )
        )
    return table
