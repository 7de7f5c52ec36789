"""Cumulative-link mixed models for ordinal outcomes (pain ratings), as R's ``ordinal::clmm``.

The model, for observation ``i`` in category ``Y_i`` of ``K`` ordered categories, is

``P(Y_i <= j | b) = F(theta_j - x_i'beta - z_i'b)``,  ``j = 1..K-1``,  ``b ~ N(0, Sigma)``,

with flexible thresholds ``theta_j``, ``F`` the logistic (``link="logit"``, proportional odds) or
normal (``"probit"``) distribution function and random intercepts and slopes as in lme4
formulas. A positive ``beta`` moves ratings up; ``exp(beta)`` is the odds ratio of a higher
rating (any cut point) for the logit link.

The likelihood is integrated over the random effects by the Laplace approximation at each
level's conditional mode (``nAGQ=1``) or, for one scalar random effect, adaptive Gauss-Hermite
quadrature (``nAGQ > 1``), both as in clmm (observed curvature). Standard errors come from the
Hessian of the approximated log-likelihood in all parameters.

Estimated marginal probabilities (:func:`clmm_emmeans`) are computed at ``b = 0`` (the median
subject, on the latent scale), then averaged over the other factors with equal weights, which is
what ``emmeans(clmm_fit, ~ direction, mode = "prob")`` does. They are not population-averaged
probabilities (those are flatter: averaging over ``b`` pulls them towards the marginal rating
distribution).

Examples
--------
>>> import numpy as np, polars as pl
>>> rng = np.random.default_rng(1)
>>> subj = np.repeat(np.arange(20), 8)
>>> back = np.tile([0, 1], 80)
>>> lat = 0.8 * back + rng.normal(0, 1, 20)[subj] + rng.logistic(size=160)
>>> y = np.digitize(lat, [-1.0, 0.0, 1.0])
>>> df = pl.DataFrame({"pain": y, "direction": np.where(back, "backward", "forward"),
...                    "subject": [f"s{s}" for s in subj]})
>>> fit = fit_clmm(df, "pain ~ direction + (1 | subject)")
>>> fit.threshold_names
('0|1', '1|2', '2|3')
>>> coefficients(fit)["term"].to_list()[-1]
'direction1'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats as sps

from analysis.models.formula import FormulaError, parse_formula
from analysis.models.laplace import Evaluator, ObsTerms, Problem, maximise
from analysis.models.links import Link, get_link
from analysis.models.mixed_common import (
    averaging_matrix,
    grid_matrix,
    reference_grid,
    variance_table,
    wald_table,
)
from analysis.models.re_design import MixedDesign, build_mixed_design

_BIG = 1e4  # stands in for +-infinity beyond the first and the last threshold


def cumulative_family(link: Link):
    """Per-observation log-likelihood ``log(F(a) - F(b))`` of the upper and lower predictors
    ``eta = (a, b)`` with derivatives up to the third order (observed curvature)."""

    def family(eta: np.ndarray, order: int = 2) -> ObsTerms:
        a, b = eta[:, 0], eta[:, 1]
        prob = np.where(b > 0, link.sf(b) - link.sf(a), link.cdf(a) - link.cdf(b))
        prob = np.maximum(prob, 1e-300)
        if order == 0:
            return ObsTerms(np.log(prob))
        fa, fb = link.pdf(a), link.pdf(b)
        f1a, f1b = link.dpdf(a), link.dpdf(b)
        p1, p2 = fa - fb, f1a - f1b
        g = np.column_stack([fa / prob, -fb / prob])
        w = (p1 / prob) ** 2 - p2 / prob
        if order == 1:
            return ObsTerms(np.log(prob), g, None, w)
        f2a, f2b = link.d2pdf(a), link.d2pdf(b)
        h = np.empty((a.size, 2, 2))
        h[:, 0, 0] = f1a / prob - (fa / prob) ** 2
        h[:, 1, 1] = -f1b / prob - (fb / prob) ** 2
        h[:, 0, 1] = h[:, 1, 0] = fa * fb / prob**2
        r1, r2, r3 = p1 / prob**2, p1**2 / prob**3, p2 / prob**2
        dwa = 2 * r1 * f1a - 2 * r2 * fa - f2a / prob + r3 * fa
        dwb = -2 * r1 * f1b + 2 * r2 * fb + f2b / prob - r3 * fb
        return ObsTerms(np.log(prob), g, h, w, np.column_stack([dwa, dwb]), observed=True)

    return family


@dataclass
class ClmmFit:
    """A fitted cumulative-link mixed model.

    ``vcov`` covers ``(thresholds, beta)`` in that order; ``theta`` holds the lower triangles of
    the random-effect covariance factors (SDs for scalar terms).
    """

    formula: str
    link: str
    n_agq: int
    design: MixedDesign
    categories: tuple[str, ...]
    scores: np.ndarray
    thresholds: np.ndarray
    beta: np.ndarray
    theta: np.ndarray
    vcov: np.ndarray
    loglik: float
    converged: bool
    n_eval: int
    ranef: np.ndarray

    @property
    def threshold_names(self) -> tuple[str, ...]:
        c = self.categories
        return tuple(f"{c[j]}|{c[j + 1]}" for j in range(len(c) - 1))

    @property
    def x_names(self) -> tuple[str, ...]:
        return tuple(n for n in self.design.x_names if n != "(Intercept)")

    @property
    def n_obs(self) -> int:
        return self.design.n

    @property
    def n_par(self) -> int:
        return self.thresholds.size + self.beta.size + self.theta.size

    @property
    def aic(self) -> float:
        return 2 * self.n_par - 2 * self.loglik

    @property
    def method(self) -> str:
        return "Laplace" if self.n_agq == 1 else f"adaptive Gauss-Hermite, {self.n_agq} nodes"


def _categories(y: pl.Series, given: list[str] | None) -> tuple[list[str], np.ndarray]:
    values = y.drop_nulls()
    if given is not None:
        cats = [str(v) for v in given]
    elif values.dtype.is_numeric():
        cats = [str(v) for v in sorted(values.unique().to_list())]
    elif isinstance(values.dtype, pl.Enum):
        cats = [str(v) for v in values.dtype.categories.to_list()]
    else:
        raise FormulaError(
            f"ordinal response '{y.name}' is text: give its order with response_levels=[...]"
        )
    present = set(values.cast(pl.String).unique().to_list())
    cats = [c for c in cats if c in present]
    if len(cats) < 3:
        raise FormulaError(
            f"ordinal response '{y.name}' has {len(cats)} observed categories; a cumulative-link "
            "model needs at least 3 (use fit_glmm(..., family='binomial') for 2)"
        )
    try:
        scores = np.array([float(c) for c in cats])
    except ValueError:
        scores = np.arange(1.0, len(cats) + 1)
    return cats, scores


def _no_finite_estimates(n: int, k: int, n_params: int) -> ArithmeticError:
    """The error of a likelihood with no finite maximum (separated ratings)."""
    return ArithmeticError(
        f"the cumulative link model has no finite estimates: the fixed effects separate the "
        f"ratings ({n} ratings in {k} categories for {n_params} thresholds and coefficients), "
        "so some probabilities are driven to 0 or 1 (R's clmm gives undefined standard errors "
        "for such data); collect more ratings per condition, merge sparse categories or "
        "simplify the formula"
    )


def fit_clmm(
    data: pl.DataFrame,
    formula: str,
    link: str = "logit",
    nAGQ: int = 1,  # noqa: N803 (R's name)
    *,
    levels: dict[str, list[str]] | None = None,
    factors: tuple[str, ...] = (),
    response_levels: list[str] | None = None,
) -> ClmmFit:
    """Fit a cumulative-link mixed model by maximum (Laplace or AGQ) likelihood.

    Parameters
    ----------
    data : polars.DataFrame
        Tidy data, one row per rating.
    formula : str
        lme4 syntax, e.g. ``"pain ~ direction * session * group + (1 | subject)"``. The
        response is numeric (categories are its observed values in increasing order) or text
        with ``response_levels``; unobserved categories are dropped as R's ``factor`` does.
    link : {"logit", "probit"}
    nAGQ : int
        1: Laplace; > 1: adaptive Gauss-Hermite with this many nodes (one scalar random effect).
    levels, factors
        Factor level orders and numeric columns to treat as factors (sum-to-zero coding).
    response_levels : list of str, optional
        Order of the response categories.

    Returns
    -------
    ClmmFit
    """
    spec = parse_formula(formula)
    lk = get_link(link)
    des = build_mixed_design(data, spec, levels=levels, factors=factors)
    cats, scores = _categories(des.data[spec.response], response_levels)
    yidx = np.array(
        [cats.index(v) for v in des.data[spec.response].cast(pl.String).to_list()], dtype=int
    )
    k = len(cats)
    x = des.x[:, [i for i, n in enumerate(des.x_names) if n != "(Intercept)"]]
    n = des.n
    ja, jb = np.zeros((n, k - 1)), np.zeros((n, k - 1))
    top, bottom = yidx == k - 1, yidx == 0
    ja[~top, yidx[~top]] = 1.0
    jb[~bottom, yidx[~bottom] - 1] = 1.0
    offset = np.column_stack([np.where(top, _BIG, 0.0), np.where(bottom, -_BIG, 0.0)])
    problem = Problem(
        (np.hstack([ja, -x]), np.hstack([jb, -x])), offset, -1.0, cumulative_family(lk), des.re
    )
    cum = np.cumsum(np.bincount(yidx, minlength=k))[:-1] / n
    start = np.concatenate([lk.quantile(cum), np.zeros(x.shape[1]), des.re.theta_start()])
    lower = np.concatenate([np.full(k - 1 + x.shape[1], -np.inf), des.re.theta_lower()])
    npsi = k - 1 + x.shape[1]
    try:
        # separated ratings overflow on the way: reported below as having no finite estimates
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            ev = Evaluator(problem, n_agq=1)
            res = maximise(ev, start, lower, polish=nAGQ == 1)
            if nAGQ > 1:
                ev = Evaluator(problem, n_agq=nAGQ)
                res = maximise(ev, res.par, lower)
        cov_free = np.linalg.inv(-res.hessian)
    except (ValueError, np.linalg.LinAlgError) as err:
        raise _no_finite_estimates(n, k, npsi) from err
    if not (np.all(np.isfinite(res.par)) and np.all(np.isfinite(cov_free))):
        raise _no_finite_estimates(n, k, npsi)
    free_idx = np.flatnonzero(res.free)
    vcov = cov_free[np.ix_(free_idx < npsi, free_idx < npsi)]
    u = ev.u
    ranef = _ranef(des, res.par[npsi:], u)
    return ClmmFit(
        formula=spec.formula,
        link=link,
        n_agq=nAGQ,
        design=des,
        categories=tuple(cats),
        scores=scores,
        thresholds=res.par[: k - 1],
        beta=res.par[k - 1 : npsi],
        theta=res.par[npsi:],
        vcov=vcov,
        loglik=res.loglik,
        converged=res.converged,
        n_eval=res.n_eval,
        ranef=ranef,
    )


def _ranef(des: MixedDesign, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Conditional modes of the random effects ``b = Lambda u`` (term by term, level-major)."""
    out = []
    for t, tm in zip(des.re.terms, des.re.factors(theta), strict=True):
        ut = u[t.offset : t.offset + t.r * t.n_levels].reshape(t.n_levels, t.r)
        out.append((ut @ tm.T).ravel())
    return np.concatenate(out) if out else np.zeros(0)


# -- results --------------------------------------------------------------------------------------


def coefficients(fit: ClmmFit, level: float = 0.95) -> pl.DataFrame:
    """Thresholds and location coefficients with SE, z, p and Wald CI (``summary(clmm)``);
    ``kind`` says which is which."""
    names = [*fit.threshold_names, *fit.x_names]
    est = np.concatenate([fit.thresholds, fit.beta])
    kinds = ["threshold"] * fit.thresholds.size + ["location"] * fit.beta.size
    return wald_table(names, est, fit.vcov, level).with_columns(kind=pl.Series(kinds))


def odds_ratios(fit: ClmmFit, level: float = 0.95) -> pl.DataFrame:
    """Cumulative odds ratios ``exp(beta)`` of a higher rating with Wald CIs (logit link)."""
    if fit.link != "logit":
        raise ValueError("odds ratios need the logit link; report coefficients for probit")
    nt = fit.thresholds.size
    return wald_table(fit.x_names, fit.beta, fit.vcov[nt:, nt:], level, transform="exp")


def variance_components(fit: ClmmFit) -> pl.DataFrame:
    """Random-effect variances, SDs and correlations (``VarCorr``)."""
    return variance_table(fit.design.re, fit.theta)


def _cell_cumulative(fit: ClmmFit, xg: np.ndarray):
    """Cumulative probabilities P(Y <= j) per grid cell with their (alpha, beta) gradients."""
    lk = get_link(fit.link)
    xb = xg @ fit.beta
    lin = fit.thresholds[None, :] - xb[:, None]  # cells x (K-1)
    gam = lk.cdf(lin)
    dens = lk.pdf(lin)
    nt, p = fit.thresholds.size, fit.beta.size
    ncell = xg.shape[0]
    jac = np.zeros((ncell, nt, nt + p))
    for j in range(nt):
        jac[:, j, j] = dens[:, j]
        jac[:, j, nt:] = -dens[:, j : j + 1] * xg
    return gam, jac


def clmm_emmeans(
    fit: ClmmFit,
    specs: list[str] | str,
    mode: str = "prob",
    level: float = 0.95,
    scores: np.ndarray | None = None,
) -> pl.DataFrame:
    """Estimated marginal probabilities or mean rating per combination of ``specs``.

    Computed for the median subject (random effects 0) in every cell of the reference grid,
    then averaged over the factors not in ``specs`` with equal weights, with delta-method SEs
    and Wald CIs on the probability scale, as ``emmeans(fit, specs, mode = ...)``.

    Parameters
    ----------
    fit : ClmmFit
    specs : list of str
        Factors of the table, e.g. ``["direction", "session", "group"]``.
    mode : {"prob", "ge", "cum.prob", "mean"}
        ``"prob"``: P(Y = k) per category; ``"ge"``: P(Y >= k) for every category but the
        first (emmeans' ``exc.prob`` for the cut below k); ``"cum.prob"``: P(Y <= k) for every
        category but the last; ``"mean"``: the model-implied mean rating ``sum_k s_k P(Y = k)``
        with scores ``s`` (the numeric category values, else 1..K: emmeans' ``mean.class``).
    level : float
    scores : array, optional
        Category scores for ``mode="mean"``.

    Returns
    -------
    polars.DataFrame
        ``specs`` columns, ``category`` (absent for ``"mean"``), ``estimate``, ``se``,
        ``ci_low``, ``ci_high``.
    """
    specs = [specs] if isinstance(specs, str) else list(specs)
    grid = reference_grid(fit.design)
    xg = grid_matrix(fit.design, grid)
    xg = xg[:, [i for i, n in enumerate(fit.design.x_names) if n != "(Intercept)"]]
    gam, jac = _cell_cumulative(fit, xg)
    ncell, nt = gam.shape
    k = nt + 1
    # category probabilities per cell: p_k = gamma_k - gamma_{k-1}
    cum = np.concatenate([np.zeros((ncell, 1)), gam, np.ones((ncell, 1))], axis=1)
    jcum = np.concatenate(
        [np.zeros((ncell, 1, jac.shape[2])), jac, np.zeros((ncell, 1, jac.shape[2]))], axis=1
    )
    prob, jprob = np.diff(cum, axis=1), np.diff(jcum, axis=1)
    cats = list(fit.categories)
    if mode == "prob":
        val, jv, labels = prob, jprob, cats
    elif mode == "cum.prob":
        val, jv, labels = gam, jac, cats[:-1]
    elif mode == "ge":
        val, jv, labels = 1.0 - gam, -jac, cats[1:]
    elif mode == "mean":
        s = fit.scores if scores is None else np.asarray(scores, dtype=float)
        val = (prob @ s)[:, None]
        jv = np.einsum("ckp,k->cp", jprob, s)[:, None, :]
        labels = [None]
    else:
        raise ValueError(f"unknown mode {mode!r}; use prob, ge, cum.prob or mean")
    marg, w = averaging_matrix(grid, specs, fit.design.coding.levels)
    est = np.einsum("mc,ck->mk", w, val)
    jm = np.einsum("mc,ckp->mkp", w, jv)
    se = np.sqrt(np.einsum("mkp,pq,mkq->mk", jm, fit.vcov, jm))
    crit = sps.norm.ppf(0.5 + level / 2)
    nk = len(labels)
    out = marg.select(pl.all().repeat_by(nk).explode()) if specs else None
    frame = {
        "estimate": est.ravel(),
        "se": se.ravel(),
        "ci_low": (est - crit * se).ravel(),
        "ci_high": (est + crit * se).ravel(),
    }
    if mode != "mean":
        frame = {"category": labels * marg.height, **frame}
    res = pl.DataFrame(frame)
    del k
    return pl.concat([out, res], how="horizontal") if out is not None else res
