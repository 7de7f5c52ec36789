"""One ordinal, binomial or Poisson mixed model per outcome, in the tables of the LMM's analysis.

The counterpart of :func:`analysis.models.analyse.analyse_outcomes` for ``models.family``
``ordinal``, ``binomial`` and ``poisson``: same outcome grouping, model adaptation
(:func:`~analysis.models.analyse.adapt_spec`), choice of the reported contrasts and
multiplicity adjustment; the columns particular to these models are described in
:mod:`analysis.models.generalised`.
"""

from __future__ import annotations

import functools
import itertools
from concurrent.futures import Executor

import numpy as np
import polars as pl

from analysis.models import generalised as gen
from analysis.models.adapt import adapt_spec
from analysis.models.formula import FormulaError, ModelSpec, parse_formula
from analysis.models.outcome_runs import (
    OutcomeGrouping,
    model_row,
    outcome_grouping,
    outcome_meta,
    run_outcomes,
    tagger,
)
from analysis.models.reported import _interacting, _primary, _training_pair

__all__ = ["analyse_generalised", "gaussian_misuse"]


def gaussian_misuse(values: pl.Series, max_levels: int = 11) -> str | None:
    """Why a Gaussian model does not suit these values, or None.

    Examples
    --------
    >>> gaussian_misuse(pl.Series([0, 1, 1, 0]))
    'the values are binary (0/1): a binomial model suits them'
    >>> gaussian_misuse(pl.Series([0.0, 3, 5, 10]))
    'the values take 4 integer levels: an ordinal model suits them'
    >>> gaussian_misuse(pl.Series([0.5, 3.2, 5.1])) is None
    True
    """
    v = values.drop_nulls()
    if v.dtype.is_float():
        v = v.filter(v.is_finite())
    if not v.len() or not v.dtype.is_numeric():
        return None
    arr = v.cast(pl.Float64).to_numpy()
    if not np.all(arr == np.round(arr)):
        return None
    levels = np.unique(arr)
    if set(levels) <= {0.0, 1.0}:
        return "the values are binary (0/1): a binomial model suits them"
    if levels.size <= max_levels:
        return f"the values take {levels.size} integer levels: an ordinal model suits them"
    return None


def _contrasts(fit, level: float, primary: str | None) -> pl.DataFrame:
    like = gen.as_lmm_like(fit)
    pair = _primary(like, primary)
    if pair is None:
        return pl.DataFrame()
    factor, a, b = pair
    parts = [
        gen.level_contrast(fit, factor, a, b, level=level).with_columns(
            contrast_type=pl.lit("main")
        )
    ]
    for f in _interacting(like, factor):
        parts.append(
            gen.level_contrast(fit, factor, a, b, [f], level).with_columns(
                contrast_type=pl.lit("simple")
            )
        )
        parts.append(
            gen.level_interaction(fit, factor, a, b, f, level).with_columns(
                contrast_type=pl.lit("interaction")
            )
        )
    training = _training_pair(like, factor)
    if training is not None:  # group × session beside the primary factor (the LMM's rows)
        _, post, base = training
        parts.append(
            gen.level_contrast(fit, "session", post, base, ["group"], level).with_columns(
                contrast_type=pl.lit("simple")
            )
        )
        parts.append(
            gen.level_interaction(fit, "session", post, base, "group", level).with_columns(
                contrast_type=pl.lit("interaction")
            )
        )
    return pl.concat(parts, how="diagonal_relaxed")


def _emmeans(fit, level: float, primary: str | None) -> pl.DataFrame:
    like = gen.as_lmm_like(fit)
    pair = _primary(like, primary)
    factors = [v for v in fit.design.spec.fixed_variables if fit.design.coding.is_factor(v)]
    parts = []
    if pair is not None:
        factor = pair[0]
        by = _interacting(like, factor)
        for k in range(len(by), -1, -1):
            for subset in itertools.combinations(by, k):
                over = [f for f in factors if f != factor and f not in subset]
                parts.append(
                    gen.response_emmeans(fit, [factor, *subset], level).with_columns(
                        averaged_over=pl.lit(", ".join(over) if over else None, dtype=pl.String)
                    )
                )
        if _training_pair(like, factor) is not None:  # the sessions of each group
            over = [f for f in factors if f not in ("session", "group")]
            parts.append(
                gen.response_emmeans(fit, ["session", "group"], level).with_columns(
                    averaged_over=pl.lit(", ".join(over) if over else None, dtype=pl.String)
                )
            )
    if factors and fit.__class__.__name__ == "ClmmFit":
        for q in ("prob", "ge"):
            parts.append(
                gen.response_emmeans(fit, factors, level, q).with_columns(
                    averaged_over=pl.lit(None, dtype=pl.String)
                )
            )
    return pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()


def _fit_outcome(
    item: tuple[tuple, pl.DataFrame],
    *,
    spec0: ModelSpec,
    model_family: str,
    grouping: OutcomeGrouping,
    levels: dict[str, list[str]] | None,
    primary: str | None,
    subject: str,
    level: float,
    nagq: int,
) -> dict[str, pl.DataFrame]:
    key, part = item
    meta = outcome_meta(key, part, grouping)
    spec, notes = adapt_spec(spec0, part, subject)
    info = model_row(
        meta, spec0, notes, ddf_method="z (Wald)", estimation=None, level=level, adapted=spec
    )
    try:
        fit = gen.fit_model(part, spec, model_family, levels=levels, nagq=nagq)
    except (FormulaError, ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
        info["error"] = str(err)
        return {"models": pl.DataFrame([info])}
    if not fit.converged:
        notes.append("the optimiser did not report convergence")
    info.update(
        formula_used=fit.formula,
        n_subjects=fit.design.data[subject].n_unique(),
        n_obs=fit.n_obs,
        n_dropped=fit.design.n_dropped,
        singular=bool(np.any(np.abs(fit.theta) < 1e-4)),
        estimation=fit.method,
        link=fit.link,
        loglik=fit.loglik,
        notes="; ".join(notes),
    )
    with_meta = tagger(info)
    kw = {"levels": levels, "nagq": nagq}
    return {
        "models": pl.DataFrame([info]),
        "contrasts": with_meta(_contrasts(fit, level, primary)),
        "emmeans": with_meta(_emmeans(fit, level, primary)),
        "anova": with_meta(gen.term_tests(fit, part, model_family, **kw)),
        "variance": with_meta(gen.variance_rows(fit)),
    }


def analyse_generalised(
    outcomes: pl.DataFrame,
    formula: str | ModelSpec,
    model_family: str,
    *,
    family_col: str | list[str] = "family",
    outcome_col: str = "outcome",
    adjust: str = "holm",
    levels: dict[str, list[str]] | None = None,
    primary: str | None = None,
    subject: str = "subject",
    level: float = 0.95,
    nagq: int = 1,
    workers: int | Executor = 1,
) -> dict[str, pl.DataFrame]:
    """Fit the ``model_family`` mixed model to every outcome and report the tidy tables.

    Parameters are those of :func:`analysis.models.analyse.analyse_outcomes`, with
    ``model_family`` (``ordinal``, ``binomial`` or ``poisson``) and ``nagq`` (quadrature nodes
    for a single scalar random effect; 1 = Laplace) instead of ``ddf`` and ``reml``.

    Returns
    -------
    dict of polars.DataFrame
        ``contrasts``, ``emmeans``, ``anova``, ``variance`` and ``models`` (the other tables of
        the LMM's analysis are empty), as described in :mod:`analysis.models.generalised`.
    """
    if model_family not in ("ordinal", "binomial", "poisson"):
        raise ValueError(f"model_family must be ordinal, binomial or poisson, not {model_family!r}")
    spec0 = formula if isinstance(formula, ModelSpec) else parse_formula(formula)
    grouping = outcome_grouping(outcomes, spec0, family_col, outcome_col)
    fit_one = functools.partial(
        _fit_outcome,
        spec0=spec0,
        model_family=model_family,
        grouping=grouping,
        levels=levels,
        primary=primary,
        subject=subject,
        level=level,
        nagq=nagq,
    )
    return run_outcomes(fit_one, outcomes, grouping, adjust=adjust, workers=workers)
