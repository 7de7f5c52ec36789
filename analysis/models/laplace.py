"""Marginal likelihood of a mixed model with non-Gaussian response: Laplace and adaptive GHQ.

The model is described by a :class:`Problem`: ``K`` linear predictors per observation

``eta_k = A_k psi + offset_k + sign * s``,  ``s = Z Lambda(theta) u``,  ``u ~ N(0, I)``,

and a per-observation log-likelihood of the ``eta_k`` (:class:`ObsTerms`). A GLMM has ``K = 1``
(``eta = X beta + Z b``); a cumulative-link model has ``K = 2`` (the upper and lower threshold of
the observed category, ``eta = theta_j - x'beta - z'b``, so ``sign = -1``).

The Laplace approximation to the log-likelihood is

``L = sum_i l_i(u_hat) - u_hat'u_hat / 2 - log det(I + Lambda'Z' W Z Lambda) / 2``

at the conditional mode ``u_hat`` (Newton iterations with step halving). ``W`` is the curvature
of ``l`` in ``s``: the observed one for ordinal::clmm, the expected (Fisher, PIRLS) one for
lme4::glmer, which differ for non-canonical links (binomial probit). Its gradient in
``(psi, theta)`` is analytic (implicit differentiation through ``u_hat``, with the third
derivatives of ``l``); the Hessian for the standard errors is a central difference of that
gradient, as R takes one of the objective (numDeriv / deriv12).

For a single scalar random effect, adaptive Gauss-Hermite quadrature with ``n_agq`` nodes per
group is centred at ``u_hat`` with scale ``1 / sqrt(H_gg)`` (``n_agq = 1`` is Laplace).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

from analysis.models.quadrature import gauss_hermite
from analysis.models.re_design import ReStructure, tril_indices


@dataclass
class ObsTerms:
    """Per-observation log-likelihood and derivatives in the linear predictors.

    ``ll`` (n), ``g`` (n x K) first derivatives, ``h`` (n x K x K) second derivatives, ``w`` (n)
    the curvature used in the log-determinant and ``dw`` (n x K) its derivatives. ``observed``
    says whether ``w`` equals ``-sum(h)`` (then the Newton and the Laplace matrices agree).
    A family called with ``order=0`` fills only ``ll``, with ``order=1`` also ``g`` and ``w``.
    """

    ll: np.ndarray
    g: np.ndarray | None = None
    h: np.ndarray | None = None
    w: np.ndarray | None = None
    dw: np.ndarray | None = None
    observed: bool = True


Family = Callable[[np.ndarray, int], ObsTerms]


@dataclass(frozen=True)
class Problem:
    """Everything the likelihood needs: linear-predictor matrices, offsets, family, design."""

    a: tuple[np.ndarray, ...]
    offset: np.ndarray
    sign: float
    family: Family
    re: ReStructure

    @property
    def p(self) -> int:
        return self.a[0].shape[1]

    @property
    def n_par(self) -> int:
        return self.p + self.re.n_theta

    def eta(self, psi: np.ndarray, s: np.ndarray) -> np.ndarray:
        base = np.column_stack([ak @ psi for ak in self.a]) + self.offset
        return base + self.sign * s[:, None]


def _cross(zl: np.ndarray, cols: np.ndarray, w: np.ndarray, q: int) -> np.ndarray:
    """``I + (Z Lambda)' diag(w) (Z Lambda)`` as a dense q x q matrix."""
    vals = (w[:, None, None] * zl[:, :, None] * zl[:, None, :]).ravel()
    idx = (cols[:, :, None] * q + cols[:, None, :]).ravel()
    out = np.bincount(idx, weights=vals, minlength=q * q).reshape(q, q)
    out[np.diag_indices(q)] += 1.0
    return out


def _tmul(zl: np.ndarray, cols: np.ndarray, v: np.ndarray, q: int) -> np.ndarray:
    """``(Z Lambda)' v``."""
    return np.bincount(cols.ravel(), weights=(zl * v[:, None]).ravel(), minlength=q)


def _mul(zl: np.ndarray, cols: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``(Z Lambda) u``."""
    return (zl * u[cols]).sum(axis=1)


class Evaluator:
    """Laplace / AGQ objective of one :class:`Problem`, warm-starting the conditional modes."""

    def __init__(self, problem: Problem, n_agq: int = 1, tol: float = 1e-10):
        self.pb = problem
        self.n_agq = n_agq
        self.tol = tol
        self.cols = problem.re.cols
        self.q = problem.re.q
        self.u = np.zeros(self.q)
        self.n_eval = 0
        if n_agq > 1:
            terms = problem.re.terms
            if len(terms) != 1 or terms[0].r != 1:
                raise ValueError("adaptive quadrature (nAGQ > 1) needs one scalar random effect")

    def split(self, par: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return par[: self.pb.p], par[self.pb.p :]

    # -- conditional modes --------------------------------------------------------------------

    def mode(self, psi: np.ndarray, zl: np.ndarray, u0: np.ndarray | None = None):
        """Conditional mode ``u_hat`` and the observation terms there."""
        pb, cols, q = self.pb, self.cols, self.q
        u = self.u.copy() if u0 is None else u0.copy()
        if not np.all(np.isfinite(u)):
            u = np.zeros(q)

        def penalised(u):
            s = _mul(zl, cols, u)
            ot = pb.family(pb.eta(psi, s), 1)
            return ot.ll.sum() - 0.5 * u @ u, ot

        f, ot = penalised(u)
        for _ in range(200):
            score = pb.sign * _tmul(zl, cols, ot.g.sum(axis=1), q) - u
            if np.max(np.abs(score), initial=0.0) < self.tol:
                break
            step = self._newton_step(zl, np.maximum(ot.w, 0.0), score)
            t = 1.0
            for _ in range(40):
                f_new, ot_new = penalised(u + t * step)
                if f_new >= f - 1e-12 * abs(f):
                    break
                t /= 2
            else:
                break
            u, f, ot = u + t * step, f_new, ot_new
            if t * np.max(np.abs(step)) < 1e-14:
                break
        return u, ot

    def _newton_step(self, zl: np.ndarray, w: np.ndarray, score: np.ndarray) -> np.ndarray:
        terms = self.pb.re.terms
        if len(terms) == 1 and terms[0].r == 1:  # diagonal: one scalar random effect
            hdiag = 1.0 + np.bincount(terms[0].codes, weights=w * zl[:, 0] ** 2, minlength=self.q)
            return score / hdiag
        hmat = _cross(zl, self.cols, w, self.q)
        return linalg.cho_solve(linalg.cho_factor(hmat), score)

    # -- Laplace ------------------------------------------------------------------------------

    def laplace(self, par: np.ndarray, grad: bool = True):
        """Laplace log-likelihood (and its gradient) at ``par = (psi, theta)``."""
        self.n_eval += 1
        pb, cols, q, re = self.pb, self.cols, self.q, self.pb.re
        psi, theta = self.split(par)
        zl = re.zl(theta)
        u, ot = self.mode(psi, zl)
        if not np.all(np.isfinite(ot.ll)):
            return (-np.inf, np.full(par.size, np.nan)) if grad else -np.inf
        self.u = u
        if grad:
            ot = pb.family(pb.eta(psi, _mul(zl, cols, u)), 2)
        hmat = _cross(zl, cols, ot.w, q)
        chol = linalg.cho_factor(hmat, lower=True)
        logdet = 2.0 * np.sum(np.log(np.diag(chol[0])))
        value = ot.ll.sum() - 0.5 * u @ u - 0.5 * logdet
        if not grad:
            return value
        sg = pb.sign
        lt = ot.g.sum(axis=1)
        ltt = ot.h.sum(axis=(1, 2))
        dt = ot.dw.sum(axis=1)
        hinv = linalg.cho_solve(chol, np.eye(q))
        hg = hinv[cols[:, :, None], cols[:, None, :]]
        b_own = np.einsum("ij,ijk->ik", zl, hg)
        lev = np.einsum("ik,ik->i", b_own, zl)
        if ot.observed:
            hobs_inv = hinv
        else:
            hobs = _cross(zl, cols, -ltt, q)
            hobs_inv = linalg.cho_solve(linalg.cho_factor(hobs), np.eye(q))
        c = sg * lev * dt
        rho = hobs_inv @ _tmul(zl, cols, c, q)
        zrho = _mul(zl, cols, rho)
        # psi
        v = sg * zrho
        g_psi = np.zeros(pb.p)
        hsum = ot.h.sum(axis=1)  # sum over k of h_kl -> n x K (index l)
        for k, ak in enumerate(pb.a):
            g_psi += ak.T @ (ot.g[:, k] - 0.5 * lev * ot.dw[:, k] - 0.5 * v * hsum[:, k])
        # theta
        g_theta = np.zeros(re.n_theta)
        coef = sg * lt - 0.5 * c - 0.5 * zrho * ltt
        u_own, rho_own = u[cols], rho[cols]
        for t, tsl, csl in zip(re.terms, re.theta_slices(), re.col_slices(), strict=True):
            xt = t.x
            gm = (
                xt.T @ (coef[:, None] * u_own[:, csl])
                - xt.T @ (ot.w[:, None] * b_own[:, csl])
                - 0.5 * sg * xt.T @ (lt[:, None] * rho_own[:, csl])
            )
            g_theta[tsl] = gm[tril_indices(t.r)]
        return value, np.concatenate([g_psi, g_theta])

    # -- adaptive Gauss-Hermite ----------------------------------------------------------------

    def agq(self, par: np.ndarray) -> float:
        """Adaptive Gauss-Hermite log-likelihood (one scalar random effect)."""
        self.n_eval += 1
        pb, q = self.pb, self.q
        psi, theta = self.split(par)
        term = pb.re.terms[0]
        zl = pb.re.zl(theta)
        u, ot = self.mode(psi, zl)
        if not np.all(np.isfinite(ot.ll)):
            return -np.inf
        self.u = u
        codes = term.codes
        hdiag = 1.0 + np.bincount(codes, weights=ot.w * zl[:, 0] ** 2, minlength=q)
        scale = np.sqrt(2.0 / hdiag)
        nodes, weights = gauss_hermite(self.n_agq)
        ll_nodes = np.empty((q, nodes.size))
        for k, x in enumerate(nodes):
            uk = u + scale * x
            s = zl[:, 0] * uk[codes]
            ll = pb.family(pb.eta(psi, s), 0).ll
            ll_nodes[:, k] = np.bincount(codes, weights=ll, minlength=q) - 0.5 * uk**2
        log_terms = ll_nodes + np.log(weights)[None, :] + nodes[None, :] ** 2
        per_group = np.logaddexp.reduce(log_terms, axis=1) + np.log(scale) - 0.5 * np.log(2 * np.pi)
        return float(per_group.sum())

    # -- objective for the optimiser ------------------------------------------------------------

    def objective(self, par: np.ndarray) -> tuple[float, np.ndarray]:
        """Negative log-likelihood and its gradient (numerical for AGQ)."""
        if self.n_agq == 1:
            val, g = self.laplace(par)
            if not np.isfinite(val):
                return 1e300, np.zeros_like(par)
            return -val, -g
        return -self.agq(par), -numerical_gradient(self.agq, par)

    def hessian(self, par: np.ndarray, free: np.ndarray) -> np.ndarray:
        """Hessian of the log-likelihood over the ``free`` parameters."""
        if self.n_agq == 1:
            return hessian(self.gradient, par, free)
        return hessian_from_values(self.loglik, par, free)

    def loglik(self, par: np.ndarray) -> float:
        return self.laplace(par, grad=False) if self.n_agq == 1 else self.agq(par)

    def gradient(self, par: np.ndarray) -> np.ndarray:
        if self.n_agq == 1:
            return self.laplace(par)[1]
        return numerical_gradient(self.agq, par)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central differences of a scalar function."""
    g = np.empty(x.size)
    for i in range(x.size):
        h = 1e-5 * max(1.0, abs(x[i]))
        e = np.zeros(x.size)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def hessian_from_values(f: Callable[[np.ndarray], float], x: np.ndarray, free: np.ndarray):
    """Central second differences of a scalar function over the ``free`` coordinates."""
    idx = np.flatnonzero(free)
    k = idx.size
    step = np.array([1e-4 * max(1.0, abs(x[i])) for i in idx])
    f0 = f(x)
    out = np.empty((k, k))

    def at(*moves):
        y = x.copy()
        for i, s in moves:
            y[idx[i]] += s * step[i]
        return f(y)

    for a in range(k):
        out[a, a] = (at((a, 1)) - 2 * f0 + at((a, -1))) / step[a] ** 2
        for b in range(a):
            v = (
                at((a, 1), (b, 1))
                - at((a, 1), (b, -1))
                - at((a, -1), (b, 1))
                + at((a, -1), (b, -1))
            ) / (4 * step[a] * step[b])
            out[a, b] = out[b, a] = v
    return out


def hessian(
    grad: Callable[[np.ndarray], np.ndarray], x: np.ndarray, free: np.ndarray
) -> np.ndarray:
    """Symmetrised central-difference Hessian over the ``free`` coordinates."""
    idx = np.flatnonzero(free)
    out = np.empty((idx.size, idx.size))
    for a, i in enumerate(idx):
        h = 1e-4 * max(1.0, abs(x[i]))
        e = np.zeros(x.size)
        e[i] = h
        out[a] = (grad(x + e)[idx] - grad(x - e)[idx]) / (2 * h)
    return 0.5 * (out + out.T)


@dataclass
class OptResult:
    par: np.ndarray
    loglik: float
    hessian: np.ndarray
    free: np.ndarray
    converged: bool
    message: str
    n_eval: int


def maximise(ev: Evaluator, start: np.ndarray, lower: np.ndarray, polish: bool = True) -> OptResult:
    """Maximise the Laplace / AGQ log-likelihood: L-BFGS-B, then Newton polishing steps."""
    bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
    opts = {"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9, "maxcor": 30}
    res = optimize.minimize(
        ev.objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options=opts
    )
    # A standard deviation of exactly 0 is a stationary point (the likelihood is even in it),
    # where a gradient method stops; restart from a positive value to see whether it is a maximum.
    for _ in range(3):
        at_zero = np.isfinite(lower) & (res.x <= lower + 1e-7)
        if not at_zero.any():
            break
        trial_start = res.x.copy()
        trial_start[at_zero] = 0.3
        trial = optimize.minimize(
            ev.objective, trial_start, jac=True, method="L-BFGS-B", bounds=bounds, options=opts
        )
        if not trial.fun < res.fun - 1e-8:
            break
        res = trial
    par = res.x.copy()
    on_bound = np.isfinite(lower) & (par <= lower + 1e-7)
    free = ~on_bound
    par[on_bound] = lower[on_bound]
    ll = ev.loglik(par)
    if not polish:
        return OptResult(
            par, float(ll), np.zeros((0, 0)), free, res.success, str(res.message), ev.n_eval
        )
    hess = ev.hessian(par, free)
    for _ in range(5):
        g = ev.gradient(par)[free]
        if np.max(np.abs(g)) < 1e-7:
            break
        try:
            step = np.linalg.solve(-hess, g)
        except np.linalg.LinAlgError:
            break
        trial = par.copy()
        trial[free] += step
        if np.any(trial < lower):
            break
        ll_new = ev.loglik(trial)
        if not ll_new >= ll - 1e-9:
            break
        par, ll = trial, ll_new
        hess = ev.hessian(par, free)
    g = ev.gradient(par)[free]
    converged = bool(np.max(np.abs(g), initial=0.0) < 1e-3)
    ev.loglik(par)  # leave the conditional modes at the estimate
    return OptResult(par, float(ll), hess, free, converged, str(res.message), ev.n_eval)
