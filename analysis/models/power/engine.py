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

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

import analysis.models.fit as fit_module
from analysis.models.adapt import adapt_spec
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
from analysis.models.power.tests import TestPlan, check_tests, plan_tests, run_tests


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


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """One BLAS thread for a chunk of simulated fits (the fits themselves also limit it)."""
    with fit_module.threadpool_limits(1):
        yield


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
        One row per simulation and test (:data:`SIM_COLUMNS`); ``singular`` flags a singular fit
        of the requested model (then simplified as in the workflow). A simulation whose fit
        failed has one row with test null, reject false and its ``error``.
    """
    gen = generator(scenario, point)
    data = gen.data
    spec, _ = adapt_spec(parse_formula(scenario.formula), data.with_columns(value=pl.lit(0.0)))
    levels = {
        "session": list(session_labels(scenario, point.n_sessions)),
        "group": list(scenario.groups),
    }
    rows: list[tuple] = []
    plan: TestPlan | None = None
    with one_blas_thread():
        for sim in sims:
            y = gen.draw(simulation_rng(seed, point, sim))
            try:
                fit = fit_lmm(data.with_columns(value=pl.Series(y)), spec, levels=levels,
                              reml=analysis.reml)  # fmt: skip
                if plan is None:
                    plan = plan_tests(fit, scenario.primary)
                    check_tests(fit, plan, analysis.ddf, scenario.primary)
                est, p = run_tests(fit, plan, analysis.ddf)
            except (FormulaError, ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
                rows.append((*point.key, sim, None, None, None, None, False, None, str(err)))
                continue
            # the requested model was singular (and simplified as the workflow does)
            singular = bool(fit.history[0]["singular"]) if fit.history else fit.singular
            for test, e, pv in zip(plan.names, est, p, strict=True):
                p_adj = analysis.adjusted(float(pv))
                rej = bool(p_adj < analysis.alpha)
                rows.append(
                    (*point.key, sim, test, float(e), float(pv), p_adj, rej, singular, None)
                )
    return pl.DataFrame(rows, schema=SIM_COLUMNS, orient="row")
