"""Model family per outcome family: defaults by measure type, dispatch, Gaussian-misuse warning,
and the structure of the ordinal/binomial outputs and of what reads them."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from analysis.core.settings import SettingsError, model_family_defaults, resolve_settings
from analysis.models.study import fit_study
from analysis.report.figures.forest import forest_rows
from analysis.report.methods import model_family_sentences
from analysis.report.tables.results import format_results, results_table

LEVELS = {"session": ["baseline", "post"], "group": ["retro", "control"]}
NRS = {"knee_pain": {"family": "pain", "unit": "NRS", "min": 0, "max": 10}}


def _outcomes(binary: bool = False, seed: int = 1, n: int = 14) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n):
        u = rng.normal()
        for ses in ("baseline", "post"):
            for d in ("forward", "backward"):
                for t in range(2):
                    lat = 0.9 * (d == "backward") - 0.5 * (ses == "post") + u + rng.logistic()
                    value = (
                        float(lat > 0) if binary else float(np.clip(np.round(1.5 * lat + 4), 0, 10))
                    )
                    rows.append(
                        {
                            "cohort": "x",
                            "subject": f"S{s:02d}",
                            "group": "retro" if s % 2 else "control",
                            "session": ses,
                            "direction": d,
                            "trial": t + 1,
                            "family": "falls" if binary else "pain",
                            "outcome": "fell" if binary else "knee_pain",
                            "unit": "" if binary else "NRS",
                            "value": value,
                        }
                    )
    return pl.DataFrame(rows)


def test_defaults_follow_the_measure_types():
    measures = {
        **NRS,
        "vas": {"family": "pain_vas", "unit": "mm", "min": 0, "max": 100},
        "fell": {"family": "falls", "unit": "", "type": "binary"},
        "steps": {"family": "counts", "unit": "n", "type": "count"},
        "BBS": {"family": "balance", "unit": "points", "min": 0, "max": 56},
    }
    got = model_family_defaults({"measures": measures, "pain_scale": {"name": "NRS"}})
    assert got == {"pain": "ordinal", "falls": "binomial", "counts": "poisson"}
    s = resolve_settings({}, {"measures": measures})
    assert s.models.family_for("pain") == "ordinal"
    assert s.models.family_for("balance") == "gaussian"
    # the study configuration wins over the cohort's default
    s = resolve_settings({"models": {"family": {"pain": "gaussian"}}}, {"measures": measures})
    assert s.models.family_for("pain") == "gaussian"
    with pytest.raises(SettingsError, match="models.family.pain"):
        resolve_settings({"models": {"family": {"pain": "beta"}}})


@pytest.fixture(scope="module")
def ordinal_results():
    s = resolve_settings({}, {"measures": NRS})
    return fit_study(_outcomes(), s.models, levels=LEVELS)


def test_ordinal_dispatch_with_lmm_sensitivity(ordinal_results):
    c = ordinal_results["contrasts"]
    assert set(c["analysis"]) == {"primary", "sensitivity"}
    prim = c.filter(pl.col("analysis") == "primary")
    sens = c.filter(pl.col("analysis") == "sensitivity")
    assert set(prim["model"]) == {"cumulative link mixed model"}
    assert set(sens["model"]) == {"linear mixed model"}
    assert prim.height == sens.height  # the same contrasts from both models
    assert set(prim["scale"]) == {"log odds"} and set(prim["estimate_type"]) == {"log odds ratio"}
    np.testing.assert_allclose(prim["ratio"], np.exp(prim["estimate"]))
    np.testing.assert_allclose(prim["ratio_ci_low"], np.exp(prim["ci_low"]))
    assert prim["z"].null_count() == 0 and prim["t"].null_count() == prim.height
    assert prim["p_adj"].null_count() == 0 and set(prim["adjust"]) == {"holm"}
    main = prim.filter(pl.col("contrast_type") == "main").row(0, named=True)
    assert (main["contrast_level"], main["contrast_reference"]) == ("backward", "forward")
    assert main["estimate"] > 0  # backward walking raised the simulated ratings
    assert c["warning"].null_count() == c.height


def test_ordinal_emmeans_and_tests(ordinal_results):
    e = ordinal_results["emmeans"].filter(pl.col("analysis") == "primary")
    assert set(e["quantity"]) == {"mean", "prob", "ge"}
    prob = e.filter(pl.col("quantity") == "prob")
    sums = prob.group_by("direction", "session", "group").agg(pl.col("emmean").sum())
    np.testing.assert_allclose(sums["emmean"], 1.0)
    ge = e.filter(pl.col("quantity") == "ge")
    assert "0" not in set(ge["category"])  # P(rating >= lowest) = 1 is not reported
    mean = e.filter(
        (pl.col("quantity") == "mean") & pl.col("session").is_null() & pl.col("group").is_null()
    )
    assert mean.height == 2 and (mean["ci_low"] < mean["emmean"]).all()
    a = ordinal_results["anova"].filter(pl.col("analysis") == "primary")
    assert {"likelihood ratio", "Wald chi-square"} <= set(a["test"])
    lrt = a.filter(pl.col("test") == "likelihood ratio")
    assert "direction:session:group" in lrt["term"].to_list()
    assert (
        ordinal_results["models"].filter(pl.col("analysis") == "primary")["estimation"][0]
        == "Laplace"
    )


def test_binomial_dispatch():
    s = resolve_settings(
        {"models": {"formula": {"default": "value ~ direction * session + (1 | subject)"}}},
        {"measures": {"fell": {"family": "falls", "unit": "", "type": "binary"}}},
    )
    res = fit_study(_outcomes(binary=True), s.models, levels=LEVELS)
    prim = res["contrasts"].filter(pl.col("analysis") == "primary")
    assert set(prim["model_family"]) == {"binomial"} and set(prim["ratio_type"]) == {"odds ratio"}
    e = res["emmeans"].filter(pl.col("analysis") == "primary")
    assert e["emmean"].is_between(0, 1).all()


def test_gaussian_model_of_few_levels_warns():
    s = resolve_settings({"models": {"family": {"pain": "gaussian"}}})
    res = fit_study(_outcomes(), s.models, levels=LEVELS)
    c = res["contrasts"]
    assert set(c["analysis"]) == {"primary"}
    assert c["warning"].null_count() == 0
    assert "ordinal model suits them" in c["warning"][0]
    assert "Gaussian model of non-Gaussian data" in res["models"]["notes"][0]
    text = " ".join(model_family_sentences(s.models, c))
    assert text.startswith("Warning: pain outcomes (knee_pain)")


def test_readers_speak_each_models_scale(ordinal_results):
    c = ordinal_results["contrasts"]
    rows = forest_rows(c)
    pts = rows.filter(pl.col("kind") == "contrast")
    assert pts.height == 1 and pts["scale"][0] == "ratio"  # the primary model only, as an OR
    prim = c.filter((pl.col("analysis") == "primary") & (pl.col("contrast_type") == "main"))
    assert pts["value"][0] == pytest.approx(prim["ratio"][0])
    table = results_table(c, ordinal_results["emmeans"])
    main = table.filter(pl.col("contrast_type") == "main")
    assert main["analysis"].to_list() == ["primary", "sensitivity"]  # side by side
    assert main["reference_emmean"].null_count() == 0  # mean rating from each model
    shown = format_results(table)
    assert {"Model", "Odds ratio [95% CI]", "z", "Scale"} <= set(shown.columns)
    assert shown["Model"][0] == "CLMM (primary)"
    text = " ".join(model_family_sentences(resolve_settings().models, c))
    assert "cumulative link mixed model (logit link), Laplace approximation" in text
    assert "linear mixed model as a sensitivity analysis" in text


def _training_outcomes(effect: float, seed: int = 3, n: int = 16) -> pl.DataFrame:
    """Ratings that fall from baseline to post by ``effect`` (latent SD units) in the retro
    group only, beside a direction effect."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n):
        u, group = rng.normal(), "retro" if s % 2 else "control"
        for ses in ("baseline", "post"):
            for d in ("forward", "backward"):
                drop = effect * (ses == "post") * (group == "retro")
                lat = -0.8 * (d == "backward") - drop + u + rng.logistic()
                rows.append(
                    {"cohort": "x", "subject": f"S{s:02d}", "group": group, "session": ses,
                     "direction": d, "family": "pain", "outcome": "knee_pain", "unit": "NRS",
                     "value": float(np.clip(np.round(1.5 * lat + 5), 0, 10))}
                )  # fmt: skip
    return pl.DataFrame(rows)


@pytest.mark.parametrize("effect", [3.0, -3.0])
def test_pain_reports_group_by_session_beside_direction(effect):
    """The training effect of a direction-primary ordinal model: post − baseline within each
    group and its difference between groups, as a log odds ratio with a Wald z."""
    s = resolve_settings({}, {"measures": NRS})
    res = fit_study(_training_outcomes(effect), s.models, levels=LEVELS)
    c = res["contrasts"]
    for analysis in ("primary", "sensitivity"):
        part = c.filter((pl.col("analysis") == analysis) & (pl.col("contrast_factor") == "session"))
        inter = part.filter(pl.col("contrast_type") == "interaction").row(0, named=True)
        assert (inter["factor"], inter["level"], inter["reference"]) == (
            "group",
            "control",
            "retro",
        )
        within = {
            r["at_level"]: r["estimate"]
            for r in part.filter(pl.col("contrast_type") == "simple").iter_rows(named=True)
        }
        assert inter["estimate"] == pytest.approx(within["control"] - within["retro"], abs=1e-8)
        # the ratings fell in the retro group only: control's change minus retro's has the
        # sign of the built-in effect
        assert np.sign(inter["estimate"]) == np.sign(effect)
        assert inter["p"] < 0.05
        if analysis == "primary":
            assert inter["ratio"] == pytest.approx(np.exp(inter["estimate"]))
            assert inter["z"] == pytest.approx(inter["estimate"] / inter["se"], rel=1e-6)
        # the EMMs of each session within each group, averaged over direction, back them
        emm = res["emmeans"].filter(
            (pl.col("analysis") == analysis)
            & pl.col("direction").is_null()
            & pl.col("session").is_not_null()
            & pl.col("group").is_not_null()
            & (pl.col("quantity").fill_null("mean") == "mean")
        )
        assert emm.height == 4 and set(emm["averaged_over"]) == {"direction"}
        retro = {r["session"]: r["emmean"] for r in emm.iter_rows(named=True)
                 if r["group"] == "retro"}  # fmt: skip
        assert np.sign(retro["post"] - retro["baseline"]) == -np.sign(effect)
    # without group in the model there is no training effect to report
    models = resolve_settings(
        {"models": {"formula": {"default": "value ~ direction * session + (1 | subject)",
                                "pain": "value ~ direction * session + (1 | subject)"}}},
        {"measures": NRS},
    ).models  # fmt: skip
    c = fit_study(_training_outcomes(effect), models, levels=LEVELS)["contrasts"]
    assert c.filter(pl.col("contrast_factor") == "session").is_empty()
