"""Variance components, ICC, Nakagawa R-squared and standardised differences.

The standardiser of every effect size is the SD of a single observation around its fixed-effect
mean: ``S = sqrt(sum_k mean_i(z_ik' Sigma_k z_ik) + sigma^2)``, the summed variance components
(for random slopes the variance is averaged over the observed design, Johnson 2014; with
sum-to-zero +-1 coding and balanced data this is the plain sum of the variances).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analysis.models.deviance import richardson_jacobian
from analysis.models.fit import LmmFit


def _random_variance_parts(fit: LmmFit, varpar: np.ndarray | None = None) -> list[float]:
    vp = fit.varpar if varpar is None else varpar
    rel = fit.core.relative_covariances(vp[:-1])
    parts = []
    for block, cov in zip(fit.design.blocks, rel, strict=True):
        parts.append(float(np.mean(np.einsum("ij,jk,ik->i", block.x, cov, block.x))) * vp[-1] ** 2)
    return parts


def total_variance(fit: LmmFit, varpar: np.ndarray | None = None) -> float:
    """Summed variance components (random, averaged over the design, plus residual)."""
    vp = fit.varpar if varpar is None else varpar
    return float(sum(_random_variance_parts(fit, vp)) + vp[-1] ** 2)


def denominator_label(fit: LmmFit) -> str:
    """Plain-text statement of the effect-size denominator of this model."""
    parts = [f"var {b.term.group_label}[{', '.join(b.columns)}]" for b in fit.design.blocks]
    return "sqrt(" + " + ".join([*parts, "var residual"]) + "): SD of one observation"


def total_variance_se(fit: LmmFit) -> float:
    """Delta-method SE of the total variance from the covariance of (theta, sigma)."""
    if "tv_se" not in fit.cache:
        grad = richardson_jacobian(lambda v: total_variance(fit, v), fit.varpar)[0]
        fit.cache["tv_se"] = float(np.sqrt(max(grad @ fit.vcov_varpar @ grad, 0.0)))
    return fit.cache["tv_se"]


def standardised(
    fit: LmmFit, estimate: np.ndarray, se: np.ndarray, crit: np.ndarray
) -> dict[str, np.ndarray]:
    """Standardised difference ``d = estimate / S`` with a delta-method CI.

    ``var(d) = se^2 / S^2 + d^2 var(S^2) / (4 S^4)`` (contrast and variance parameters are
    asymptotically independent under REML); the CI is ``d +- crit * se(d)`` with the contrast's
    t quantile ``crit``.
    """
    tv = total_variance(fit)
    s = np.sqrt(tv)
    d = np.asarray(estimate) / s
    var_tv = total_variance_se(fit) ** 2
    se_d = np.sqrt(np.asarray(se) ** 2 / tv + d**2 * var_tv / (4 * tv**2))
    return {
        "effect_size": d,
        "es_se": se_d,
        "es_ci_low": d - crit * se_d,
        "es_ci_high": d + crit * se_d,
    }


def variance_components(fit: LmmFit) -> pl.DataFrame:
    """Random-effect variances, SDs and correlations (as lme4's ``as.data.frame(VarCorr(m))``).

    Returns
    -------
    polars.DataFrame
        group, term1, term2 (null for variances), vcov (variance or covariance), sdcor (SD or
        correlation). The residual is the last row (group ``"Residual"``).

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 4)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 20,
    ...                    "value": rng.normal(size=40) + rng.normal(size=10)[s]})
    >>> variance_components(fit_lmm(df, "value ~ direction + (1 | subject)"))["group"].to_list()
    ['subject', 'Residual']
    """
    rows = []
    for block, cov in zip(fit.design.blocks, fit.covariances(), strict=True):
        sd = np.sqrt(np.diag(cov))
        group = block.term.group_label
        for i, name in enumerate(block.columns):
            rows.append((group, name, None, float(cov[i, i]), float(sd[i])))
        for j in range(block.q):
            for i in range(j + 1, block.q):
                corr = cov[i, j] / (sd[i] * sd[j]) if sd[i] * sd[j] > 0 else np.nan
                rows.append(
                    (group, block.columns[j], block.columns[i], float(cov[i, j]), float(corr))
                )
    rows.append(("Residual", None, None, fit.sigma**2, fit.sigma))
    return pl.DataFrame(
        rows,
        schema={
            "group": pl.String,
            "term1": pl.String,
            "term2": pl.String,
            "vcov": pl.Float64,
            "sdcor": pl.Float64,
        },
        orient="row",
    )


def r2_nakagawa(fit: LmmFit) -> dict[str, float]:
    """Marginal and conditional R-squared (Nakagawa & Schielzeth 2013; Johnson 2014 for slopes).

    ``R2m = var_f / (var_f + var_r + sigma^2)``, ``R2c = (var_f + var_r) / (...)`` with
    ``var_f`` the sample variance (n - 1) of ``X beta`` over the rows used, ``var_r`` the random
    variance averaged over the design.
    """
    var_f = float(np.var(fit.design.x @ fit.beta, ddof=1))
    var_r = float(sum(_random_variance_parts(fit)))
    tot = var_f + var_r + fit.sigma**2
    return {
        "r2_marginal": var_f / tot,
        "r2_conditional": (var_f + var_r) / tot,
        "var_fixed": var_f,
        "var_random": var_r,
        "var_residual": fit.sigma**2,
    }


def icc(fit: LmmFit) -> pl.DataFrame:
    """Intraclass correlations: each random term's share of the total variance, and the adjusted
    ICC of all random effects together (``var_r / (var_r + sigma^2)``).

    Returns
    -------
    polars.DataFrame
        component, variance, icc.
    """
    parts = _random_variance_parts(fit)
    total = sum(parts) + fit.sigma**2
    names = [str(b.term) for b in fit.design.blocks]
    rows = [(n, v, v / total) for n, v in zip(names, parts, strict=True)]
    rows.append(("all random effects (adjusted ICC)", sum(parts), sum(parts) / total))
    return pl.DataFrame(rows, schema=["component", "variance", "icc"], orient="row")
