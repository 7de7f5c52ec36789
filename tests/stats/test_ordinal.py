"""Cumulative-link mixed models (analysis.models.ordinal) against ordinal::clmm + emmeans."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import polars as pl
import pytest
from rcompare_glmm import CASES_FILE, FIXTURES, HERE, cases, compare_case, fit_case

from analysis.models import ordinal
from analysis.models.laplace import Evaluator, Problem, numerical_gradient

CASES = {c["name"]: c for c in cases() if c["model"] == "clmm"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_clmm_matches_r(name):
    path = FIXTURES / f"{name}.json"
    if not path.exists():
        pytest.fail(f"fixture {path.name} missing: run Rscript tests/r/make_fixtures_glmm.R")
    fixture = json.loads(path.read_text())
    assert fixture["versions"]["ordinal"]
    compare_case(CASES[name], fixture)


def _problem(fit: ordinal.ClmmFit, link: str) -> Problem:
    """The likelihood problem of a fitted model, rebuilt for another link."""
    des, k = fit.design, len(fit.categories)
    y = des.data[des.spec.response].cast(pl.String).to_list()
    yidx = np.array([fit.categories.index(v) for v in y])
    x = des.x[:, 1:]
    ja, jb = np.zeros((des.n, k - 1)), np.zeros((des.n, k - 1))
    top, bottom = yidx == k - 1, yidx == 0
    ja[~top, yidx[~top]] = 1
    jb[~bottom, yidx[~bottom] - 1] = 1
    off = np.column_stack([np.where(top, 1e4, 0.0), np.where(bottom, -1e4, 0.0)])
    fam = ordinal.cumulative_family(ordinal.get_link(link))
    return Problem((np.hstack([ja, -x]), np.hstack([jb, -x])), off, -1.0, fam, des.re)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_laplace_gradient_is_exact(link):
    case = CASES["clmm_rs_logit"]
    fit = fit_case(case)
    rng = np.random.default_rng(0)
    par = np.concatenate([fit.thresholds, fit.beta, fit.theta]) + 0.1 * rng.normal(size=fit.n_par)
    ev = Evaluator(_problem(fit, link))
    _, grad = ev.laplace(par)
    num = numerical_gradient(lambda p: ev.laplace(p, grad=False), par)
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-5)


def test_probabilities_are_coherent():
    fit = fit_case(CASES["clmm_ri_logit"])
    prob = ordinal.clmm_emmeans(fit, ["direction", "session"], "prob")
    sums = prob.group_by(["direction", "session"]).agg(pl.col("estimate").sum())
    np.testing.assert_allclose(sums["estimate"], 1.0, atol=1e-12)
    ge = ordinal.clmm_emmeans(fit, ["direction", "session"], "ge")
    cum = ordinal.clmm_emmeans(fit, ["direction", "session"], "cum.prob")
    np.testing.assert_allclose(ge["estimate"] + cum["estimate"], 1.0, atol=1e-12)
    mean = ordinal.clmm_emmeans(fit, ["direction", "session"], "mean")
    by_hand = prob.with_columns(s=pl.col("category").cast(pl.Float64) * pl.col("estimate"))
    by_hand = by_hand.group_by(["direction", "session"], maintain_order=True).agg(pl.col("s").sum())
    np.testing.assert_allclose(
        mean["estimate"], by_hand["s"], rtol=1e-12, atol=1e-12 * np.abs(by_hand["s"]).max()
    )
    ors = ordinal.odds_ratios(fit)
    np.testing.assert_allclose(ors["ratio"], np.exp(fit.beta))


def test_simulated_direction_effect_is_recovered():
    """Simulator + fit: a large backward - forward effect (2 on the logit scale) with 30
    subjects is estimated within 3 SE and far from 0 (fixed seed)."""
    bench = _bench()
    d = bench.simulate_study("ordinal", 7, effect=2.0, n_subjects=30)
    fit = ordinal.fit_clmm(d, "y ~ direction * session + (1 | subject)", levels=bench.LEVELS)
    row = ordinal.coefficients(fit).filter(pl.col("term") == "direction1")
    est, se = -2 * row["estimate"][0], 2 * row["se"][0]
    assert abs(est - 2.0) < 3 * se
    assert est / se > 4


def test_text_response_needs_order():
    d = pl.DataFrame({"y": ["a", "b", "c"] * 4, "subject": ["s1", "s2"] * 6})
    with pytest.raises(ValueError, match="response_levels"):
        ordinal.fit_clmm(d, "y ~ 1 + (1 | subject)")


def test_separated_ratings_are_refused_with_a_reason():
    """16 ratings in 7 categories under a 2 x 2 x 2 design with one rating per cell and
    subject (R's clmm: NaN standard errors, max gradient 24): an ArithmeticError that says
    there are no finite estimates, not a NaN fit."""
    ratings = [4, 5, 2, 4, 3, 4, 3, 4, 3, 4, 1, 3, 4, 7, 5, 6]
    data = pl.DataFrame(
        {
            "subject": [f"S{i // 4}" for i in range(16)],
            "direction": ["backward", "forward"] * 8,
            "session": (["baseline"] * 2 + ["post"] * 2) * 4,
            "group": [("control", "retro")[(i // 4) % 2 == 0] for i in range(16)],
            "y": ratings,
        }
    )
    with pytest.raises(ArithmeticError, match="no finite estimates.*16 ratings in 7 categories"):
        ordinal.fit_clmm(data, "y ~ direction * session * group + (1 | subject)")


def _bench():
    import importlib.util

    path = HERE.parents[1] / "benchmarks" / "calibration_glmm.py"
    spec = importlib.util.spec_from_file_location("calibration_glmm", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LIVE = ["clmm_agq7_probit"]


@pytest.mark.r
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
def test_live_r_clmm_agrees(tmp_path):
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
