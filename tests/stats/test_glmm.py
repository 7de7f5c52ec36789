"""Generalised linear mixed models (analysis.models.glmm) against lme4::glmer + emmeans."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import polars as pl
import pytest
from rcompare_glmm import CASES_FILE, FIXTURES, HERE, cases, compare_case, fit_case

from analysis.models import glmm
from analysis.models.laplace import Evaluator, Problem, numerical_gradient
from analysis.models.mixed_common import lrt

CASES = {c["name"]: c for c in cases() if c["model"] == "glmer"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_glmer_matches_r(name):
    path = FIXTURES / f"{name}.json"
    if not path.exists():
        pytest.fail(f"fixture {path.name} missing: run Rscript tests/r/make_fixtures_glmm.R")
    fixture = json.loads(path.read_text())
    assert fixture["versions"]["lme4"]
    compare_case(CASES[name], fixture)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("glmer_bin_crossed_probit", lambda y: glmm._binomial_probit(y, np.ones_like(y))),
        ("glmer_pois_crossed", glmm._poisson_log),
    ],
)
def test_laplace_gradient_is_exact(name, make):
    """Analytic gradient (non-canonical link; correlated slopes + crossed term) vs numerical."""
    fit = fit_case(CASES[name])
    des = fit.design
    y = des.data[des.spec.response].cast(pl.Float64).to_numpy()
    ev = Evaluator(Problem((des.x,), np.zeros((des.n, 1)), 1.0, make(y), des.re))
    rng = np.random.default_rng(1)
    par = np.concatenate([fit.beta, fit.theta + 0.2]) + 0.05 * rng.normal(size=fit.n_par)
    _, grad = ev.laplace(par)
    num = numerical_gradient(lambda p: ev.laplace(p, grad=False), par)
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-5)


def test_lrt_and_ratios():
    case = CASES["glmer_bin_ri_logit"]
    big = fit_case(case)
    small = fit_case(case, "fail ~ direction + session + (1 | subject)")
    res = lrt(small, big)
    assert res["df"][1] == 1
    assert 0 <= res["p"][1] <= 1
    coefs = glmm.coefficients(big)
    np.testing.assert_allclose(coefs["ratio"], np.exp(big.beta))
    emm = glmm.glmm_emmeans(big, ["direction"])
    assert ((emm["ci_low"] < emm["estimate"]) & (emm["estimate"] < emm["ci_high"])).all()


def test_simulated_direction_effect_is_recovered():
    """Simulator + fit: a backward - forward effect of 2 (logit) with 30 subjects is
    estimated within 3 SE and far from 0 (fixed seed)."""
    bench = _bench()
    d = bench.simulate_study("binomial", 11, effect=2.0, n_subjects=30)
    fit = glmm.fit_glmm(d, "y ~ direction * session + (1 | subject)", levels=bench.LEVELS)
    row = glmm.coefficients(fit).filter(pl.col("term") == "direction1")
    est, se = -2 * row["estimate"][0], 2 * row["se"][0]
    assert abs(est - 2.0) < 3 * se
    assert est / se > 4


def test_bad_responses_are_refused():
    d = pl.DataFrame({"y": [0, 2, 1, 0], "subject": ["a", "a", "b", "b"]})
    with pytest.raises(ValueError, match="0/1"):
        glmm.fit_glmm(d, "y ~ 1 + (1 | subject)")
    with pytest.raises(ValueError, match="link"):
        glmm.fit_glmm(d, "y ~ 1 + (1 | subject)", "poisson", "logit")


def _bench():
    import importlib.util

    path = HERE.parents[1] / "benchmarks" / "calibration_glmm.py"
    spec = importlib.util.spec_from_file_location("calibration_glmm", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LIVE = ["glmer_cbpp", "glmer_bin_agq7_logit"]


@pytest.mark.r
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
def test_live_r_glmer_agrees(tmp_path):
    script = HERE.parent / "r" / "make_fixtures_glmm.R"
    proc = subprocess.run(
        ["Rscript", str(script), str(CASES_FILE), str(tmp_path), *LIVE],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=HERE.parents[1],
    )
    assert proc.returncode == 0, proc.stderr
    for name in LIVE:
        fixture = json.loads((tmp_path / f"{name}.json").read_text())
        compare_case(CASES[name], fixture)
        stored = json.loads((FIXTURES / f"{name}.json").read_text())
        assert fixture["loglik"] == pytest.approx(stored["loglik"], abs=1e-6)
