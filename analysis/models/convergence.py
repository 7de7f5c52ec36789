"""lme4's convergence checks at an optimum of the profiled deviance.

lme4 (``checkConv``) warns when the gradient scaled by the Hessian is large
(``max|grad| > 0.002``), when the Hessian is not positive definite, and reports a
``boundary (singular) fit``. Here the gradient is the analytic one and the Hessian a central
difference of it; both are taken over the parameters off the boundary (a relative SD at zero is
reported as a singular fit instead, where the deviance is flat by construction).
"""

from __future__ import annotations

import numpy as np

from analysis.models.deviance import LmmCore

GRAD_TOL = 2e-3
"""lme4's ``check.conv.grad`` tolerance."""
HESS_TOL = 1e-6
"""lme4's ``check.conv.hess`` tolerance on the smallest eigenvalue."""


def free_parameters(core: LmmCore, theta: np.ndarray, singular_tol: float) -> np.ndarray:
    """Indices of theta off the boundary: diagonal elements above ``singular_tol``, and
    off-diagonal elements of a column whose diagonal is off the boundary."""
    lay = core.layout
    free = np.ones(lay.n_theta, dtype=bool)
    for k, block in enumerate(core.design.blocks):
        q = block.q
        pairs = [(a, c) for c in range(q) for a in range(c, q)]
        off = lay.offsets[k]
        diag_of_col = {c: off + i for i, (a, c) in enumerate(pairs) if a == c}
        for i, (_, c) in enumerate(pairs):
            if theta[diag_of_col[c]] < singular_tol:
                free[off + i] = False
    return np.flatnonzero(free)


def derivatives(core: LmmCore, theta: np.ndarray, reml: bool, idx: np.ndarray):
    """Gradient and (symmetrised) central-difference Hessian of the deviance over ``idx``."""
    _, grad = core.deviance_and_grad(theta, reml)
    hess = np.zeros((len(idx), len(idx)))
    for j, i in enumerate(idx):
        h = 1e-4 * max(abs(theta[i]), 1.0)
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        g_up = core.deviance_and_grad(up, reml)[1]
        g_down = core.deviance_and_grad(down, reml)[1]
        hess[:, j] = (g_up[idx] - g_down[idx]) / (2 * h)
    return grad[idx], (hess + hess.T) / 2


def check_convergence(
    core: LmmCore, theta: np.ndarray, reml: bool, singular_tol: float
) -> tuple[str, ...]:
    """lme4's convergence messages at ``theta`` (empty tuple when every check passes).

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 4)
    >>> df = pl.DataFrame({"subject": s.astype(str), "value": rng.normal(size=40) + s})
    >>> fit_lmm(df, "value ~ 1 + (1 | subject)").convergence
    ()
    """
    messages: list[str] = []
    diag = theta[core.layout.diagonal]
    if np.any(diag < singular_tol):
        messages.append("boundary (singular) fit: see help('isSingular')")
    idx = free_parameters(core, theta, singular_tol)
    if len(idx) == 0:
        return tuple(messages)
    grad, hess = derivatives(core, theta, reml, idx)
    try:
        upper = np.linalg.cholesky(hess).T
    except np.linalg.LinAlgError:
        vals = np.linalg.eigvalsh(hess)
        n_neg = int(np.sum(vals < -HESS_TOL))
        if n_neg:
            messages.append(
                f"Model failed to converge: degenerate Hessian with {n_neg} negative eigenvalues"
            )
        else:
            messages.append(
                "Model is nearly unidentifiable: Hessian is numerically singular "
                "(parameters are not uniquely determined)"
            )
        return tuple(messages)
    scaled = np.linalg.solve(upper, grad)
    mingrad = np.minimum(np.abs(scaled), np.abs(grad))
    if mingrad.max() > GRAD_TOL:
        comp = int(idx[np.argmax(mingrad)]) + 1
        messages.append(
            f"Model failed to converge with max|grad| = {mingrad.max():.6g} "
            f"(tol = {GRAD_TOL}, component {comp})"
        )
    return tuple(messages)
