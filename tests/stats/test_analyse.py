"""analyse_outcomes on a synthetic outcome table with EMG, pain and balance outcomes."""

from __future__ import annotations

import numpy as np
import polars as pl
from synthetic import FORMULA, LEVELS, outcome_table

from analysis.models import analyse_outcomes, fit_lmm


def test_tables_and_required_columns(result):
    assert {
        "contrasts",
        "emmeans",
        "anova",
        "variance",
        "crosscheck",
        "residuals",
        "random_effects",
        "models",
    } <= set(result)
    required = {
        "contrast",
        "estimate",
        "se",
        "df",
        "ci_low",
        "ci_high",
        "t",
        "p",
        "p_adj",
        "adjust",
        "effect_size",
        "es_ci_low",
        "es_ci_high",
        "es_denominator",
        "cohort",
        "family",
        "outcome",
        "unit",
        "n_subjects",
        "n_obs",
        "n_dropped",
        "formula_requested",
        "formula_used",
        "singular",
        "ddf_method",
    }
    assert required <= set(result["contrasts"].columns)
    assert "z" not in result["contrasts"]["ddf_method"].to_list()


def test_emg_contrasts_per_session_and_interaction(result):
    vl = result["contrasts"].filter(pl.col("outcome") == "VL_mean_cycle")
    assert vl["contrast"].to_list() == [
        "backward - forward",
        "backward - forward | session = baseline",
        "backward - forward | session = post",
        "(backward - forward) | session = post - (backward - forward) | session = baseline",
    ]
    main = vl.row(0, named=True)
    assert main["ci_low"] < 2.0 < main["ci_high"]
    assert main["n_subjects"] == 12 and main["n_obs"] == 12 * 2 * 2 * 3


def test_pain_without_trials_drops_residual_confounded_terms(result):
    pain = result["models"].filter(pl.col("outcome") == "knee_pain_vas").row(0, named=True)
    assert pain["error"] is None
    assert "(1 | subject:session)" not in pain["formula_used"] or "dropped" in pain["notes"]
    assert pain["n_obs"] == 12 * 2 * 2


def test_balance_without_direction_reports_group_contrasts(result):
    bbs = result["models"].filter(pl.col("outcome") == "bbs").row(0, named=True)
    assert "direction" not in bbs["formula_used"]
    assert "'direction' not available" in bbs["notes"]
    con = result["contrasts"].filter(pl.col("outcome") == "bbs")
    assert con["contrast"].to_list() == ["post - baseline"]


def test_one_session_outcome_drops_session_terms(outcomes):
    one = outcomes.filter(pl.col("session") == "baseline", pl.col("family") == "emg")
    res = analyse_outcomes(one, FORMULA)
    models = res["models"]
    assert models["formula_used"].to_list() == ["value ~ direction + (1 + direction | subject)"] * 2
    assert all("one level" in n for n in models["notes"])
    assert set(res["contrasts"]["contrast"]) == {"backward - forward"}


def test_p_adjusted_within_family_and_contrast(result):
    con = result["contrasts"]
    emg_main = con.filter(pl.col("family") == "emg", pl.col("contrast") == "backward - forward")
    assert emg_main.height == 2
    p = np.sort(emg_main["p"].to_numpy())
    p_adj = np.sort(emg_main["p_adj"].to_numpy())
    want = np.minimum(np.maximum.accumulate(p * [2, 1]), 1)
    np.testing.assert_allclose(p_adj, want, rtol=1e-7, atol=1e-15)
    single = con.filter(pl.col("family") == "pain", pl.col("contrast") == "backward - forward")
    np.testing.assert_allclose(single["p_adj"], single["p"], rtol=1e-7, atol=1e-15)


def test_missing_values_counted_per_model(outcomes):
    holes = outcomes.with_columns(
        value=pl.when(
            (pl.col("outcome") == "VL_mean_cycle")
            & (pl.col("trial") == 1)
            & (pl.col("subject") == "P01")
        )
        .then(None)
        .otherwise(pl.col("value"))
    )
    res = analyse_outcomes(holes.filter(pl.col("family") == "emg"), FORMULA, levels=LEVELS)
    m = res["models"].sort("outcome")
    assert m["n_dropped"].to_list() == [0, 4]


def test_crosscheck_agrees_on_balanced_design(result):
    cc = result["crosscheck"].filter(pl.col("outcome") == "VL_mean_cycle")
    assert set(cc["check"]) == {"rm_anova", "paired_t"}
    assert cc["agree"].all()


def test_fit_matches_direct_call(outcomes, result):
    sub = outcomes.filter(pl.col("outcome") == "VL_mean_cycle")
    fit = fit_lmm(sub, FORMULA, levels=LEVELS)
    main = result["contrasts"].filter(pl.col("outcome") == "VL_mean_cycle").row(0, named=True)
    assert main["formula_used"] == fit.formula
    assert main["singular"] == fit.singular


def test_bad_model_is_reported_not_raised():
    df = outcome_table(n_subjects=4).filter(pl.col("outcome") == "VL_mean_cycle")
    res = analyse_outcomes(df, "value ~ direction * trial_speed + (1 | subject)")
    assert res["models"]["error"][0] is not None or "not available" in res["models"]["notes"][0]
