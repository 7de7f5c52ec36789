"""R's conventions: REML logLik under treatment coding, pairwise adjustments, crossed fits."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from rcompare import DATA

from analysis.models import (
    coefficients,
    fit_lmm,
    information_criteria,
    pairwise,
)


def _machines_like() -> pl.DataFrame:
    rng = np.random.default_rng(3)
    w = np.repeat(np.arange(6), 6)
    machine = np.tile(np.repeat(["A", "B"], 3), 6)
    value = 50 + 5 * (machine == "B") + rng.normal(0, 3, 6)[w] + rng.normal(0, 1, w.size)
    return pl.DataFrame({"worker": w.astype(str), "machine": machine, "score": value})


def test_reml_loglik_of_treatment_coding_differs_by_log_det():
    fit = fit_lmm(_machines_like(), "score ~ machine + (1 | worker)")
    ic = information_criteria(fit)
    # one two-level factor: X_treatment = X_sum T with |det T| = 1/2
    assert ic["loglik"] - fit.loglik == pytest.approx(np.log(2), abs=1e-12)
    assert information_criteria(fit, "sum")["loglik"] == fit.loglik
    ml = fit_lmm(_machines_like(), "score ~ machine + (1 | worker)", reml=False)
    assert information_criteria(ml)["loglik"] == ml.loglik
    assert ic["aic"] == pytest.approx(-2 * ic["loglik"] + 2 * 4, abs=1e-12)


def test_treatment_table_is_differences_from_the_reference():
    fit = fit_lmm(_machines_like(), "score ~ machine + (1 | worker)")
    c = coefficients(fit, contrasts="treatment")
    assert c["term"].to_list() == ["(Intercept)", "machineB"]
    s = coefficients(fit)
    assert c["estimate"][1] == pytest.approx(-2 * s["estimate"][1], abs=1e-9)
    assert c["t"][1] == pytest.approx(-s["t"][1], abs=1e-9)


def test_tukey_is_between_unadjusted_and_bonferroni():
    d = pl.read_csv(DATA / "pg_mixed_anova.csv")
    fit = fit_lmm(d, "Scores ~ Group*Time + (1 | Subject)", factors=("Subject",))
    res = {a: pairwise(fit, "Time", adjust=a) for a in ("none", "tukey", "bonferroni")}
    p0, pt, pb = (res[a]["p_adj"].to_numpy() for a in ("none", "tukey", "bonferroni"))
    assert np.all(p0 <= pt + 1e-12) and np.all(pt <= pb + 1e-12)
    assert res["tukey"].height == 3


def test_partially_crossed_fit_matches_statsmodels_free_reference():
    """Crossed fits agree with a dense GLS computation at the fitted variance parameters."""
    d = pl.read_csv(DATA / "emg_crossed.csv")
    formula = "value ~ direction + (1 | subject) + (1 | muscle)"
    fit = fit_lmm(d, formula)
    assert fit.design.crossed and fit.convergence == ()
    n = fit.n_obs
    z = []
    for b in fit.design.blocks:
        codes = b.slot if b.crossed else np.unique(fit.design.group_codes, return_inverse=True)[1]
        z.append(np.eye(codes.max() + 1)[codes])
    v_sub, v_mus = (c[0, 0] for c in fit.covariances())
    v = v_sub * z[0] @ z[0].T + v_mus * z[1] @ z[1].T + fit.sigma**2 * np.eye(n)
    x = fit.design.x
    gls = np.linalg.inv(x.T @ np.linalg.solve(v, x))
    np.testing.assert_allclose(fit.vcov_beta, gls, rtol=1e-8, atol=1e-12 * np.abs(gls).max())
    beta = gls @ x.T @ np.linalg.solve(v, fit.design.y)
    np.testing.assert_allclose(fit.beta, beta, rtol=1e-8, atol=1e-10 * np.abs(beta).max())
