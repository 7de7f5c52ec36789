"""Fitting a linear mixed model on lme4's profiled criterion.

The default engine (``engine="lme4"``) minimises lme4's profiled REML/ML deviance in the relative
Cholesky parameters theta (:mod:`analysis.models.deviance`) with a bound-constrained quasi-Newton
search (L-BFGS-B, analytic gradient, theta diagonal >= 0 as in lme4) from lme4's start (theta =
identity relative factor). A solution with a variance at zero is probed by stepping off the
bound. lme4's convergence checks follow (:mod:`analysis.models.convergence`); only when they fail
is a second, derivative-free optimiser (bounded Powell, then L-BFGS-B again) run and the better
solution kept. The messages of the final checks are in ``fit.convergence``.

``engine="statsmodels"`` is the independent cross-check: statsmodels' MixedLM with each of
``optimizers``, every solution scored with the same criterion and polished. Everything
downstream (fixed effects, ``(X'V^-1X)^-1``, variance components, log-likelihood) is computed at
the chosen theta either way.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import polars as pl
import scipy.optimize as so
from threadpoolctl import ThreadpoolController

from analysis.models.convergence import check_convergence
from analysis.models.design import Design, build_design
from analysis.models.deviance import (
    LmmCore,
    richardson_jacobian,
    theta_bounds,
    theta_start,
)
from analysis.models.formula import (
    FormulaError,
    ModelSpec,
    RandomTerm,
    drop_random_term,
    parse_formula,
    replace_random_term,
)

BLAS_THREADS = 1
_THREADPOOLS: ThreadpoolController | None = None


def threadpool_limits(limits: int, user_api: str = "blas"):
    """``threadpoolctl`` limits from one controller that scans the loaded libraries once (a new
    scan for every fit cost about a third of a small model's fitting time)."""
    global _THREADPOOLS
    if _THREADPOOLS is None:
        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS.limit(limits=limits, user_api=user_api)


"""BLAS threads while fitting: the matrices are small, and on a busy machine a multithreaded
BLAS spends more time waking its threads than computing (measured: 2x slower with OpenBLAS on
2 loaded cores)."""

SINGULAR_TOL = 1e-4
"""A relative standard deviation (diagonal of theta) below this is "at the boundary" (lme4's
``isSingular`` default)."""

DEFAULT_OPTIMIZERS = ("lbfgs", "bfgs", "powell", "nm")


@dataclass
class LmmFit:
    """A fitted linear mixed model and everything inference needs.

    Attributes
    ----------
    spec_requested, spec : ModelSpec
        The model asked for and the model used after any singular-fit simplification.
    design : Design
        Matrices, coding, rows used (``design.data``) and rows dropped for missing values.
    theta, sigma, beta : ndarray, float, ndarray
        lme4's relative Cholesky parameters, residual SD and fixed effects.
    vcov_beta : ndarray
        ``sigma^2 (X' V0^-1 X)^-1`` at the fitted variance parameters.
    loglik : float
        REML or ML log-likelihood on lme4's definition.
    singular : bool
        Some relative SD (theta diagonal) is below ``SINGULAR_TOL``; unit-free.
    sm_result : MixedLMResults or None
        statsmodels' best result with ``engine="statsmodels"`` (its estimates are only the
        starting point), else None.
    optimizer : str
        The optimiser whose solution was kept: ``"L-BFGS-B"``, ``"Powell + L-BFGS-B"`` (the
        second optimiser after failed convergence checks) or, with ``engine="statsmodels"``, a
        MixedLM method or ``"default start"``.
    simplification : tuple of str
        Each step taken from the requested to the used random structure.
    convergence : tuple of str
        lme4's convergence messages at the optimum (empty when every check passed): gradient
        (``max|grad|`` of the Hessian-scaled gradient above 0.002), Hessian not positive
        definite, and ``boundary (singular) fit``.
    engine : str
        ``"lme4"`` (default) or ``"statsmodels"``.
    """

    spec_requested: ModelSpec
    spec: ModelSpec
    design: Design
    core: LmmCore
    reml: bool
    theta: np.ndarray
    sigma: float
    beta: np.ndarray
    vcov_beta: np.ndarray
    loglik: float
    singular: bool
    sm_result: object | None
    optimizer: str
    optimizer_logliks: dict[str, float]
    simplification: tuple[str, ...] = ()
    history: tuple[dict, ...] = ()
    notes: tuple[str, ...] = field(default=())
    convergence: tuple[str, ...] = ()
    engine: str = "lme4"
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def formula_requested(self) -> str:
        return self.spec_requested.formula

    @property
    def formula(self) -> str:
        return self.spec.formula

    @property
    def n_obs(self) -> int:
        return self.design.n

    @property
    def n_dropped(self) -> int:
        return self.design.n_dropped

    @property
    def n_groups(self) -> int:
        return self.design.n_groups

    @property
    def x_names(self) -> tuple[str, ...]:
        return self.design.x_names

    @property
    def varpar(self) -> np.ndarray:
        """(theta, sigma): the variance parameters of lmerTest's Satterthwaite method."""
        return np.append(self.theta, self.sigma)

    @property
    def n_params(self) -> int:
        """Parameters counted by R's ``logLik()`` df: fixed effects, theta and sigma."""
        return len(self.beta) + len(self.theta) + 1

    @property
    def aic(self) -> float:
        """AIC from :attr:`loglik` (sum-to-zero coding); R's default coding:
        :func:`analysis.models.conventions.information_criteria`."""
        return -2 * self.loglik + 2 * self.n_params

    @property
    def bic(self) -> float:
        """BIC from :attr:`loglik` with n = number of observations (as lme4)."""
        return -2 * self.loglik + self.n_params * float(np.log(self.n_obs))

    @cached_property
    def vcov_varpar(self) -> np.ndarray:
        """2 H^+ with H the Hessian of the deviance in (theta, sigma); pseudo-inverse over
        eigenvalues > 1e-8 as lmerTest."""
        with threadpool_limits(BLAS_THREADS, user_api="blas"):
            hess = richardson_jacobian(lambda v: self.core.varpar_grad(v, self.reml), self.varpar)
        hess = (hess + hess.T) / 2
        vals, vecs = np.linalg.eigh(hess)
        pos = vals > 1e-8
        return 2 * (vecs[:, pos] / vals[pos]) @ vecs[:, pos].T

    @cached_property
    def jacobian(self) -> np.ndarray:
        """d vcov_beta / d (theta, sigma), shape (k, p, p)."""
        with threadpool_limits(BLAS_THREADS, user_api="blas"):
            return self.core.covbeta_jacobian(self.varpar)

    def relative_covariances(self) -> list[np.ndarray]:
        return self.core.relative_covariances(self.theta)

    def covariances(self) -> list[np.ndarray]:
        """Each random term's covariance matrix on the outcome's scale."""
        return [self.sigma**2 * c for c in self.relative_covariances()]

    def __repr__(self) -> str:
        flag = ", singular" if self.singular else ""
        return (
            f"LmmFit({self.formula!r}, n={self.n_obs}, groups={self.n_groups}, "
            f"{'REML' if self.reml else 'ML'} logLik={self.loglik:.4f}{flag})"
        )


# -- statsmodels --------------------------------------------------------------------------------


def _mixedlm(design: Design):
    import statsmodels.api as sm  # the cross-check engine only: imported when used
    from statsmodels.regression.mixed_linear_model import VCSpec

    tr = design.translation
    re_block = next(
        (
            b
            for b in design.blocks
            if b.term.group == design.group and str(b.term) not in tr.vc_formula
        ),
        None,
    )
    names, colnames, mats = [], [], []
    for b in design.blocks:
        if b is re_block:
            continue
        per_group, per_names = [], []
        for rows in _group_rows(design):
            slots = np.unique(b.slot[rows])
            mat = np.zeros((len(rows), len(slots)))
            for j, s in enumerate(slots):
                mat[:, j] = np.where(b.slot[rows] == s, b.x[rows, 0], 0.0)
            per_group.append(mat)
            per_names.append([f"{b.term}[{s}]" for s in slots])
        names.append(str(b.term))
        colnames.append(per_names)
        mats.append(per_group)
    exog_re = re_block.x if re_block is not None else np.zeros((design.n, 0))
    return sm.MixedLM(
        design.y,
        design.x,
        groups=design.group_codes,
        exog_re=exog_re,
        exog_vc=VCSpec(names, colnames, mats),
    ), re_block


def _group_rows(design: Design) -> list[np.ndarray]:
    return [np.flatnonzero(design.group_codes == k) for k in range(design.n_groups)]


def _theta_from_statsmodels(result, design: Design, re_block, core: LmmCore) -> np.ndarray:
    scale = float(result.scale)
    theta = theta_start(core.layout).copy()
    vc_iter = iter(np.asarray(result.vcomp, dtype=float))
    for k, b in enumerate(design.blocks):
        off = core.layout.offsets[k]
        if b is re_block:
            cov = np.asarray(result.cov_re, dtype=float) / scale
            vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
            cov = (vecs * np.clip(vals, 1e-10, None)) @ vecs.T
            t = np.linalg.cholesky(cov)
            pairs = [(a, c) for c in range(b.q) for a in range(c, b.q)]
            for i, (a, c) in enumerate(pairs):
                theta[off + i] = t[a, c]
        else:
            theta[off] = np.sqrt(max(next(vc_iter), 0.0) / scale)
    return theta


def _run_statsmodels(design: Design, core: LmmCore, reml: bool, optimizers) -> dict:
    out: dict[str, tuple[np.ndarray, float, object]] = {}
    if not optimizers:
        return out
    model, re_block = _mixedlm(design)
    for method in optimizers:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = model.fit(reml=reml, method=method)
            theta = _theta_from_statsmodels(res, design, re_block, core)
            dev = core.deviance(theta, reml)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError, ZeroDivisionError):
            continue
        if np.isfinite(dev):
            out[method] = (theta, dev, res)
    return out


def _step_off_boundary(core: LmmCore, theta: np.ndarray, dev: float, reml: bool, bounds):
    """The deviance is even in each diagonal theta, so theta_ii = 0 is always a stationary point
    and a gradient method that lands there stays; step off the bound when that lowers it."""
    diagonal = np.flatnonzero(core.layout.diagonal)
    for _ in range(2 * len(diagonal) + 1):
        at_zero = [i for i in diagonal if theta[i] <= 1e-10]
        trial = theta.copy()
        moved = False
        for i in at_zero:
            probe = theta.copy()
            probe[i] = 0.05
            if core.deviance(probe, reml) < dev - 1e-10:
                trial[i] = 0.1
                moved = True
        if not moved:
            break
        new_theta, new_dev = _lbfgsb(core, trial, reml, bounds)
        if new_dev >= dev - 1e-10:
            break
        theta, dev = new_theta, new_dev
    return theta, dev


def _clip_to_bounds(theta0: np.ndarray, bounds) -> np.ndarray:
    return np.array(
        [max(t, 0.0) if lo == 0.0 else t for t, (lo, _) in zip(theta0, bounds, strict=True)]
    )


def _polish(core: LmmCore, theta0: np.ndarray, reml: bool) -> tuple[np.ndarray, float]:
    bounds = theta_bounds(core.layout)
    theta, dev = _lbfgsb(core, _clip_to_bounds(theta0, bounds), reml, bounds)
    return _step_off_boundary(core, theta, dev, reml, bounds)


def _lbfgsb(core: LmmCore, theta0: np.ndarray, reml: bool, bounds) -> tuple[np.ndarray, float]:
    res = so.minimize(
        core.deviance_and_grad,
        theta0,
        args=(reml,),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000},
    )
    return res.x, float(res.fun)


def _powell(core: LmmCore, theta0: np.ndarray, reml: bool, bounds) -> tuple[np.ndarray, float]:
    """Derivative-free second optimiser (bounded Powell), polished by L-BFGS-B."""
    upper = [(lo, hi if hi is not None else 1e3) for lo, hi in bounds]
    lower = [(lo if lo is not None else -1e3, hi) for lo, hi in upper]
    res = so.minimize(
        core.deviance,
        _clip_to_bounds(theta0, bounds),
        args=(reml,),
        method="Powell",
        bounds=lower,
        options={"xtol": 1e-8, "ftol": 1e-12, "maxfev": 20000},
    )
    theta, dev = _lbfgsb(core, res.x, reml, bounds)
    return _step_off_boundary(core, theta, dev, reml, bounds)


def optimise_theta(core: LmmCore, reml: bool) -> tuple[np.ndarray, float, str, tuple[str, ...]]:
    """The lme4-criterion optimum from lme4's start, with a second optimiser only when lme4's
    convergence checks fail.

    Returns
    -------
    theta, deviance, optimiser name, convergence messages
    """
    theta, dev = _polish(core, theta_start(core.layout), reml)
    messages = check_convergence(core, theta, reml, SINGULAR_TOL)
    name = "L-BFGS-B"
    if any(not m.startswith("boundary") for m in messages):
        bounds = theta_bounds(core.layout)
        theta2, dev2 = _powell(core, theta, reml, bounds)
        if dev2 < dev - 1e-10:
            theta, dev, name = theta2, dev2, "Powell + L-BFGS-B"
            messages = check_convergence(core, theta, reml, SINGULAR_TOL)
    return theta, dev, name, messages


def _fit_design(
    design: Design, spec_requested: ModelSpec, reml: bool, optimizers, engine: str = "lme4"
) -> LmmFit:
    with threadpool_limits(BLAS_THREADS, user_api="blas"):
        return _fit_design_threads(design, spec_requested, reml, optimizers, engine)


def _fit_design_threads(
    design: Design, spec_requested: ModelSpec, reml: bool, optimizers, engine: str
) -> LmmFit:
    core = LmmCore(design)
    candidates: dict = {}
    if engine == "statsmodels":
        design.translation  # noqa: B018 -- raises FormulaError for what MixedLM cannot fit
        candidates = _run_statsmodels(design, core, reml, optimizers)
        logliks = {name: -dev / 2 for name, (_, dev, _) in candidates.items()}
        starts = [("default start", theta_start(core.layout))]
        if candidates:
            best = min(candidates, key=lambda k: candidates[k][1])
            starts.insert(0, (best, candidates[best][0]))
        polished = [(name, *_polish(core, th, reml)) for name, th in starts]
        name, theta, dev = min(polished, key=lambda t: t[2])
        for cand_name, (cand_theta, cand_dev, _) in candidates.items():
            if cand_dev < dev - 1e-9:
                name, theta, dev = cand_name, cand_theta, cand_dev
        logliks["polished"] = -dev / 2
        messages = check_convergence(core, theta, reml, SINGULAR_TOL)
    elif engine == "lme4":
        theta, dev, name, messages = optimise_theta(core, reml)
        logliks = {name: -dev / 2}
    else:
        raise ValueError(f"engine must be 'lme4' or 'statsmodels', not {engine!r}")
    beta, sigma = core.beta_sigma(theta, reml)
    vcov = core.covbeta(np.append(theta, sigma))
    diag = theta[core.layout.diagonal]
    sm_result = (
        candidates[name][2]
        if name in candidates
        else (
            candidates[min(candidates, key=lambda k: candidates[k][1])][2] if candidates else None
        )
    )
    return LmmFit(
        spec_requested=spec_requested,
        spec=design.spec,
        design=design,
        core=core,
        reml=reml,
        theta=theta,
        sigma=sigma,
        beta=beta,
        vcov_beta=vcov,
        loglik=-dev / 2,
        singular=bool(np.any(diag < SINGULAR_TOL)),
        sm_result=sm_result,
        optimizer=name,
        optimizer_logliks=logliks,
        convergence=messages,
        engine=engine,
    )


# -- singular fits --------------------------------------------------------------------------------


def singular_terms(fit: LmmFit) -> list[RandomTerm]:
    """Random terms with a relative SD (theta diagonal) below ``SINGULAR_TOL``."""
    out = []
    lay = fit.core.layout
    for k, b in enumerate(fit.design.blocks):
        n = b.q * (b.q + 1) // 2
        idx = np.arange(lay.offsets[k], lay.offsets[k] + n)
        if np.any(fit.theta[idx][lay.diagonal[idx]] < SINGULAR_TOL):
            out.append(b.term)
    return out


def _uncorrelated(term: RandomTerm, design: Design) -> list[RandomTerm]:
    group = term.group
    out = [RandomTerm(group, True, ())]
    for s in term.slopes:
        if design.coding.is_factor(s):
            out.append(RandomTerm((*group, s), True, ()))
        else:
            out.append(RandomTerm(group, False, (s,)))
    return out


def simplify_step(fit: LmmFit) -> tuple[ModelSpec, str] | None:
    """One step of the documented simplification path for a singular fit, or ``None``.

    1. A singular term with correlated effects, ``(1 + f + x | g)``, is replaced by independent
       terms ``(1 | g) + (1 | g:f) + (0 + x | g)`` (a factor slope becomes a nested intercept).
    2. Otherwise the zero-variance term that is most deeply nested (then: slopes before
       intercepts, later terms first) is dropped.
    3. The last random term is never dropped; the fit then stays flagged as singular.
    """
    terms = singular_terms(fit)
    if not terms:
        return None
    correlated = [t for t in terms if len(fit.design.blocks[_block_index(fit, t)].columns) > 1]
    if correlated:
        term = correlated[0]
        new = _uncorrelated(term, fit.design)
        spec = replace_random_term(fit.spec, term, new)
        note = (
            f"{term} is singular (a variance at 0 or a correlation at +-1): replaced by "
            + " + ".join(str(t) for t in new)
        )
        return spec, note
    if len(fit.spec.random) <= 1:
        return None
    order = sorted(
        terms,
        key=lambda t: (-len(t.group), t.intercept, -fit.spec.random.index(t)),
    )
    term = order[0]
    return drop_random_term(fit.spec, term), f"{term} has variance 0: dropped"


def _block_index(fit: LmmFit, term: RandomTerm) -> int:
    return next(i for i, b in enumerate(fit.design.blocks) if b.term == term)


# -- public -------------------------------------------------------------------------------------


def fit_lmm(
    data: pl.DataFrame,
    formula: str | ModelSpec,
    *,
    reml: bool = True,
    engine: str = "lme4",
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS,
    simplify_singular: bool = True,
    levels: dict[str, list[str]] | None = None,
    factors: tuple[str, ...] = (),
) -> LmmFit:
    """Fit an lme4-style linear mixed model.

    Parameters
    ----------
    data : polars.DataFrame or pandas.DataFrame
        Tidy data; rows with a missing value in any model variable are dropped (counted in
        ``fit.n_dropped``).
    formula : str or ModelSpec
        lme4 syntax, e.g. ``"value ~ direction * session + (1 + direction | subject)"``.
    reml : bool
        REML (default) or maximum likelihood.
    engine : {"lme4", "statsmodels"}
        ``"lme4"`` (default): L-BFGS-B on lme4's profiled criterion from lme4's start, a second
        optimiser only when the convergence checks fail. ``"statsmodels"``: MixedLM with each of
        ``optimizers`` as starting points (the independent cross-check; nested designs only).
    optimizers : tuple of str
        MixedLM optimisers (``engine="statsmodels"`` only); the solution with the best lme4
        criterion is kept and polished. Refits along the singular-fit simplification path use
        the first one only.
    simplify_singular : bool
        On a singular fit, simplify the random part along :func:`simplify_step`'s path.
    levels : dict, optional
        Level order per factor (default: Enum order, forward/backward, then first appearance).
    factors : tuple of str
        Numeric columns to treat as factors.

    Returns
    -------
    LmmFit

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(1)
    >>> subj = np.repeat(np.arange(8), 4)
    >>> df = pl.DataFrame({"subject": subj.astype(str),
    ...                    "direction": ["forward", "backward"] * 16,
    ...                    "value": rng.normal(size=32) + rng.normal(size=8)[subj]})
    >>> fit = fit_lmm(df, "value ~ direction + (1 | subject)")
    >>> fit.x_names, fit.n_obs
    (('(Intercept)', 'direction1'), 32)
    """
    if not isinstance(data, pl.DataFrame):
        data = pl.from_pandas(data)
    spec0 = parse_formula(formula) if isinstance(formula, str) else formula
    spec = spec0
    steps: list[str] = []
    history: list[dict] = []
    seen: set[str] = set()
    while True:
        design = build_design(data, spec, levels=levels, factors=factors)
        # With engine="statsmodels", simplified refits start MixedLM with the first optimiser
        # only; the lme4-criterion polish (also from lme4's default start) decides either way.
        fit = _fit_design(
            design, spec0, reml, optimizers if not history else optimizers[:1], engine
        )
        history.append({"formula": spec.formula, "loglik": fit.loglik, "singular": fit.singular})
        seen.add(spec.formula)
        if not (simplify_singular and fit.singular):
            break
        step = simplify_step(fit)
        if step is None or step[0].formula in seen:
            break
        spec, note = step
        steps.append(note)
        try:
            build_design(data, spec, levels=levels, factors=factors)
        except FormulaError as err:
            steps.append(f"stopped: {err}")
            break
    fit.simplification = tuple(steps)
    fit.history = tuple(history)
    return fit


def refit(fit: LmmFit, *, reml: bool) -> LmmFit:
    """The same model (as used, no further simplification) with REML or ML."""
    if fit.reml == reml:
        return fit
    new = _fit_design(fit.design, fit.spec_requested, reml, DEFAULT_OPTIMIZERS[:1], fit.engine)
    new.simplification = fit.simplification
    return new
