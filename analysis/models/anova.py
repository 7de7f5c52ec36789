"""Type III F tests of the fixed-effect terms (sum-to-zero coding), as lmerTest's ``anova``."""

from __future__ import annotations

import numpy as np
import polars as pl

from analysis.models.fit import LmmFit
from analysis.models.inference import ddf_method, f_test


def term_hypotheses(fit: LmmFit) -> dict[str, np.ndarray]:
    """Type III hypothesis matrix of each term: with sum-to-zero coding of a hierarchical model,
    the rows that set the term's coefficients to zero."""
    p = len(fit.beta)
    out = {}
    for term, cols in fit.design.term_columns.items():
        if term == "(Intercept)":
            continue
        ell = np.zeros((len(cols), p))
        ell[np.arange(len(cols)), list(cols)] = 1.0
        out[term] = ell
    return out


def anova_type3(fit: LmmFit, ddf: str = "satterthwaite") -> pl.DataFrame:
    """Type III ANOVA table.

    Returns
    -------
    polars.DataFrame
        term, F, num_df, den_df, p, ddf_method.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 4)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 20,
    ...                    "value": rng.normal(size=40) + rng.normal(size=10)[s]})
    >>> anova_type3(fit_lmm(df, "value ~ direction + (1 | subject)"))["term"].to_list()
    ['direction']
    """
    rows = []
    for term, ell in term_hypotheses(fit).items():
        res = f_test(fit, ell, ddf=ddf)
        rows.append((term, res["F"], float(res["num_df"]), res["den_df"], res["p"]))
    table = pl.DataFrame(rows, schema=["term", "F", "num_df", "den_df", "p"], orient="row")
    return table.with_columns(ddf_method=pl.lit(ddf_method(ddf)))
