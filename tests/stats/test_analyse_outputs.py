"""analyse_outcomes: diagnostics frames, marginal EMMs, level order, primary factor, families.

Numbers are checked against the R fixtures (lme4 ranef/fitted/residuals, emmeans) where R
computed them; the rest against identities that hold for any linear mixed model.
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from rcompare import FIXTURES, RTOL_BETA, RTOL_DF, RTOL_SE, cases, close, compare_contrasts

from analysis.models import adjust_pvalues, adjust_within_families, analyse_outcomes

CASES = {c["name"]: c for c in cases()}
TRIALS_FORMULA = CASES["retro_trials"]["formula"]


def _retro_trials() -> pl.DataFrame:
    from rcompare import case_data

    return case_data(CASES["retro_trials"]).with_columns(
        cohort=pl.lit("r"), family=pl.lit("emg"), outcome=pl.lit("VL_mean_cycle"), unit=pl.lit("uV")
    )


@pytest.fixture(scope="module")
def trials_result() -> dict[str, pl.DataFrame]:
    return analyse_outcomes(
        _retro_trials(), TRIALS_FORMULA, levels=CASES["retro_trials"]["levels"], crosscheck=False
    )


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


# -- 1. residuals and random effects -------------------------------------------------------------


def test_random_effects_equal_lme4_ranef(trials_result):
    fix = _fixture("retro_trials")["ranef"]
    theirs = pl.DataFrame(
        {
            "grouping": fix["group"],
            "coefficient": fix["term"],
            "group_level": fix["group_level"],
            "effect_r": fix["effect"],
        }  # fmt: skip
    )
    ours = trials_result["random_effects"]
    assert {"cohort", "family", "outcome", "unit", "term", "group_level", "effect"} <= set(
        ours.columns
    )
    joined = ours.join(theirs, on=["grouping", "coefficient", "group_level"])
    assert joined.height == ours.height == theirs.height == 16 * 2 + 32 + 64
    assert joined["term"].n_unique() == 4  # (Intercept) of three groupings stay apart
    close(joined["effect"], joined["effect_r"], 1e-3, 1e-3, "BLUPs")


def test_residuals_equal_lme4_and_observed_minus_fitted(trials_result):
    fix = _fixture("retro_trials")
    res = trials_result["residuals"]
    assert {"cohort", "family", "outcome", "unit", "fitted", "residual"} <= set(res.columns)
    assert res.height == trials_result["models"]["n_obs"][0] == len(fix["residuals"])
    np.testing.assert_allclose(res["residual"], res["observed"] - res["fitted"], atol=1e-10)
    close(res["fitted"], fix["fitted"], 1e-6, 1e-4, "fitted")
    close(res["residual"], fix["residuals"], 1e-3, 1e-4, "residuals")


def test_diagnostics_frames_feed_plot_diagnostics(result):
    import matplotlib

    matplotlib.use("Agg")
    from analysis.report.figures import plot_diagnostics

    res, re = result["residuals"], result["random_effects"]
    models = result["models"].filter(pl.col("error").is_null())
    per_model = res.group_by("outcome").len()
    expected = dict(zip(models["outcome"], models["n_obs"], strict=True))
    assert dict(per_model.iter_rows()) == expected
    # BLUPs of each term average to ~0 relative to their spread
    stats_ = re.group_by("outcome", "term").agg(
        mean=pl.col("effect").mean(), std=pl.col("effect").std()
    )
    assert (stats_["mean"].abs() <= 0.05 * stats_["std"] + 1e-8).all()
    fig = plot_diagnostics(res, re, outcomes=["VL_mean_cycle", "bbs"])
    assert len(fig.axes) == 6
    assert len(fig.axes[0].collections[0].get_offsets()) == expected["VL_mean_cycle"]


# -- 2. marginal EMMs ----------------------------------------------------------------------------


def test_marginal_emms_equal_r_emmeans(trials_result):
    emm = trials_result["emmeans"]
    overall = emm.filter(pl.col("session").is_null())
    assert overall["direction"].to_list() == ["forward", "backward"]
    assert overall["averaged_over"].to_list() == ["session", "session"]
    r = _fixture("retro_trials")["emmeans"][1]  # direction, averaged over sessions
    assert r["direction"] == overall["direction"].to_list()
    close(overall["emmean"], r["emmean"], RTOL_BETA, what="emmean")
    close(overall["se"], r["se"], RTOL_SE, what="emmean SE")
    close(overall["df"], r["df"], RTOL_DF, what="emmean df")
    cells = emm.filter(pl.col("session").is_not_null())
    assert cells.height == 4 and cells["averaged_over"].is_null().all()


def test_results_table_joins_emms_to_every_main_and_simple_contrast(result):
    from analysis.report.tables import results_table

    t = results_table(result["contrasts"], result["emmeans"])
    pairs = t.filter(pl.col("contrast_type") != "interaction")
    assert pairs.height and pairs["reference_emmean"].is_not_null().all()
    assert pairs["comparison_emmean"].is_not_null().all()
    # a contrast of EMMs is the difference of the two EMMs
    diff = pairs["comparison_emmean"] - pairs["reference_emmean"]
    np.testing.assert_allclose(diff, pairs["estimate"], rtol=1e-8, atol=1e-8)
    main = pairs.filter(pl.col("contrast") == "backward - forward")
    assert main.height == 3  # two muscles and pain


# -- 3. level order --------------------------------------------------------------------------------


def _post_first(outcomes: pl.DataFrame) -> pl.DataFrame:
    return outcomes.filter(pl.col("outcome") == "bbs").sort(
        pl.col("session") != "post", maintain_order=True
    )


def test_levels_set_reference_session_not_first_appearance(outcomes):
    data = _post_first(outcomes)
    assert data["session"][0] == "post"
    formula = "value ~ session * group + (1 | subject)"
    kw = {"crosscheck": False, "primary": "session"}
    ordered = analyse_outcomes(data, formula, levels={"session": ["baseline", "post"]}, **kw)
    appear = analyse_outcomes(data, formula, **kw)
    main_o = ordered["contrasts"].filter(pl.col("contrast_type") == "main").row(0, named=True)
    main_a = appear["contrasts"].filter(pl.col("contrast_type") == "main").row(0, named=True)
    assert main_o["contrast"] == "post - baseline"
    assert main_a["contrast"] == "baseline - post"
    assert main_o["estimate"] == pytest.approx(
        -main_a["estimate"], rel=1e-6, abs=1e-6 * main_a["se"]
    )
    inter = ordered["contrasts"].filter(pl.col("contrast_type") == "interaction")
    assert inter["contrast"].str.starts_with("(post - baseline)").all()


def test_levels_missing_a_session_of_the_data_is_reported(outcomes):
    res = analyse_outcomes(
        _post_first(outcomes),
        "value ~ session + (1 | subject)",
        levels={"session": ["baseline"]},
        crosscheck=False,
    )
    assert "not in the levels given" in res["models"]["error"][0]
    assert res["contrasts"].height == 0


# -- 4. multiplicity families with nulls -----------------------------------------------------------


def _emg_balance_table() -> pl.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    outcomes = [  # family, outcome, muscle, feature, phase, effect
        ("emg", "VL_mean_cycle", "VL", "mean", "cycle", 1.0),
        ("emg", "TA_mean_cycle", "TA", "mean", "cycle", 0.3),
        ("emg", "VL_peak_cycle", "VL", "peak", "cycle", 0.5),
        ("emg", "VL_mean_stance", "VL", "mean", None, 0.4),
        ("balance", "bbs", None, None, None, 0.6),
        ("balance", "tug", None, None, None, 0.2),
        ("pain", "vas", None, None, None, 0.4),
    ]
    for fam, out, muscle, feature, phase, eff in outcomes:
        u = rng.normal(size=8)
        for s in range(8):
            for direction in ("forward", "backward"):
                v = u[s] + eff * (direction == "backward") + rng.normal(scale=0.7)
                rows.append((f"S{s}", direction, fam, out, muscle, feature, phase, v))
    return pl.DataFrame(
        rows,
        schema=["subject", "direction", "family", "outcome", "muscle", "feature", "phase", "value"],
        orient="row",
    )


def test_family_columns_with_nulls_neither_split_nor_merge():
    data = _emg_balance_table()
    # a row of VL_mean_cycle without its feature must not split the outcome into two models
    data = data.with_columns(
        feature=pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("feature"))
    )
    res = analyse_outcomes(
        data,
        "value ~ direction + (1 | subject)",
        family_col=["family", "feature", "phase"],
        crosscheck=False,
    )
    con = res["contrasts"]
    assert res["models"].height == 7 and con.height == 7
    vl = con.filter(pl.col("outcome") == "VL_mean_cycle").row(0, named=True)
    assert (vl["muscle"], vl["feature"], vl["phase"]) == ("VL", "mean", "cycle")
    expected_families = [
        ["VL_mean_cycle", "TA_mean_cycle"],  # one feature and phase, all muscles
        ["VL_peak_cycle"],
        ["VL_mean_stance"],  # phase null: not merged with the cycle family
        ["bbs", "tug"],  # feature and phase null: one family per `family`
        ["vas"],  # also null, but another family
    ]
    p = dict(zip(con["outcome"], con["p"], strict=True))
    p_adj = dict(zip(con["outcome"], con["p_adj"], strict=True))
    for fam in expected_families:
        want = adjust_pvalues([p[o] for o in fam], "holm")
        np.testing.assert_allclose([p_adj[o] for o in fam], want, rtol=1e-12, atol=1e-15)
    assert p_adj["bbs"] > p["bbs"] and p_adj["VL_peak_cycle"] == p["VL_peak_cycle"]


def test_family_column_varying_within_an_outcome_is_refused():
    data = _emg_balance_table()
    two_features = (pl.col("outcome") == "bbs") & pl.col("subject").is_in(["S0", "S1"])
    data = data.with_columns(
        feature=pl.when(two_features)
        .then(pl.when(pl.col("subject") == "S0").then(pl.lit("mean")).otherwise(pl.lit("peak")))
        .otherwise(pl.col("feature"))
    )
    with pytest.raises(ValueError, match="several values within outcome"):
        analyse_outcomes(
            data, "value ~ direction + (1 | subject)", family_col=["family", "feature"]
        )


def test_adjust_within_families_null_is_its_own_value():
    c = pl.DataFrame(
        {
            "cohort": ["a"] * 5 + ["b"],
            "family": ["emg", "emg", "emg", "bal", "bal", "emg"],
            "feature": ["mean", None, None, None, None, "mean"],
            "contrast": ["c"] * 6,
            "p": [0.01, 0.02, 0.03, 0.04, 0.05, 0.01],
        }
    )
    out = adjust_within_families(c, ["cohort", "family", "feature"])["p_adj"].to_list()
    # families: {0}, {1, 2}, {3, 4}, {5}; the other cohort is never merged
    np.testing.assert_allclose(out, [0.01, 0.04, 0.04, 0.08, 0.08, 0.01], rtol=1e-12, atol=1e-15)


# -- 5. primary factor -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed_anova_session() -> dict[str, pl.DataFrame]:
    from rcompare import case_data

    case = CASES["pg_mixed_anova"]
    data = case_data(case).select(
        subject=pl.col("Subject").cast(pl.String),
        group=pl.col("Group"),
        session=pl.col("Time"),
        value=pl.col("Scores"),
        outcome=pl.lit("score"),
    )
    levels = {"group": case["levels"]["Group"], "session": case["levels"]["Time"]}
    return analyse_outcomes(
        data,
        "value ~ group * session + (1 | subject)",
        levels=levels,
        primary="session",
        crosscheck=False,
    )


def test_primary_session_contrasts_equal_r(mixed_anova_session):
    fix = _fixture("pg_mixed_anova")
    con = mixed_anova_session["contrasts"]
    assert con["contrast"].to_list() == [
        "June - August",
        "June - August | group = Control",
        "June - August | group = Meditation",
        "(June - August) | group = Meditation - (June - August) | group = Control",
    ]
    assert con["contrast_type"].to_list() == ["main", "simple", "simple", "interaction"]
    compare_contrasts(con[0], fix["pairs"][1], "June - August overall")
    compare_contrasts(con[1:3], fix["pairs"][2], "June - August by group")
    compare_contrasts(con[3], fix["interactions"][1], "change between groups")


def test_primary_session_emms_equal_r(mixed_anova_session):
    emm = mixed_anova_session["emmeans"]
    overall = emm.filter(pl.col("group").is_null())
    r = _fixture("pg_mixed_anova")["emmeans"][1]  # Time averaged over Group
    assert overall["session"].to_list() == r["Time"]
    close(overall["emmean"], r["emmean"], RTOL_BETA, what="emmean")
    close(overall["se"], r["se"], RTOL_SE, what="emmean SE")
    assert (emm["session"].is_not_null()).all()


def test_primary_default_and_fallback(outcomes):
    bbs = outcomes.filter(pl.col("outcome") == "bbs")
    formula = "value ~ session * group + (1 | subject)"
    levels = {"session": ["baseline", "post"], "group": ["control", "retro"]}
    default = analyse_outcomes(bbs, formula, levels=levels, crosscheck=False)
    assert default["contrasts"]["contrast"][0] == "control - retro"
    # direction is not in this model: the default order applies and a note says so
    fallback = analyse_outcomes(bbs, formula, levels=levels, primary="direction", crosscheck=False)
    assert fallback["contrasts"]["contrast"][0] == "control - retro"
    assert "'direction' is not a model factor" in fallback["models"]["notes"][0]
    with pytest.raises(ValueError, match="primary"):
        analyse_outcomes(bbs, formula, primary="trial")


def test_primary_session_with_direction_in_the_model(outcomes):
    vl = outcomes.filter(pl.col("outcome") == "VL_mean_cycle")
    res = analyse_outcomes(
        vl,
        "value ~ direction * session + (1 | subject)",
        levels={"session": ["baseline", "post"]},
        primary="session",
        crosscheck=False,
    )
    assert res["contrasts"]["contrast"].to_list() == ["post - baseline"]
    emm = res["emmeans"]
    assert emm["session"].to_list() == ["baseline", "post"]
    assert emm["averaged_over"].to_list() == ["direction", "direction"]


# -- pooled cohorts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formula",
    [
        "value ~ session + cohort + (1 | subject)",
        "value ~ session + (1 | cohort) + (1 | cohort:subject)",
    ],
)
def test_cohort_in_the_formula_fits_one_pooled_model(outcomes, formula):
    bbs = outcomes.filter(pl.col("outcome") == "bbs")
    two = pl.concat(
        [
            bbs.with_columns(cohort=pl.lit("alpha")),
            bbs.with_columns(cohort=pl.lit("beta"), value=pl.col("value") + 5),
        ]
    ).with_columns(subject=pl.format("{}:{}", pl.col("cohort"), pl.col("subject")))
    res = analyse_outcomes(two, formula, crosscheck=False)
    models = res["models"]
    assert models.height == 1 and models["cohort"][0] == "pooled"
    assert "cohort" in models["formula_used"][0] and models["n_obs"][0] == two.height
    assert set(res["contrasts"]["cohort"]) == {"pooled"}
    # one cohort per model when the formula does not use it
    split = analyse_outcomes(two, "value ~ session + (1 | subject)", crosscheck=False)
    assert split["models"]["cohort"].to_list() == ["alpha", "beta"]
