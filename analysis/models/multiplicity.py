"""Adjusting p-values for multiplicity within a family of tests."""

from __future__ import annotations

import numpy as np

METHODS = ("holm", "fdr_bh", "bonferroni", "sidak", "none")


def adjust_pvalues(p, method: str = "holm") -> np.ndarray:
    """Holm, Bonferroni, Sidak (family-wise error) or Benjamini-Hochberg (false discovery rate)
    adjusted p-values (as R's ``p.adjust`` and emmeans' ``adjust=``). Tukey's adjustment needs
    the t statistics: :func:`analysis.models.pairwise.pairwise`.

    Missing p-values (NaN) stay missing and do not count towards the family size.

    Parameters
    ----------
    p : array_like
        Unadjusted p-values of one family.
    method : {"holm", "fdr_bh", "bonferroni", "sidak", "none"}
        ``"fdr"`` and ``"bh"`` are aliases of ``"fdr_bh"``.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "fdr_bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    key = method.lower().replace("-", "_")
    if key in ("bh", "fdr"):
        key = "fdr_bh"
    if key == "none":
        out[ok] = q
        return out
    if key == "bonferroni":
        out[ok] = np.minimum(m * q, 1.0)
        return out
    if key == "sidak":
        out[ok] = -np.expm1(m * np.log1p(-q))
        return out
    order = np.argsort(q, kind="mergesort")
    sorted_p = q[order]
    if key == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * sorted_p)
    elif key == "fdr_bh":
        adj = np.minimum.accumulate((m / np.arange(m, 0, -1)) * sorted_p[::-1])[::-1]
    else:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out
