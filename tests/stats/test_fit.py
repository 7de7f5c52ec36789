"""Fitting: optimisers, missing rows, boundary fits, unit-free singularity, simplification path."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from rcompare import DATA

from analysis.models import coefficients, contrast_backward_forward, fit_lmm
from analysis.models.fit import SINGULAR_TOL, singular_terms

FULL = "value ~ direction*session + (1 + direction | subject) + (1 | subject:session)"
LEVELS = {"session": ["pre", "post"]}


@pytest.fixture(scope="module")
def singular_data() -> pl.DataFrame:
    return pl.read_csv(DATA / "retro_singular.csv")


def test_missing_values_are_dropped_and_counted():
    d = pl.read_csv(DATA / "retro_unbalanced.csv")
    fit = fit_lmm(d, FULL, levels=LEVELS)
    n_missing = d["value"].null_count()
    assert n_missing == 5
    assert fit.n_dropped == n_missing
    assert fit.n_obs == d.height - n_missing


def test_statsmodels_engine_scores_every_optimizer_and_agrees():
    d = pl.read_csv(DATA / "retro_trials.csv")
    fit = fit_lmm(d, FULL, levels=LEVELS, engine="statsmodels", optimizers=("lbfgs", "powell"))
    assert {"lbfgs", "powell", "polished"} <= set(fit.optimizer_logliks)
    assert fit.loglik >= max(fit.optimizer_logliks.values()) - 1e-9
    assert fit.sm_result is not None
    default = fit_lmm(d, FULL, levels=LEVELS)
    assert default.engine == "lme4" and default.sm_result is None
    assert default.optimizer == "L-BFGS-B" and default.convergence == ()
    np.testing.assert_allclose(default.loglik, fit.loglik, rtol=0, atol=1e-8)
    np.testing.assert_allclose(default.beta, fit.beta, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(default.theta, fit.theta, rtol=1e-5, atol=1e-6)


def test_singular_fit_reports_lme4_boundary_message(singular_data):
    fit = fit_lmm(singular_data, FULL, levels=LEVELS, simplify_singular=False)
    assert fit.convergence[0].startswith("boundary (singular) fit")
    assert not any("failed to converge" in m for m in fit.convergence)


def test_second_optimiser_runs_only_when_checks_fail(monkeypatch, singular_data):
    from analysis.models import fit as fit_module

    calls = []
    real = fit_module._powell

    def spy(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(fit_module, "_powell", spy)
    fit_lmm(pl.read_csv(DATA / "retro_trials.csv"), FULL, levels=LEVELS)
    assert calls == []
    checks = iter([("Model failed to converge with max|grad| = 0.01",), ()])
    monkeypatch.setattr(fit_module, "check_convergence", lambda *a: next(checks))
    fit = fit_lmm(singular_data, FULL, levels=LEVELS, simplify_singular=False)
    assert calls == [1]
    assert fit.optimizer in ("L-BFGS-B", "Powell + L-BFGS-B")


def test_singular_flag_does_not_depend_on_units(singular_data):
    a = fit_lmm(singular_data, FULL, levels=LEVELS, simplify_singular=False)
    b = fit_lmm(
        singular_data.with_columns(pl.col("value") * 1000),
        FULL,
        levels=LEVELS,
        simplify_singular=False,
    )
    assert a.singular and b.singular
    np.testing.assert_allclose(a.theta, b.theta, atol=1e-4)
    np.testing.assert_allclose(b.beta, 1000 * a.beta, rtol=1e-6, atol=1e-9 * np.abs(b.beta).max())
    assert [str(t) for t in singular_terms(a)] == [str(t) for t in singular_terms(b)]


def test_singular_fit_is_simplified_along_documented_path(singular_data):
    fit = fit_lmm(singular_data, FULL, levels=LEVELS)
    assert not fit.singular
    assert fit.formula_requested == FULL.replace("(1 + direction", "(1 + direction")
    assert fit.formula == "value ~ direction*session + (1 | subject)"
    assert fit.simplification[0].startswith("(1 + direction | subject) is singular")
    assert "replaced by (1 | subject) + (1 | subject:direction)" in fit.simplification[0]
    assert all("dropped" in s for s in fit.simplification[1:])
    assert fit.history[0]["singular"] and not fit.history[-1]["singular"]


def test_last_random_term_is_never_dropped():
    rng = np.random.default_rng(5)
    s = np.repeat(np.arange(8), 4)
    df = pl.DataFrame(
        {
            "subject": s.astype(str),
            "direction": ["forward", "backward"] * 16,
            "value": rng.normal(size=32),
        }
    )
    fit = fit_lmm(df, "value ~ direction + (1 | subject)")
    if fit.theta[0] < SINGULAR_TOL:
        assert fit.singular
    assert fit.formula == "value ~ direction + (1 | subject)"


def test_boundary_se_is_computed_at_the_fit_not_taken_from_statsmodels(singular_data):
    """At a boundary fit MixedLM's bse_fe can differ from (X'V^-1X)^-1; ours is checked against
    lmerTest in test_against_r; here: it equals the GLS covariance at the fitted parameters."""
    fit = fit_lmm(singular_data, FULL, levels=LEVELS, simplify_singular=False)
    design = fit.design
    n = design.n
    z_cols = []
    cov_blocks = []
    for block, cov in zip(design.blocks, fit.covariances(), strict=True):
        for g in range(design.n_groups):
            for slot in range(block.n_slots):
                rows = (design.group_codes == g) & (block.slot == slot)
                if not rows.any():
                    continue
                zz = np.zeros((n, block.q))
                zz[rows] = block.x[rows]
                z_cols.append(zz)
                cov_blocks.append(cov)
    z = np.hstack(z_cols)
    from scipy.linalg import block_diag

    v = z @ block_diag(*cov_blocks) @ z.T + fit.sigma**2 * np.eye(n)
    x = design.x
    gls = np.linalg.inv(x.T @ np.linalg.solve(v, x))
    np.testing.assert_allclose(fit.vcov_beta, gls, rtol=1e-8, atol=1e-10 * np.abs(gls).max())


def test_no_z_values_unless_asked(singular_data):
    fit = fit_lmm(singular_data, FULL, levels=LEVELS)
    sat = coefficients(fit)
    assert np.all(np.isfinite(sat["df"].to_numpy()))
    z = coefficients(fit, ddf="z")
    assert np.all(np.isinf(z["df"].to_numpy()))
    assert np.all(z["p"].to_numpy() <= sat["p"].to_numpy() + 1e-15)


def test_statsmodels_z_test_is_what_we_replace():
    """With 16 subjects the direction contrast's Satterthwaite df is ~15, not infinity."""
    d = pl.read_csv(DATA / "retro_trials.csv")
    fit = fit_lmm(d, FULL, levels=LEVELS)
    con = contrast_backward_forward(fit)
    assert 10 < con["df"][0] < 20
    cross = fit_lmm(d, FULL, levels=LEVELS, engine="statsmodels", optimizers=("lbfgs",))
    assert isinstance(cross.sm_result.model, sm.MixedLM)
