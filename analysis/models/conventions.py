"""R's conventions beside this package's: treatment coding, R's default level order, logLik/AIC/BIC.

The models are fitted with sum-to-zero contrasts (``contr.sum``; Type III tests need them) and
the factor levels in the package's order (``levels=``, else a polars Enum's order, else
``forward, backward`` for direction, else first appearance). R's defaults are treatment
contrasts (``contr.treatment``, first level the reference) and alphabetical levels
(``factor()``). The two codings span the same column space, ``X_treatment = X_sum T``, so
fixed effects, SEs and tests of one are linear contrasts of the other, and the ML
log-likelihood is the same. The REML log-likelihood is not: it contains ``log|X' V^-1 X|``,
which changes by ``2 log|det T|``, so ``logLik_R = logLik_sum - log|det T|`` (``log 2`` per
two-level factor: -77.034 with sum coding, -76.341 in R on nlme's Machines A/B). The reference
level does not matter (changing it is a unimodular change of basis).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from analysis.models.design import Coding, fixed_matrix
from analysis.models.fit import LmmFit

CONTRASTS = ("sum", "treatment")
LEVEL_ORDERS = ("model", "alphabetical")


def _frame(fit: LmmFit) -> dict[str, np.ndarray]:
    data, coding = fit.design.data, fit.design.coding
    return {
        v: (
            data[v].cast(pl.String).to_numpy()
            if coding.is_factor(v)
            else data[v].cast(pl.Float64).to_numpy()
        )
        for v in fit.spec.variables
        if v != fit.spec.response
    }


def _coding(fit: LmmFit, level_order: str) -> Coding:
    coding = fit.design.coding
    if level_order == "model":
        return coding
    if level_order != "alphabetical":
        raise ValueError(f"level_order must be one of {LEVEL_ORDERS}, not {level_order!r}")
    levels = {k: tuple(sorted(v)) for k, v in coding.levels.items()}
    return dataclasses.replace(coding, levels=levels)


def recoding(
    fit: LmmFit, contrasts: str = "treatment", level_order: str = "model"
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The matrix ``K`` with ``beta_new = K beta`` (rows: contrasts of the fitted coefficients)
    and the coefficient names under ``contrasts`` coding and ``level_order``.

    ``K = T^-1`` for ``X_new = X T``; with ``contrasts="sum"`` and ``level_order="model"`` it is
    the identity.
    """
    if contrasts not in CONTRASTS:
        raise ValueError(f"contrasts must be one of {CONTRASTS}, not {contrasts!r}")
    x_new, names, _ = fixed_matrix(
        _frame(fit), fit.spec, _coding(fit, level_order), treatment=contrasts == "treatment"
    )
    t, *_ = np.linalg.lstsq(fit.design.x, x_new, rcond=None)
    return np.linalg.inv(t), names


def loglik_coding_shift(fit: LmmFit, contrasts: str = "treatment") -> float:
    """What to add to ``fit.loglik`` for the REML log-likelihood under ``contrasts`` coding
    (``-log|det T|``; 0 for ML fits and for sum coding)."""
    if not fit.reml or contrasts == "sum":
        return 0.0
    k, _ = recoding(fit, contrasts)
    return float(np.linalg.slogdet(k)[1])


def information_criteria(fit: LmmFit, contrasts: str = "treatment") -> dict[str, float]:
    """logLik, AIC and BIC as R's ``logLik()``, ``AIC()``, ``BIC()`` report them for the same
    model fitted with ``contrasts`` coding (default: treatment, R's default).

    ``df`` counts fixed effects, theta and sigma; BIC uses n = number of observations (lme4).

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 4)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 20,
    ...                    "value": rng.normal(size=40) + rng.normal(size=10)[s]})
    >>> fit = fit_lmm(df, "value ~ direction + (1 | subject)")
    >>> r = information_criteria(fit)
    >>> round(r["loglik"] - fit.loglik, 6) == round(float(np.log(2)), 6)
    True
    """
    loglik = fit.loglik + loglik_coding_shift(fit, contrasts)
    k = fit.n_params
    n = fit.n_obs
    return {
        "loglik": loglik,
        "df": float(k),
        "aic": -2 * loglik + 2 * k,
        "bic": -2 * loglik + k * float(np.log(n)),
        "nobs": float(n),
        "reml": fit.reml,
    }
