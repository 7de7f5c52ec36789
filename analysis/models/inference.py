"""t and F tests of linear combinations of the fixed effects, with a choice of denominator df."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from analysis.models.fit import LmmFit
from analysis.models.kenward_roger import kr_f, kr_t
from analysis.models.satterthwaite import satterthwaite_df, satterthwaite_f

DDF_METHODS = ("satterthwaite", "kenward-roger", "z")


def ddf_method(ddf: str) -> str:
    """Normalise a df method name (``"Satterthwaite"``, ``"KR"``, ``"kenward_roger"``, ``"z"``)."""
    key = ddf.lower().replace("_", "-").replace(" ", "-")
    aliases = {
        "kr": "kenward-roger",
        "kenward-roger": "kenward-roger",
        "satterthwaite": "satterthwaite",
        "satt": "satterthwaite",
        "z": "z",
        "wald": "z",
        "normal": "z",
    }
    if key not in aliases:
        raise ValueError(f"ddf must be one of {DDF_METHODS}, not {ddf!r}")
    return aliases[key]


def contrast_tests(
    fit: LmmFit, contrasts: np.ndarray, *, ddf: str = "satterthwaite", level: float = 0.95
) -> dict[str, np.ndarray]:
    """Estimate, SE, df, t, two-sided p and CI for each row of ``contrasts`` (k x p).

    ``ddf="z"`` uses the normal distribution (df reported as infinity); it is anti-conservative
    with few subjects and is never the default.
    """
    method = ddf_method(ddf)
    ell = np.atleast_2d(np.asarray(contrasts, dtype=float))
    est = ell @ fit.beta
    if method == "kenward-roger":
        se, df = kr_t(fit, ell)
    else:
        se = np.sqrt(np.einsum("ki,ij,kj->k", ell, fit.vcov_beta, ell))
        df = satterthwaite_df(fit, ell) if method == "satterthwaite" else np.full(len(est), np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    p = 2 * stats.t.sf(np.abs(t), df)
    crit = stats.t.ppf(0.5 + level / 2, df)
    return {
        "estimate": est,
        "se": se,
        "df": df,
        "t": t,
        "p": p,
        "ci_low": est - crit * se,
        "ci_high": est + crit * se,
    }


def f_test(fit: LmmFit, contrasts: np.ndarray, *, ddf: str = "satterthwaite") -> dict[str, float]:
    """F test of ``L beta = 0``: F, numerator and denominator df, p."""
    method = ddf_method(ddf)
    ell = np.atleast_2d(np.asarray(contrasts, dtype=float))
    if method == "kenward-roger":
        res = kr_f(fit, ell)
    elif method == "satterthwaite":
        res = satterthwaite_f(fit, ell)
    else:
        lb = ell @ fit.beta
        q = int(np.linalg.matrix_rank(ell))
        res = {
            "F": float(lb @ np.linalg.solve(ell @ fit.vcov_beta @ ell.T, lb)) / q,
            "num_df": q,
            "den_df": np.inf,
        }
    if np.isinf(res["den_df"]):
        res["p"] = float(stats.chi2.sf(res["F"] * res["num_df"], res["num_df"]))
    else:
        res["p"] = float(stats.f.sf(res["F"], res["num_df"], res["den_df"]))
    return res


def coefficients(
    fit: LmmFit,
    ddf: str = "satterthwaite",
    level: float = 0.95,
    *,
    contrasts: str = "sum",
    level_order: str = "model",
) -> pl.DataFrame:
    """Fixed-effect coefficients with SE, df, t, p and CI (lmerTest's ``summary`` table).

    Parameters
    ----------
    fit : LmmFit
    ddf : {"satterthwaite", "kenward-roger", "z"}
    level : float
        Confidence level of the intervals.
    contrasts : {"sum", "treatment"}
        The coding of the table: sum-to-zero (as fitted, ``direction1``) or treatment
        (R's default, ``directionbackward``: the difference from the first level). The model is
        the same; the treatment coefficients are linear contrasts of the fitted ones, tested
        with the same df method.
    level_order : {"model", "alphabetical"}
        Level order of the table's coding: the fit's, or R's default alphabetical order
        (``contrasts="treatment", level_order="alphabetical"`` is R's default ``summary()``
        for text columns).

    Returns
    -------
    polars.DataFrame
        term, estimate, se, df, t, p, ci_low, ci_high, ddf_method. With sum-to-zero coding
        ``direction1`` is half the forward - backward difference.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 4)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 20,
    ...                    "value": rng.normal(size=40) + rng.normal(size=10)[s]})
    >>> coefficients(fit_lmm(df, "value ~ direction + (1 | subject)"))["term"].to_list()
    ['(Intercept)', 'direction1']
    """
    if contrasts == "sum" and level_order == "model":
        ell, names = np.eye(len(fit.beta)), fit.x_names
    else:
        from analysis.models.conventions import recoding

        ell, names = recoding(fit, contrasts, level_order)
    res = contrast_tests(fit, ell, ddf=ddf, level=level)
    return pl.DataFrame({"term": list(names), **res}).with_columns(
        ddf_method=pl.lit(ddf_method(ddf))
    )
