"""Likelihood-ratio tests between nested mixed models."""

from __future__ import annotations

import math

import polars as pl
from scipy import stats

from analysis.models.fit import LmmFit, refit


def lrt(fit_small: LmmFit, fit_big: LmmFit) -> pl.DataFrame:
    """Likelihood-ratio test of ``fit_small`` against the larger ``fit_big``.

    When the fixed effects differ, both models are refitted by maximum likelihood first (REML
    likelihoods of different fixed parts are not comparable); when only the random parts
    differ, REML fits are compared as they are. For a variance tested at its boundary (zero)
    the chi-square p-value is conservative (about twice the correct one).

    Returns
    -------
    polars.DataFrame
        model (small/big), formula, method, n_params, loglik, aic, bic, chisq, df, p (the last
        three on the big model's row).

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 4)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 20,
    ...                    "value": rng.normal(size=40) + rng.normal(size=10)[s]})
    >>> small = fit_lmm(df, "value ~ 1 + (1 | subject)")
    >>> big = fit_lmm(df, "value ~ direction + (1 | subject)")
    >>> lrt(small, big)["method"][0]
    'ML'
    """
    if fit_small.design.n != fit_big.design.n:
        raise ValueError(
            f"the models use different rows ({fit_small.design.n} vs {fit_big.design.n}); "
            "drop missing values for the variables of both models before fitting"
        )
    same_fixed = set(fit_small.x_names) == set(fit_big.x_names)
    reml = same_fixed and fit_small.reml and fit_big.reml
    small = refit(fit_small, reml=reml)
    big = refit(fit_big, reml=reml)
    if small.n_params > big.n_params:
        small, big = big, small
    chisq = max(2 * (big.loglik - small.loglik), 0.0)
    df = big.n_params - small.n_params
    p = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    n = big.n_obs
    rows = []
    for name, f in (("small", small), ("big", big)):
        k = f.n_params
        rows.append(
            {
                "model": name,
                "formula": f.formula,
                "method": "REML" if reml else "ML",
                "n_params": k,
                "loglik": f.loglik,
                "aic": -2 * f.loglik + 2 * k,
                "bic": -2 * f.loglik + k * math.log(n),
                "chisq": None if name == "small" else chisq,
                "df": None if name == "small" else df,
                "p": None if name == "small" else p,
            }
        )
    return pl.DataFrame(rows)
