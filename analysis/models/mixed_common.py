"""Results shared by the cumulative-link and generalised linear mixed models: Wald tables,
variance components, likelihood-ratio tests and reference grids.

Examples
--------
>>> import numpy as np
>>> t = wald_table(["a"], np.array([1.0]), np.array([[0.25]]))
>>> round(t["z"][0], 6), round(t["p"][0], 4)
(2.0, 0.0455)
"""

from __future__ import annotations

import itertools
from typing import Protocol

import numpy as np
import polars as pl
from scipy import stats as sps

from analysis.models.design import fixed_matrix
from analysis.models.re_design import MixedDesign, ReStructure


class _Fitted(Protocol):
    loglik: float
    n_par: int
    n_obs: int
    formula: str


def wald_table(
    names: list[str] | tuple[str, ...],
    estimate: np.ndarray,
    vcov: np.ndarray,
    level: float = 0.95,
    transform: str | None = None,
) -> pl.DataFrame:
    """Estimates with SE, z, two-sided p and Wald CI; ``transform="exp"`` adds ``ratio`` columns
    (odds or rate ratios: exp of the estimate and of the CI limits)."""
    se = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = estimate / se
    crit = sps.norm.ppf(0.5 + level / 2)
    out = pl.DataFrame(
        {
            "term": list(names),
            "estimate": estimate,
            "se": se,
            "z": z,
            "p": 2 * sps.norm.sf(np.abs(z)),
            "ci_low": estimate - crit * se,
            "ci_high": estimate + crit * se,
        }
    )
    if transform == "exp":
        out = out.with_columns(
            ratio=pl.col("estimate").exp(),
            ratio_ci_low=pl.col("ci_low").exp(),
            ratio_ci_high=pl.col("ci_high").exp(),
        )
    return out


def variance_table(re: ReStructure, theta: np.ndarray) -> pl.DataFrame:
    """Random-effect variances, SDs and correlations (one row per variance or covariance, like
    ``as.data.frame(VarCorr(m))`` in lme4)."""
    rows = []
    for t, cov in zip(re.terms, re.covariances(theta), strict=True):
        sd = np.sqrt(np.diag(cov))
        for i, name in enumerate(t.columns):
            rows.append((t.term.group_label, name, None, cov[i, i], sd[i]))
        for j in range(t.r):
            for i in range(j + 1, t.r):
                corr = cov[i, j] / (sd[i] * sd[j]) if sd[i] * sd[j] > 0 else float("nan")
                rows.append((t.term.group_label, t.columns[j], t.columns[i], cov[i, j], corr))
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


def lrt(small: _Fitted, big: _Fitted) -> pl.DataFrame:
    """Likelihood-ratio test of two nested models fitted to the same rows (ML / Laplace / AGQ).

    The chi-square reference is conservative when the models differ by a variance on its
    boundary (zero), as in R's ``anova``.
    """
    if small.n_obs != big.n_obs:
        raise ValueError(f"the models use different rows ({small.n_obs} vs {big.n_obs})")
    if small.n_par > big.n_par:
        small, big = big, small
    df = big.n_par - small.n_par
    chisq = max(2.0 * (big.loglik - small.loglik), 0.0)
    p = float(sps.chi2.sf(chisq, df)) if df > 0 else float("nan")
    return pl.DataFrame(
        {
            "model": [small.formula, big.formula],
            "n_par": [small.n_par, big.n_par],
            "loglik": [small.loglik, big.loglik],
            "aic": [2 * small.n_par - 2 * small.loglik, 2 * big.n_par - 2 * big.loglik],
            "chisq": [None, chisq],
            "df": [None, df],
            "p": [None, p],
        }
    )


def reference_grid(design: MixedDesign) -> pl.DataFrame:
    """All combinations of the fixed factors' levels (first factor fastest, as emmeans);
    covariates at their mean."""
    coding, spec = design.coding, design.spec
    facs = [v for v in spec.fixed_variables if coding.is_factor(v)]
    combos = list(itertools.product(*[coding.levels[f] for f in reversed(facs)]))
    data = {f: [c[len(facs) - 1 - i] for c in combos] for i, f in enumerate(facs)}
    grid = pl.DataFrame(data) if facs else pl.DataFrame({"_": [0]})
    for v in spec.fixed_variables:
        if not coding.is_factor(v):
            grid = grid.with_columns(pl.lit(coding.covariate_means[v]).alias(v))
    return grid.drop("_", strict=False)


def grid_matrix(design: MixedDesign, grid: pl.DataFrame) -> np.ndarray:
    """Fixed-effects rows (with the intercept column) of a reference grid."""
    if not design.spec.fixed:
        return np.ones((max(grid.height, 1), 1))
    frame = {
        v: (
            grid[v].cast(pl.String).to_numpy()
            if design.coding.is_factor(v)
            else grid[v].cast(pl.Float64).to_numpy()
        )
        for v in design.spec.fixed_variables
    }
    x, _, _ = fixed_matrix(frame, design.spec, design.coding)
    return x


def averaging_matrix(
    grid: pl.DataFrame, specs: list[str], levels: dict[str, tuple[str, ...]]
) -> tuple[pl.DataFrame, np.ndarray]:
    """Rows of the marginal table (``specs`` combinations, first factor fastest as in emmeans)
    and the matrix that averages grid cells into them with equal weights (emmeans' default)."""
    if not specs:
        return pl.DataFrame({"all": ["all"]}), np.full((1, grid.height), 1.0 / grid.height)
    combos = list(itertools.product(*[levels[f] for f in reversed(specs)]))
    marg = pl.DataFrame({f: [c[len(specs) - 1 - i] for c in combos] for i, f in enumerate(specs)})
    order = {tuple(r): i for i, r in enumerate(marg.iter_rows())}
    w = np.zeros((marg.height, grid.height))
    for j, r in enumerate(grid.select(specs).iter_rows()):
        w[order[tuple(r)], j] = 1.0
    w /= w.sum(axis=1, keepdims=True)
    return marg, w
