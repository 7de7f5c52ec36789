"""Generalised linear mixed models for binary, binomial and count outcomes, as ``lme4::glmer``.

``g(E[y | b]) = X beta + Z b``, ``b ~ N(0, Sigma)``, with ``family="binomial"`` (``link`` logit or
probit; a 0/1 response, or successes with ``trials=`` the number of trials) or ``"poisson"``
(log link). Random intercepts and slopes and crossed terms such as
``(1 | subject) + (1 | item)`` are integrated out by the Laplace approximation at the
conditional modes (``nAGQ=1``, glmer's default) or, for one scalar random effect, by adaptive
Gauss-Hermite quadrature (``nAGQ > 1``). As in glmer, the Laplace log-determinant and the
quadrature scale use the expected (Fisher, PIRLS) weights, and standard errors come from the
Hessian of the approximated log-likelihood in all parameters (glmer's ``use.hessian = TRUE``).

Examples
--------
>>> import numpy as np, polars as pl
>>> rng = np.random.default_rng(3)
>>> subj = np.repeat(np.arange(30), 8)
>>> back = np.tile([0, 1], 120)
>>> eta = -0.5 + 0.7 * back + rng.normal(0, 0.8, 30)[subj]
>>> fell = (rng.random(240) < 1 / (1 + np.exp(-eta))).astype(int)
>>> df = pl.DataFrame({"fell": fell, "direction": np.where(back, "backward", "forward"),
...                    "subject": [f"s{s}" for s in subj]})
>>> fit = fit_glmm(df, "fell ~ direction + (1 | subject)", family="binomial")
>>> coefficients(fit)["term"].to_list()
['(Intercept)', 'direction1']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import special
from scipy import stats as sps

from analysis.models.formula import FormulaError, parse_formula
from analysis.models.laplace import Evaluator, ObsTerms, Problem, maximise
from analysis.models.mixed_common import (
    averaging_matrix,
    grid_matrix,
    reference_grid,
    variance_table,
    wald_table,
)
from analysis.models.re_design import MixedDesign, build_mixed_design

FAMILIES = {"binomial": ("logit", "probit"), "poisson": ("log",)}


def _binomial_logit(y: np.ndarray, m: np.ndarray):
    const = special.gammaln(m + 1) - special.gammaln(y + 1) - special.gammaln(m - y + 1)

    def family(eta: np.ndarray, order: int = 2) -> ObsTerms:
        e = eta[:, 0]
        ll = const + y * e - m * np.logaddexp(0.0, e)
        if order == 0:
            return ObsTerms(ll)
        mu = special.expit(e)
        w = m * mu * (1 - mu)
        g = (y - m * mu)[:, None]
        return ObsTerms(ll, g, -w[:, None, None], w, (w * (1 - 2 * mu))[:, None], True)

    return family


def _binomial_probit(y: np.ndarray, m: np.ndarray):
    const = special.gammaln(m + 1) - special.gammaln(y + 1) - special.gammaln(m - y + 1)

    def family(eta: np.ndarray, order: int = 2) -> ObsTerms:
        e = eta[:, 0]
        lc1, lc0 = special.log_ndtr(e), special.log_ndtr(-e)
        ll = const + y * lc1 + (m - y) * lc0
        if order == 0:
            return ObsTerms(ll)
        lpdf = -0.5 * e * e - 0.5 * np.log(2 * np.pi)
        l1, l0 = np.exp(lpdf - lc1), np.exp(lpdf - lc0)  # phi/Phi, phi/(1 - Phi)
        g = y * l1 - (m - y) * l0
        w = m * l1 * l0
        if order == 1:
            return ObsTerms(ll, g[:, None], None, w, None, False)
        d1, d0 = -e * l1 - l1 * l1, -e * l0 + l0 * l0
        h = y * d1 - (m - y) * d0
        dw = m * (d1 * l0 + l1 * d0)
        return ObsTerms(ll, g[:, None], h[:, None, None], w, dw[:, None], False)

    return family


def _poisson_log(y: np.ndarray):
    const = -special.gammaln(y + 1)

    def family(eta: np.ndarray, order: int = 2) -> ObsTerms:
        e = eta[:, 0]
        mu = np.exp(e)
        ll = const + y * e - mu
        if order == 0:
            return ObsTerms(ll)
        return ObsTerms(ll, (y - mu)[:, None], -mu[:, None, None], mu, mu[:, None], True)

    return family


def inverse_link(link: str, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and its derivative ``dmu/deta``."""
    if link == "logit":
        mu = special.expit(eta)
        return mu, mu * (1 - mu)
    if link == "probit":
        return special.ndtr(eta), np.exp(-0.5 * eta * eta) / np.sqrt(2 * np.pi)
    if link == "log":
        mu = np.exp(eta)
        return mu, mu
    raise ValueError(f"unknown link {link!r}")


@dataclass
class GlmmFit:
    """A fitted GLMM; ``vcov`` is that of ``beta`` (names ``x_names``).

    ``loglik`` is the full (Laplace or AGQ) log-likelihood, comparable across ``nAGQ``.
    ``loglik_saturated`` is the saturated model's: lme4 reports ``loglik - loglik_saturated``
    as ``logLik`` when ``nAGQ > 1`` (its quadrature deviance is built from deviance residuals),
    so compare that difference with glmer's AGQ ``logLik`` (they coincide for 0/1 data).
    """

    formula: str
    family: str
    link: str
    n_agq: int
    design: MixedDesign
    beta: np.ndarray
    theta: np.ndarray
    vcov: np.ndarray
    loglik: float
    converged: bool
    n_eval: int
    loglik_saturated: float = 0.0
    trials: str | None = None

    @property
    def x_names(self) -> tuple[str, ...]:
        return self.design.x_names

    @property
    def n_obs(self) -> int:
        return self.design.n

    @property
    def n_par(self) -> int:
        return self.beta.size + self.theta.size

    @property
    def aic(self) -> float:
        return 2 * self.n_par - 2 * self.loglik

    @property
    def method(self) -> str:
        return "Laplace" if self.n_agq == 1 else f"adaptive Gauss-Hermite, {self.n_agq} nodes"


def fit_glmm(
    data: pl.DataFrame,
    formula: str,
    family: str = "binomial",
    link: str | None = None,
    nAGQ: int = 1,  # noqa: N803 (R's name)
    *,
    trials: str | None = None,
    levels: dict[str, list[str]] | None = None,
    factors: tuple[str, ...] = (),
) -> GlmmFit:
    """Fit a binomial or Poisson GLMM by maximum (Laplace or AGQ) likelihood.

    Parameters
    ----------
    data : polars.DataFrame
        Tidy data, one row per observation.
    formula : str
        lme4 syntax, e.g. ``"fell ~ direction * session + (1 | subject) + (1 | item)"``.
    family : {"binomial", "poisson"}
    link : str, optional
        ``"logit"`` (default) or ``"probit"`` for binomial, ``"log"`` for Poisson.
    nAGQ : int
        1: Laplace; > 1: adaptive Gauss-Hermite (one scalar random effect).
    trials : str, optional
        Binomial: column with the number of trials; the response then counts successes (glmer's
        ``cbind(successes, trials - successes)``). Without it the response must be 0/1 (or
        boolean).
    levels, factors
        Factor level orders and numeric columns to treat as factors (sum-to-zero coding).

    Returns
    -------
    GlmmFit
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; use one of {sorted(FAMILIES)}")
    link = link or FAMILIES[family][0]
    if link not in FAMILIES[family]:
        raise ValueError(f"link {link!r} is not available for {family}: {FAMILIES[family]}")
    spec = parse_formula(formula)
    des = build_mixed_design(
        data, spec, levels=levels, factors=factors, extra=(trials,) if trials else ()
    )
    y = des.data[spec.response].cast(pl.Float64).to_numpy()
    if family == "binomial":
        m = des.data[trials].cast(pl.Float64).to_numpy() if trials else np.ones_like(y)
        if np.any((y < 0) | (y > m)) or np.any(y != np.round(y)):
            raise FormulaError(
                f"binomial response '{spec.response}' must be 0/1, or counts between 0 and the "
                "trials column"
            )
        fam = _binomial_logit(y, m) if link == "logit" else _binomial_probit(y, m)
        saturated = float(sps.binom.logpmf(y, m, y / m).sum())
        p0 = np.clip(y.sum() / m.sum(), 1e-3, 1 - 1e-3)
        intercept = special.logit(p0) if link == "logit" else special.ndtri(p0)
    else:
        if np.any(y < 0) or np.any(y != np.round(y)):
            raise FormulaError(f"Poisson response '{spec.response}' must be counts (0, 1, 2, ...)")
        fam = _poisson_log(y)
        saturated = float(sps.poisson.logpmf(y, y).sum())
        intercept = np.log(max(y.mean(), 1e-3))
    problem = Problem((des.x,), np.zeros((des.n, 1)), 1.0, fam, des.re)
    start = np.concatenate([np.zeros(des.x.shape[1]), des.re.theta_start()])
    if "(Intercept)" in des.x_names:
        start[des.x_names.index("(Intercept)")] = intercept
    lower = np.concatenate([np.full(des.x.shape[1], -np.inf), des.re.theta_lower()])
    ev = Evaluator(problem, n_agq=1)
    res = maximise(ev, start, lower, polish=nAGQ == 1)
    if nAGQ > 1:
        ev = Evaluator(problem, n_agq=nAGQ)
        res = maximise(ev, res.par, lower)
    p = des.x.shape[1]
    cov_free = np.linalg.inv(-res.hessian)
    free_idx = np.flatnonzero(res.free)
    vcov = cov_free[np.ix_(free_idx < p, free_idx < p)]
    return GlmmFit(
        formula=spec.formula,
        family=family,
        link=link,
        n_agq=nAGQ,
        design=des,
        beta=res.par[:p],
        theta=res.par[p:],
        vcov=vcov,
        loglik=res.loglik,
        converged=res.converged,
        n_eval=res.n_eval,
        loglik_saturated=saturated,
        trials=trials,
    )


# -- results ---------------------------------------------------------------------------------


def coefficients(fit: GlmmFit, level: float = 0.95) -> pl.DataFrame:
    """Fixed effects with SE, z, p and Wald CI (``summary(glmer)``); for the logit and log
    links also ``ratio`` (odds or rate ratio) with its CI."""
    transform = "exp" if fit.link in ("logit", "log") else None
    return wald_table(fit.x_names, fit.beta, fit.vcov, level, transform=transform)


def variance_components(fit: GlmmFit) -> pl.DataFrame:
    """Random-effect variances, SDs and correlations (``VarCorr``)."""
    return variance_table(fit.design.re, fit.theta)


def _marginal_link(fit: GlmmFit, specs: list[str]):
    grid = reference_grid(fit.design)
    xg = grid_matrix(fit.design, grid)
    marg, w = averaging_matrix(grid, specs, fit.design.coding.levels)
    lmat = w @ xg
    return marg, lmat


def glmm_emmeans(fit: GlmmFit, specs: list[str] | str, level: float = 0.95) -> pl.DataFrame:
    """Estimated marginal means on the response scale (probability or rate) per ``specs``.

    The linear predictor is averaged over the other factors with equal weights (random effects
    0), then back-transformed, as ``emmeans(fit, specs, type = "response")``: ``se`` by the
    delta method, the CI by back-transforming the link-scale CI.

    Returns
    -------
    polars.DataFrame
        ``specs`` columns, ``estimate`` (response scale), ``se``, ``ci_low``, ``ci_high``,
        ``link_estimate``, ``link_se``.
    """
    specs = [specs] if isinstance(specs, str) else list(specs)
    marg, lmat = _marginal_link(fit, specs)
    eta = lmat @ fit.beta
    se_eta = np.sqrt(np.einsum("ij,jk,ik->i", lmat, fit.vcov, lmat))
    crit = sps.norm.ppf(0.5 + level / 2)
    mu, dmu = inverse_link(fit.link, eta)
    lo, _ = inverse_link(fit.link, eta - crit * se_eta)
    hi, _ = inverse_link(fit.link, eta + crit * se_eta)
    out = pl.DataFrame(
        {
            "estimate": mu,
            "se": np.abs(dmu) * se_eta,
            "ci_low": lo,
            "ci_high": hi,
            "link_estimate": eta,
            "link_se": se_eta,
        }
    )
    return pl.concat([marg, out], how="horizontal") if specs else out


def glmm_contrasts(
    fit: GlmmFit, factor: str, by: list[str] | str | None = None, level: float = 0.95
) -> pl.DataFrame:
    """Pairwise contrasts of ``factor``'s levels (``a - b`` for ``a`` before ``b``), within each
    combination of ``by``, on the link scale with z tests; for logit and log links also as odds
    or rate ratios (``emmeans`` ``pairs(..., type = "response")``). No multiplicity adjustment.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    marg, lmat = _marginal_link(fit, [factor, *by])
    levs = fit.design.coding.levels[factor]
    rows, names, by_vals = [], [], []
    keys = [tuple(r) for r in marg.select(by).iter_rows()] if by else [()] * marg.height
    index = {(r[0], keys[i]): i for i, r in enumerate(marg.select(factor).iter_rows())}
    for combo in dict.fromkeys(keys):
        for i, a in enumerate(levs):
            for b in levs[i + 1 :]:
                rows.append(lmat[index[(a, combo)]] - lmat[index[(b, combo)]])
                names.append(f"{a} - {b}")
                by_vals.append(combo)
    cmat = np.array(rows)
    est = cmat @ fit.beta
    vc = cmat @ fit.vcov @ cmat.T
    transform = "exp" if fit.link in ("logit", "log") else None
    table = wald_table(names, est, vc, level, transform=transform).rename({"term": "contrast"})
    if by:
        byframe = pl.DataFrame([list(v) for v in by_vals], schema=by, orient="row")
        table = pl.concat([byframe, table], how="horizontal")
    return table
