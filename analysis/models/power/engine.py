"""Fit every simulated study as the workflow would, and count the rejections.

Each simulated data set is fitted with :func:`analysis.models.fit_lmm` on the formula the
workflow uses for the outcome (adapted by :func:`analysis.models.adapt_spec`, simplified on a
singular fit), and tested as the workflow reports it: the primary factor's contrasts
(:func:`analysis.models.model_contrasts`: main, simple and interaction) and the Type III terms
(:func:`analysis.models.anova_type3`), with the configured df method. The multiplicity
adjustment of the workflow is applied across ``family_size`` outcomes, the other outcomes'
p-values taken as 1: for Holm and Benjamini-Hochberg alike the outcome is then tested at
``alpha / family_size``, the least favourable case (a lower bound of the power).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from analysis.models.analyse import adapt_spec, model_contrasts
from analysis.models.anova import anova_type3
from analysis.models.fit import fit_lmm
from analysis.models.formula import FormulaError, parse_formula
from analysis.models.multiplicity import adjust_pvalues
from analysis.models.power.scenario import Scenario
from analysis.models.power.simulate import (
    DesignPoint,
    generator,
    session_labels,
    simulation_rng,
)


@dataclass(frozen=True)
class Analysis:
    """How each simulated study is analysed (the workflow's model settings).

    Examples
    --------
    >>> Analysis(family_size=9).adjusted(0.004)
    0.036
    """

    ddf: str = "satterthwaite"
    reml: bool = True
    alpha: float = 0.05
    adjust: str = "holm"
    family_size: int = 1

    def adjusted(self, p: float) -> float:
        """``p`` adjusted within a family of ``family_size`` outcomes whose others have p = 1."""
        if self.family_size <= 1 or self.adjust == "none" or not np.isfinite(p):
            return float(p)
        ps = np.ones(self.family_size)
        ps[0] = p
        return round(float(adjust_pvalues(ps, self.adjust)[0]), 15)


SIM_COLUMNS = {
    "n_per_group": pl.Int64,
    "n_trials": pl.Int64,
    "n_sessions": pl.Int64,
    "sim": pl.Int64,
    "test": pl.String,
    "estimate": pl.Float64,
    "p": pl.Float64,
    "p_adj": pl.Float64,
    "reject": pl.Boolean,
    "singular": pl.Boolean,
    "error": pl.String,
}


def _tests(fit, analysis: Analysis, primary: str | None) -> list[tuple[str, float, float]]:
    level = 1.0 - analysis.alpha
    out = []
    con = model_contrasts(fit, analysis.ddf, level, primary)
    for row in con.select("contrast_type", "contrast", "estimate", "p").iter_rows():
        out.append((f"contrast[{row[0]}]: {row[1]}", float(row[2]), float(row[3])))
    for term, p in anova_type3(fit, analysis.ddf).select("term", "p").iter_rows():
        out.append((f"anova: {term}", float("nan"), float(p)))
    return out


def simulate_chunk(
    scenario: Scenario,
    point: DesignPoint,
    sims: range,
    seed: int,
    analysis: Analysis,
) -> pl.DataFrame:
    """Simulate and analyse simulations ``sims`` of one design point.

    Returns
    -------
    polars.DataFrame
        One row per simulation and test (:data:`SIM_COLUMNS`); a simulation whose fit failed has
        one row with test null, reject false and its ``error``.
    """
    gen = generator(scenario, point)
    data = gen.data
    spec, _ = adapt_spec(parse_formula(scenario.formula), data.with_columns(value=pl.lit(0.0)))
    levels = {
        "session": list(session_labels(scenario, point.n_sessions)),
        "group": list(scenario.groups),
    }
    rows: list[tuple] = []
    with threadpool_limits(1):
        for sim in sims:
            y = gen.draw(simulation_rng(seed, point, sim))
            try:
                fit = fit_lmm(data.with_columns(value=pl.Series(y)), spec, levels=levels,
                              reml=analysis.reml)  # fmt: skip
                tests = _tests(fit, analysis, scenario.primary)
            except (FormulaError, ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
                rows.append((*point.key, sim, None, None, None, None, False, None, str(err)))
                continue
            for test, est, p in tests:
                p_adj = analysis.adjusted(p)
                rej = bool(p_adj < analysis.alpha)
                rows.append((*point.key, sim, test, est, p, p_adj, rej, fit.singular, None))
    return pl.DataFrame(rows, schema=SIM_COLUMNS, orient="row")
