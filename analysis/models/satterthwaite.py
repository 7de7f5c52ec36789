"""Satterthwaite degrees of freedom exactly as lmerTest computes them.

For a contrast ``l``: ``df = 2 (l'Cl)^2 / (g' A g)`` where ``C = vcov(beta)``,
``g_j = l' dC/dvarpar_j l`` and ``A = 2 H^+`` is the asymptotic covariance of the variance
parameters (theta, sigma) from the Hessian ``H`` of the deviance (:attr:`LmmFit.vcov_varpar`,
:attr:`LmmFit.jacobian`). An F test of several rows uses lmerTest's ``contestMD``: the rows are
rotated to the eigenvectors of ``L C L'``, each rotated row gets its own ``nu_m``, and the F
denominator df follows from them.
"""

from __future__ import annotations

import numpy as np

from analysis.models.fit import LmmFit


def satterthwaite_df(fit: LmmFit, contrasts: np.ndarray) -> np.ndarray:
    """Satterthwaite df of each row of ``contrasts`` (shape (k, p) or (p,)).

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 4)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 20,
    ...                    "value": rng.normal(size=40) + rng.normal(size=10)[s]})
    >>> fit = fit_lmm(df, "value ~ direction + (1 | subject)")
    >>> bool(satterthwaite_df(fit, np.array([0.0, 1.0]))[0] > 20)
    True
    """
    ell = np.atleast_2d(np.asarray(contrasts, dtype=float))
    var = np.einsum("ki,ij,kj->k", ell, fit.vcov_beta, ell)
    grad = np.einsum("ki,mij,kj->km", ell, fit.jacobian, ell)
    denom = np.einsum("km,mn,kn->k", grad, fit.vcov_varpar, grad)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 2 * var**2 / denom


def fstat_ddf(nu: np.ndarray, tol: float = 1e-8) -> float:
    """lmerTest's ``get_Fstat_ddf``: the F denominator df from the q t-statistics' df."""
    nu = np.asarray(nu, dtype=float)
    if nu.size == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < tol):
        return float(nu.mean())
    if np.any(nu <= 2):
        return 2.0
    e = float(np.sum(nu / (nu - 2)))
    return 2 * e / (e - nu.size)


def satterthwaite_f(fit: LmmFit, contrasts: np.ndarray, eps: float = np.sqrt(np.finfo(float).eps)):
    """F test of ``L beta = 0`` with Satterthwaite's denominator df (lmerTest's ``contestMD``).

    Returns
    -------
    dict with ``F``, ``num_df``, ``den_df``.
    """
    ell = np.atleast_2d(np.asarray(contrasts, dtype=float))
    v = ell @ fit.vcov_beta @ ell.T
    vals, vecs = np.linalg.eigh((v + v.T) / 2)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    tol = max(eps * vals[0], 0.0)
    q = int(np.sum(vals > tol))
    ptl = (vecs.T @ ell)[:q]
    t2 = (ptl @ fit.beta) ** 2 / vals[:q]
    f_value = float(t2.sum() / q)
    if q == 1:
        den = float(satterthwaite_df(fit, ptl)[0])
    else:
        grad = np.einsum("ki,mij,kj->km", ptl, fit.jacobian, ptl)
        nu = 2 * vals[:q] ** 2 / np.einsum("km,mn,kn->k", grad, fit.vcov_varpar, grad)
        den = fstat_ddf(nu)
    return {"F": f_value, "num_df": q, "den_df": den}
