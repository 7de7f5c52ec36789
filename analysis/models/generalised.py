"""Ordinal, binomial and Poisson mixed models of one outcome, reported in the tidy tables.

:func:`fit_generalised_outcome` is the counterpart of the linear mixed model's per-outcome fit
(:func:`analysis.models.analyse._fit_outcome`) for ``models.family`` ``ordinal`` (cumulative
link mixed model, :mod:`analysis.models.ordinal`), ``binomial`` and ``poisson`` (generalised
linear mixed models, :mod:`analysis.models.glmm`). The tables have the columns of the LMM's where
they mean the same thing, plus:

- contrasts: on the model's linear-predictor scale (``scale``: log odds, probit or log rate;
  ``estimate_type``: e.g. ``log odds ratio``) with Wald z tests (``z``; ``t`` and ``df`` null),
  and ``ratio``, ``ratio_ci_low``, ``ratio_ci_high`` (odds or rate ratio) for logit and log
  links. For the ordinal model a positive estimate means higher ratings.
- emmeans: ``quantity`` ``mean`` (the model-implied mean rating, or the probability or rate of a
  GLMM) per level of the primary factor as the LMM's, and for the ordinal model ``prob``
  (P(rating = k)) and ``ge`` (P(rating >= k)) per cell of all factors (``category`` = k), all on
  the response scale for the median subject (random effects 0), with delta-method CIs.
- anova: likelihood-ratio tests (``test`` = ``likelihood ratio``) of each term that can be
  removed from the model keeping it hierarchical, and Type III Wald chi-square tests of every
  term (``test`` = ``Wald chi-square``).
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import numpy as np
import polars as pl
from scipy import stats as sps

from analysis.models import glmm, ordinal
from analysis.models.emmeans import contrast_label
from analysis.models.formula import FormulaError, ModelSpec
from analysis.models.mixed_common import averaging_matrix, grid_matrix, reference_grid

MODEL_NAMES = {
    "gaussian": "linear mixed model",
    "ordinal": "cumulative link mixed model",
    "binomial": "binomial generalised linear mixed model",
    "poisson": "Poisson generalised linear mixed model",
}
"""Name of the model of each ``models.family`` value (methods text, ``model`` columns)."""

LINKS = {"ordinal": "logit", "binomial": "logit", "poisson": "log"}
_SCALES = {
    "logit": ("log odds", "odds ratio"),
    "probit": ("probit", None),
    "log": ("log rate", "rate ratio"),
}


def scale_names(link: str) -> tuple[str, str | None]:
    """The linear-predictor scale and the ratio reported for a link.

    Examples
    --------
    >>> scale_names("logit")
    ('log odds', 'odds ratio')
    """
    return _SCALES[link]


def fit_model(
    data: pl.DataFrame,
    spec: ModelSpec,
    family: str,
    *,
    levels: dict[str, list[str]] | None = None,
    nagq: int = 1,
) -> ordinal.ClmmFit | glmm.GlmmFit:
    """Fit the ordinal or generalised mixed model of ``family`` to one outcome.

    ``nagq`` > 1 (adaptive quadrature) is used only when the model has one scalar random effect,
    else the Laplace approximation.
    """
    scalar = len(spec.random) == 1 and spec.random[0].intercept and not spec.random[0].slopes
    n_agq = nagq if scalar else 1
    if family == "ordinal":
        return ordinal.fit_clmm(
            _integer_response(data, spec.response),
            spec.formula,
            LINKS[family],
            n_agq,
            levels=levels,
        )
    if family in ("binomial", "poisson"):
        return glmm.fit_glmm(data, spec.formula, family, LINKS[family], n_agq, levels=levels)
    raise ValueError(f"unknown model family {family!r}")


def _integer_response(data: pl.DataFrame, response: str) -> pl.DataFrame:
    """Ratings stored as floats (the outcome table's ``value``) as integers: their categories."""
    y = data[response]
    if not y.dtype.is_float():
        return data
    v = y.drop_nulls().drop_nans()
    if not (v == v.round()).all():
        raise FormulaError(
            f"ordinal response '{response}' has non-integer values (e.g. means of ratings): "
            "model the ratings themselves, or declare the family gaussian"
        )
    return data.with_columns(pl.col(response).fill_nan(None).round().cast(pl.Int64))


def _beta_and_vcov(fit: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """Location coefficients, their covariance and whether the grid keeps the intercept."""
    if isinstance(fit, ordinal.ClmmFit):
        nt = fit.thresholds.size
        return fit.beta, fit.vcov[nt:, nt:], False
    return fit.beta, fit.vcov, True


def _linear_rows(fit: Any, specs: list[str]) -> tuple[pl.DataFrame, np.ndarray]:
    """Marginal table of ``specs`` and the rows mapping beta to its linear predictors."""
    des = fit.design
    grid = reference_grid(des)
    xg = grid_matrix(des, grid)
    _, _, keep_intercept = _beta_and_vcov(fit)
    if not keep_intercept:
        xg = xg[:, [i for i, n in enumerate(des.x_names) if n != "(Intercept)"]]
    marg, w = averaging_matrix(grid, specs, des.coding.levels)
    return marg, w @ xg


def as_lmm_like(fit: Any) -> SimpleNamespace:
    """What the LMM's contrast choice reads (``design.coding.levels``, ``spec``)."""
    return SimpleNamespace(design=fit.design, spec=fit.design.spec)


def _wald(fit: Any, ell: np.ndarray, level: float) -> dict[str, np.ndarray]:
    beta, vcov, _ = _beta_and_vcov(fit)
    est = ell @ beta
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", ell, vcov, ell), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    crit = sps.norm.ppf(0.5 + level / 2)
    return {
        "estimate": est,
        "se": se,
        "ci_low": est - crit * se,
        "ci_high": est + crit * se,
        "z": z,
        "p": 2 * sps.norm.sf(np.abs(z)),
    }


def _contrast_frame(
    fit: Any, names: list[str], info: pl.DataFrame, ell: np.ndarray, level: float
) -> pl.DataFrame:
    res = _wald(fit, ell, level)
    scale, ratio = scale_names(fit.link)
    out = (
        pl.DataFrame({"contrast": names})
        .hstack(info)
        .with_columns(
            **{k: pl.Series(k, v, dtype=pl.Float64) for k, v in res.items()},
            df=pl.lit(None, dtype=pl.Float64),
            t=pl.lit(None, dtype=pl.Float64),
            scale=pl.lit(scale),
            estimate_type=pl.lit(f"log {ratio}" if ratio else f"difference ({scale})"),
            ddf_method=pl.lit("z (Wald)"),
        )
    )
    if ratio:
        out = out.with_columns(
            ratio=pl.col("estimate").exp(),
            ratio_ci_low=pl.col("ci_low").exp(),
            ratio_ci_high=pl.col("ci_high").exp(),
            ratio_type=pl.lit(ratio),
        )
    return out


def _pair_rows(fit: Any, factor: str, a: str, b: str, by: list[str]):
    marg, lmat = _linear_rows(fit, [factor, *by])
    rows = {tuple(r): i for i, r in enumerate(marg.iter_rows())}
    combos = list(itertools.product(*[fit.design.coding.levels[f] for f in by])) or [()]
    ell = np.array([lmat[rows[(a, *c)]] - lmat[rows[(b, *c)]] for c in combos])
    return combos, ell


def level_contrast(
    fit: Any, factor: str, a: str, b: str, by: list[str] | None = None, level: float = 0.95
) -> pl.DataFrame:
    """``a - b`` of ``factor`` on the linear-predictor scale, overall or within each level of the
    one factor in ``by``; the columns of :func:`analysis.models.emmeans.level_contrast` with
    ``z`` tests and odds or rate ratios (see the module docstring)."""
    by = list(by or [])
    combos, ell = _pair_rows(fit, factor, a, b, by)
    at = by[0] if by else None
    at_levels = [str(c[0]) for c in combos] if at else [None]
    names = [contrast_label(a, b, (at, v) if at else None) for v in at_levels]
    n = len(names)
    info = pl.DataFrame(
        {
            "contrast_factor": [factor] * n,
            "contrast_level": [a] * n,
            "contrast_reference": [b] * n,
            "at_factor": pl.Series([at] * n, dtype=pl.String),
            "at_level": pl.Series(at_levels, dtype=pl.String),
        }
    )
    if at:
        info = info.with_columns(pl.Series(at, at_levels, dtype=pl.String))
    return _contrast_frame(fit, names, info, ell, level)


def level_interaction(
    fit: Any, factor: str, a: str, b: str, across: str, level: float = 0.95
) -> pl.DataFrame:
    """Change of ``a - b`` between each level of ``across`` and its first level."""
    combos, ell = _pair_rows(fit, factor, a, b, [across])
    lev = [str(c[0]) for c in combos]
    if len(lev) < 2:
        raise ValueError(f"factor '{across}' has only one level")
    ref = lev[0]
    rows = np.array([ell[i] - ell[0] for i in range(1, len(lev))])
    names = [contrast_label(a, b, by=(across, v, ref)) for v in lev[1:]]
    n = len(names)
    info = pl.DataFrame(
        {
            "contrast_factor": [factor] * n,
            "contrast_level": [a] * n,
            "contrast_reference": [b] * n,
            "at_factor": pl.Series([None] * n, dtype=pl.String),
            "at_level": pl.Series([None] * n, dtype=pl.String),
            "factor": [across] * n,
            "level": lev[1:],
            "reference": [ref] * n,
        }
    )
    return _contrast_frame(fit, names, info, rows, level)


def response_emmeans(
    fit: Any, specs: list[str], level: float = 0.95, quantity: str = "mean"
) -> pl.DataFrame:
    """EMMs on the response scale: ``quantity`` ``mean`` (mean rating, probability or rate),
    and for the ordinal model ``prob`` or ``ge`` per category; ``emmean`` holds the value."""
    if isinstance(fit, ordinal.ClmmFit):
        mode = {"mean": "mean", "prob": "prob", "ge": "ge"}[quantity]
        out = ordinal.clmm_emmeans(fit, specs, mode=mode, level=level)
    else:
        if quantity != "mean":
            raise ValueError(f"quantity {quantity!r} is for ordinal models")
        out = glmm.glmm_emmeans(fit, specs, level=level).drop("link_estimate", "link_se")
    if "category" in out.columns:
        out = out.with_columns(pl.col("category").cast(pl.String))
    return out.rename({"estimate": "emmean"}).with_columns(quantity=pl.lit(quantity))


def term_tests(fit: Any, data: pl.DataFrame, family: str, **kw: Any) -> pl.DataFrame:
    """Likelihood-ratio tests of the removable terms and Wald chi-square tests of every term.

    A term is removable when no other fixed term contains it (the smaller model stays
    hierarchical, as R's ``drop1``); the smaller model is refitted to the same rows.
    """
    spec: ModelSpec = fit.design.spec
    beta, vcov, keep_intercept = _beta_and_vcov(fit)
    names = list(fit.design.x_names)
    if not keep_intercept:
        names = [n for n in names if n != "(Intercept)"]
    rows = []
    for term, cols in fit.design.term_columns.items():
        if term == "(Intercept)":
            continue
        idx = [names.index(fit.design.x_names[c]) for c in cols]
        b, v = beta[idx], vcov[np.ix_(idx, idx)]
        chisq = float(b @ np.linalg.solve(v, b))
        rows.append((term, "Wald chi-square", chisq, len(idx), float(sps.chi2.sf(chisq, len(idx)))))
    used = fit.design.data
    for t in spec.fixed:
        if any(set(t) < set(o) for o in spec.fixed):
            continue
        small = ModelSpec(
            spec.response, tuple(o for o in spec.fixed if o != t), spec.random, spec.intercept
        )
        try:
            fit0 = fit_model(used, small, family, **kw)
        except (FormulaError, ValueError, ArithmeticError, np.linalg.LinAlgError):
            continue
        df = fit.n_par - fit0.n_par
        chisq = max(2.0 * (fit.loglik - fit0.loglik), 0.0)
        rows.append((":".join(t), "likelihood ratio", chisq, df, float(sps.chi2.sf(chisq, df))))
    return pl.DataFrame(
        rows,
        schema={
            "term": pl.String,
            "test": pl.String,
            "chisq": pl.Float64,
            "num_df": pl.Int64,
            "p": pl.Float64,
        },
        orient="row",
    )


def variance_rows(fit: Any) -> pl.DataFrame:
    """Variance components in the layout of the LMM's variance table."""
    vc = (ordinal if isinstance(fit, ordinal.ClmmFit) else glmm).variance_components(fit)
    var = vc.with_columns(
        quantity=pl.when(pl.col("term2").is_null())
        .then(pl.lit("variance"))
        .otherwise(pl.lit("covariance")),
        value=pl.col("vcov"),
    )
    sd = vc.with_columns(
        quantity=pl.when(pl.col("term2").is_null())
        .then(pl.lit("sd"))
        .otherwise(pl.lit("correlation")),
        value=pl.col("sdcor"),
    )
    keep = ["group", "term1", "term2", "quantity", "value"]
    return pl.concat([var.select(keep), sd.select(keep)])
