"""All pairwise comparisons of a factor's marginal means with emmeans' adjustments.

As emmeans' ``pairs(emmeans(m, ~ f, by = ...), adjust = ...)``: every ``a - b`` with ``a``
before ``b`` in the level order, within each combination of the ``by`` factors, the family of
an adjustment being the comparisons of one ``by`` group. Tukey uses the studentized range
distribution of ``k`` means (each comparison at its own df): ``p = P(Q_{k,df} > sqrt(2)|t|)``,
CI half-width ``q_{k,df}(level) / sqrt(2) SE``. Sidak and Bonferroni adjust p-values and the
confidence level of the CIs (``1 - (1 - level)^(1/m)``, ``1 - (1 - level)/m``); Holm and FDR
adjust p-values only (CIs unadjusted).
"""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
from scipy import stats

from analysis.models.emmeans import emm_matrix
from analysis.models.fit import LmmFit
from analysis.models.inference import contrast_tests, ddf_method
from analysis.models.multiplicity import adjust_pvalues

ADJUST = ("tukey", "sidak", "bonferroni", "holm", "fdr_bh", "none")


def _norm(adjust: str) -> str:
    key = adjust.lower().replace("-", "_")
    key = {"fdr": "fdr_bh", "bh": "fdr_bh"}.get(key, key)
    if key not in ADJUST:
        raise ValueError(f"adjust must be one of {ADJUST}, not {adjust!r}")
    return key


def _adjusted(res: dict, k: int, adjust: str, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted p-values and CI half-widths of one family."""
    m = len(res["p"])
    t, df, se = np.abs(res["t"]), res["df"], res["se"]
    if adjust == "tukey":
        p = stats.studentized_range.sf(np.sqrt(2) * t, k, df)
        crit = stats.studentized_range.ppf(level, k, df) / np.sqrt(2)
        return np.minimum(p, 1.0), crit * se
    alpha = 1 - level
    if adjust == "sidak":
        crit = stats.t.ppf(1 - (1 - (1 - alpha) ** (1 / m)) / 2, df)
    elif adjust == "bonferroni":
        crit = stats.t.ppf(1 - alpha / (2 * m), df)
    else:
        crit = stats.t.ppf(1 - alpha / 2, df)
    return adjust_pvalues(res["p"], adjust), crit * se


def pairwise(
    fit: LmmFit,
    factor: str,
    by: list[str] | None = None,
    *,
    adjust: str = "tukey",
    level: float = 0.95,
    ddf: str = "satterthwaite",
) -> pl.DataFrame:
    """Every pairwise difference of the marginal means of ``factor`` (within levels of ``by``).

    Parameters
    ----------
    fit : LmmFit
    factor : str
        A fixed-effect factor.
    by : list of str, optional
        Factors to condition on; each combination is one family.
    adjust : {"tukey", "sidak", "bonferroni", "holm", "fdr_bh", "none"}
        emmeans' default for ``pairs()`` is Tukey.
    level : float
        Confidence level (adjusted for Tukey, Sidak and Bonferroni).
    ddf : {"satterthwaite", "kenward-roger", "z"}

    Returns
    -------
    polars.DataFrame
        contrast (``"a - b"``), the by columns, estimate, se, df, t, p (unadjusted), p_adj,
        ci_low, ci_high, adjust, ddf_method.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 3)
    >>> df = pl.DataFrame({"subject": s.astype(str), "speed": ["slow", "mid", "fast"] * 10,
    ...                    "value": rng.normal(size=30) + rng.normal(size=10)[s]})
    >>> pairwise(fit_lmm(df, "value ~ speed + (1 | subject)"), "speed")["contrast"].to_list()
    ['slow - mid', 'slow - fast', 'mid - fast']
    """
    adjust = _norm(adjust)
    by = list(by or [])
    labels, ell = emm_matrix(fit, [factor], by)
    levels = fit.design.coding.levels[factor]
    k = len(levels)
    groups = labels.select(by).unique(maintain_order=True) if by else pl.DataFrame({"_": [0]})
    parts = []
    for row in groups.iter_rows(named=True):
        mask = np.ones(labels.height, dtype=bool)
        for b in by:
            mask &= labels[b].cast(pl.String).to_numpy() == str(row[b])
        sub = ell[mask]
        lev = labels[factor].to_numpy()[mask]
        pairs = list(itertools.combinations(range(len(lev)), 2))
        rows = np.array([sub[i] - sub[j] for i, j in pairs])
        res = contrast_tests(fit, rows, ddf=ddf, level=level)
        p_adj, half = _adjusted(res, k, adjust, level)
        part = pl.DataFrame({"contrast": [f"{lev[i]} - {lev[j]}" for i, j in pairs]})
        for b in by:
            part = part.with_columns(pl.lit(row[b]).alias(b))
        parts.append(
            part.with_columns(
                estimate=res["estimate"],
                se=res["se"],
                df=res["df"],
                t=res["t"],
                p=res["p"],
                p_adj=p_adj,
                ci_low=res["estimate"] - half,
                ci_high=res["estimate"] + half,
                adjust=pl.lit(adjust),
                ddf_method=pl.lit(ddf_method(ddf)),
            )
        )
    return pl.concat(parts)
