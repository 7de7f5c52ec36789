"""The workflow's tests of one model, computed without building its tables.

:func:`plan_tests` reads, once per design point, what the workflow reports for a model: the
contrasts of :func:`analysis.models.model_contrasts` (their labels, and each one's row of the
contrast matrix ``L``, recovered from the reported estimates of unit fixed-effect vectors) and
the Type III hypotheses of :func:`analysis.models.anova.anova_type3`. :func:`run_tests` then
tests a fit of a simulated study with the same functions the tables use
(:func:`analysis.models.contrast_tests`, :func:`analysis.models.f_test`) and the configured df
method; :func:`check_tests` compares its p-values with the tables' (done on the first fit of
every chunk of simulations).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from analysis.models.anova import anova_type3, term_hypotheses
from analysis.models.fit import LmmFit
from analysis.models.inference import contrast_tests, f_test
from analysis.models.reported import model_contrasts


@dataclass(frozen=True)
class TestPlan:
    """The tests the workflow reports for one fixed-effects design.

    Attributes
    ----------
    x_names : tuple of str
        The fixed-effect columns the plan is for.
    contrasts : tuple of str
        ``contrast[<type>]: <label>`` for each row of ``ell`` (type main, simple, interaction).
    ell : ndarray
        Contrast matrix, one row per contrast.
    terms : tuple of str
        ``anova: <term>`` for each Type III term.
    term_ell : tuple of ndarray
        Hypothesis matrix of each term.
    """

    x_names: tuple[str, ...]
    contrasts: tuple[str, ...]
    ell: np.ndarray
    terms: tuple[str, ...]
    term_ell: tuple[np.ndarray, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.contrasts, *self.terms)


def _labels(table) -> list[str]:
    return [f"contrast[{t}]: {c}" for t, c in table.select("contrast_type", "contrast").rows()]


def plan_tests(fit: LmmFit, primary: str | None) -> TestPlan:
    """The contrasts and Type III terms the workflow reports for ``fit``'s fixed effects.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.models import fit_lmm
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(10), 2)
    >>> df = pl.DataFrame({"subject": s.astype(str), "direction": ["forward", "backward"] * 10,
    ...                    "value": rng.normal(size=20) + rng.normal(size=10)[s]})
    >>> plan = plan_tests(fit_lmm(df, "value ~ direction + (1 | subject)"), None)
    >>> plan.names, plan.ell.tolist()
    (('contrast[main]: backward - forward', 'anova: direction'), [[0.0, -2.0]])
    """
    table = model_contrasts(fit, "z", 0.95, primary)
    labels = _labels(table) if table.height else []
    p = len(fit.beta)
    ell = np.zeros((len(labels), p))
    if labels:
        for j in range(p):
            probe = copy.copy(fit)
            probe.beta = np.eye(p)[j]
            ell[:, j] = model_contrasts(probe, "z", 0.95, primary)["estimate"].to_numpy()
    hyps = term_hypotheses(fit)
    return TestPlan(
        x_names=tuple(fit.x_names),
        contrasts=tuple(labels),
        ell=ell,
        terms=tuple(f"anova: {t}" for t in hyps),
        term_ell=tuple(hyps.values()),
    )


def run_tests(fit: LmmFit, plan: TestPlan, ddf: str) -> tuple[np.ndarray, np.ndarray]:
    """Estimates (NaN for Type III terms) and p-values of every test of ``plan``."""
    if tuple(fit.x_names) != plan.x_names:
        raise ValueError(f"the plan is for {plan.x_names}, the fit has {fit.x_names}")
    est, p = [], []
    if len(plan.contrasts):
        res = contrast_tests(fit, plan.ell, ddf=ddf)
        est += list(res["estimate"])
        p += list(res["p"])
    for ell in plan.term_ell:
        est.append(np.nan)
        p.append(f_test(fit, ell, ddf=ddf)["p"])
    return np.asarray(est, dtype=float), np.asarray(p, dtype=float)


def check_tests(fit: LmmFit, plan: TestPlan, ddf: str, primary: str | None) -> None:
    """Raise when :func:`run_tests` disagrees with the workflow's tables for ``fit``."""
    est, p = run_tests(fit, plan, ddf)
    table = model_contrasts(fit, ddf, 0.95, primary)
    ref_names = (_labels(table) if table.height else []) + [
        f"anova: {t}" for t in anova_type3(fit, ddf)["term"]
    ]
    ref_p = np.concatenate(
        [table["p"].to_numpy() if table.height else np.zeros(0), anova_type3(fit, ddf)["p"]]
    )
    if tuple(ref_names) != plan.names or not np.allclose(p, ref_p, rtol=1e-9, atol=1e-14):
        raise RuntimeError(
            f"power tests disagree with the workflow's tables: {plan.names} p={p.tolist()} vs "
            f"{ref_names} p={ref_p.tolist()}"
        )
