"""Methods paragraph and results sentences follow what was run."""

from __future__ import annotations

import copy
import doctest
import importlib
import math
from pathlib import Path

import polars as pl
import pytest
import yaml

from analysis.core.settings import resolve_settings
from analysis.models.waveform import spm_paired
from analysis.report.contrasts import read_contrast
from analysis.report.findings import results_sentences, results_text, spm_sentences
from analysis.report.labels import format_p, outcome_label
from analysis.report.methods import methods_text
from analysis.report.versions import software_versions

REPO = Path(__file__).resolve().parents[2]
SOFTWARE = {"Python": "3.11.0", "spm1d": "0.4.55", "polars": "2.1.0"}


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_methods_reports_the_configured_parameters(config):
    text = methods_text(resolve_settings(config), software=SOFTWARE)
    emg = config["emg"]
    # the EMG paragraph is the EMG stage's own, written from the same parameters
    assert f"{emg['bandpass']['low_hz']:g}-{emg['bandpass']['high_hz']:g} Hz" in text
    assert f"{emg['bandpass']['order']}th-order Butterworth" in text
    assert f"{emg['envelope']['lowpass_hz']:g} Hz" in text
    assert f"time-normalised to {emg['cycles']['points']} points" in text
    assert "REML" in text and "Holm" in text
    assert "Python 3.11.0" in text and "spm1d 0.4.55" in text
    assert len(text.strip().split("\n\n")) == 3  # EMG, statistics, software


def test_methods_changes_with_the_config(config):
    cfg = copy.deepcopy(config)
    cfg["emg"]["envelope"] = {"method": "rms", "rms_window_s": 0.1}
    cfg["emg"]["notch"] = {"enabled": True, "harmonics": 2, "quality": 25}
    cfg["emg"]["normalisation"]["method"] = "mvc"
    cfg["models"] = {
        "formula": {"default": "value ~ direction + (1 + direction | subject)"},
        "reml": False,
        "ddf": "satterthwaite",  # Kenward-Roger is refused for ML fits (tests/core)
        "adjust": "fdr_bh",
        "alpha": 0.01,
    }
    text = methods_text(resolve_settings(cfg), software=SOFTWARE)
    assert "moving root mean square over 100 ms" in text
    assert "notch filters at 50 Hz, 100 Hz" in text  # mains and one harmonic: 2 frequencies
    assert "maximal voluntary contractions" in text
    assert "maximum likelihood" in text and "REML" not in text
    assert "random intercept and random slope for direction per subject" in text
    assert "Satterthwaite degrees of freedom" in text
    assert "Benjamini–Hochberg" in text and "α = 0.01" in text
    assert "99% confidence intervals" in text


def test_methods_prefers_what_was_fitted(config, contrasts, curves):
    text = methods_text(
        resolve_settings(config), contrasts=contrasts, spm=spm_paired(curves), software=SOFTWARE
    )
    assert "For balance outcomes the model was `value ~ session * group + (1 | subject)`" in text
    assert "For EMG outcomes the model was `value ~ direction * session + (1 | subject)`" in text
    assert "(1 + direction | subject)" not in text  # configured, but not what was fitted
    assert "(balance, emg, pain)" in text
    assert "(backward − forward, post − baseline)" in text
    assert "divide the contrast by the residual SD" in text
    assert "statistical parametric mapping (spm1d)" in text and "noncentral t" in text
    assert len(text.strip().split("\n\n")) == 4


def test_methods_reports_simplified_models(config, contrasts):
    requested = "value ~ direction * session + (1 + direction | subject)"
    simpler = "value ~ direction * session + (1 | subject)"
    emg = contrasts.filter(pl.col("family") == "emg").with_columns(
        formula_requested=pl.lit(requested),
        formula_used=pl.when(pl.col("outcome") == "VL_mean_cycle")
        .then(pl.lit(requested))
        .otherwise(pl.lit(simpler)),
        ddf_method=pl.lit("kenward-roger"),
    )
    text = methods_text(resolve_settings(config), contrasts=emg, software=SOFTWARE)
    assert f"For EMG outcomes the model was `{requested}`" in text
    assert "(2 of 3 outcomes) the random structure was simplified" in text
    assert f"`{simpler}` for 2 (BF mean amplitude (gait cycle), TA mean amplitude" in text
    assert "Kenward–Roger degrees of freedom" in text


def test_emg_paragraph_can_come_from_the_emg_stage(config):
    from analysis.emg.methods import methods_text as emg_methods

    own = emg_methods(config["emg"])
    text = methods_text(resolve_settings(config), software=SOFTWARE, emg_paragraph=own)
    assert text.split("\n\n")[0] == own.strip()
    assert "Butterworth" in text and "REML" in text


def test_software_versions_are_the_installed_ones():
    import polars

    v = software_versions()
    assert v["polars"] == polars.__version__
    assert "Python" in v


def test_results_sentences_carry_the_numbers(contrasts):
    labels = {"knee_pain_walking": "knee pain while walking"}
    sentences = results_sentences(contrasts, labels=labels)
    assert len(sentences) == contrasts.height
    vl = sentences[0]
    assert vl.startswith("VL mean amplitude (gait cycle) was higher walking backward than forward")
    assert "95% CI" in vl and "t(7.0) = 8.00" in vl and "adjusted p < .001" in vl
    bf = sentences[1]
    assert "did not differ significantly between backward and forward walking" in bf
    ta = sentences[2]
    assert "was lower walking backward" in ta and "difference −0.03 % ref" in ta
    pain = sentences[3]
    assert pain.startswith("Knee pain while walking was lower walking backward")
    bbs = sentences[4]
    assert "was higher at post than at baseline" in bbs
    tug = sentences[5]
    assert "did not differ significantly between post and baseline" in tug


def test_interaction_and_simple_contrasts():
    c = pl.DataFrame(
        {
            "outcome": ["knee_pain_walking"] * 3 + ["BBS"],
            "unit": "NRS",
            "contrast": [
                "backward - forward | group = retro",
                "(backward - forward) | session = post - (backward - forward) | session = baseline",
                "(backward - forward) | group = control - (backward - forward) | group = retro",
                "retro - control",
            ],
            "contrast_type": ["simple", "interaction", "interaction", "main"],
            "contrast_factor": ["direction"] * 3 + ["group"],
            "contrast_level": ["backward"] * 3 + ["retro"],
            "contrast_reference": ["forward"] * 3 + ["control"],
            "at_factor": ["group", None, None, None],
            "at_level": ["retro", None, None, None],
            "factor": [None, "session", "group", None],
            "level": [None, "post", "control", None],
            "reference": [None, "baseline", "retro", None],
            "group": ["retro", None, None, None],
            "estimate": [-0.8, 0.5, -0.4, 2.9],
            "ci_low": [-1.5, 0.1, -1.0, -1.0],
            "ci_high": [-0.1, 0.9, 0.2, 6.8],
            "p": [0.01, 0.01, 0.2, 0.1],
            "p_adj": [0.02, 0.03, 0.4, 0.3],
        }
    )
    s = results_sentences(c)
    assert s[0].startswith("Knee pain walking was lower walking backward than forward in the retro")
    assert s[1].startswith(
        "Knee pain walking: the walking backward − forward difference was larger at post than "
        "at baseline (difference of differences 0.50 NRS"
    )
    assert "did not differ significantly between control and retro" in s[2]
    # a contrast between groups, known from its contrast_factor column
    assert "between the retro and control groups" in s[3]
    assert results_text(c).count(".") < results_text(c, contrast_types=None).count(".")


def test_read_contrast_uses_the_level_columns_not_the_label():
    row = {
        "contrast": "not read",
        "contrast_type": "interaction",
        "contrast_factor": "group",
        "contrast_level": "a",
        "contrast_reference": "b",
        "factor": "session",
        "level": "post",
        "reference": "baseline",
    }
    c = read_contrast(row)
    assert (c.kind, c.factor, c.level, c.reference) == ("interaction", "group", "a", "b")
    assert (c.by_factor, c.by_level, c.by_reference) == ("session", "post", "baseline")
    assert c.label == "(a − b): post − baseline"
    simple = read_contrast(
        {"contrast": "not read", "contrast_type": "simple", "at_factor": "session",
         "at_level": "post", "session": "post"}
    )  # fmt: skip
    assert simple.kind == "simple" and simple.condition == (("session", "post"),)
    assert simple.label == "backward − forward | session post"
    assert read_contrast({}).label == "backward − forward"
    assert read_contrast({"contrast": "post - baseline"}).is_direction  # the label is not read


def test_results_text_groups_by_family(contrasts, curves):
    text = results_text(contrasts, spm=spm_paired(curves))
    paragraphs = text.strip().split("\n\n")
    assert [p.split("**")[1] for p in paragraphs] == [
        "EMG.",
        "Pain.",
        "Balance.",
        "EMG waveforms (SPM).",
    ]


def test_spm_sentences(curves):
    clusters = spm_paired(curves)
    s = spm_sentences(clusters)
    assert len(s) == 4
    vl = next(x for x in s if x.startswith("synth, VL"))
    row = clusters.filter((pl.col("muscle") == "VL") & pl.col("cluster").is_not_null()).row(
        0, named=True
    )
    assert f"from {row['start_pct']:.0f}% to {row['end_pct']:.0f}%" in vl and "higher" in vl
    assert any(x.startswith("synth, BF: no supra-threshold cluster") for x in s)


@pytest.mark.parametrize(
    ("p", "text"), [(0.0004, "< .001"), (0.001, ".001"), (0.05, ".050"), (0.9999, "1.000")]
)
def test_format_p(p, text):
    assert format_p(p) == text


def test_outcome_label_unknown_feature():
    assert outcome_label("TA_onset_stance") == "TA onset (stance)"
    assert outcome_label("GMED_cci_swing") == "GMED co-contraction index (swing)"


MODULES = [
    "analysis.models.waveform",
    "analysis.report.labels",
    "analysis.report.contrasts",
    "analysis.report.methods",
    "analysis.report.findings",
    "analysis.report.versions",
    "analysis.report.figures.style",
    "analysis.report.figures.ensemble",
    "analysis.report.figures.paired",
    "analysis.report.figures.forest",
    "analysis.report.figures.trajectories",
    "analysis.report.figures.diagnostics",
    "analysis.report.figures.qc",
    "analysis.report.tables.formats",
    "analysis.report.tables.table1",
    "analysis.report.tables.results",
    "analysis.report.landing",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_results_text_reports_training_interactions_and_adapts_decimals():
    """Group x session of a session-primary family is in the text; a CI of a small effect is not
    printed as "-0.04 to -0.04"; trial-level df are named."""
    c = pl.DataFrame(
        {
            "family": ["balance", "balance", "spatiotemporal"],
            "outcome": ["BBS", "BBS", "step_time"],
            "unit": ["points", "points", "s"],
            "contrast_type": ["main", "interaction", "main"],
            "contrast_factor": ["session", "session", "direction"],
            "contrast_level": ["post", "post", "backward"],
            "contrast_reference": ["baseline", "baseline", "forward"],
            "factor": [None, "group", None],
            "level": [None, "control", None],
            "reference": [None, "retro", None],
            "estimate": [2.75, -2.5, -0.04173],
            "se": [0.31, 0.62, 0.00124],
            "ci_low": [2.06, -3.88, -0.04419],
            "ci_high": [3.44, -1.12, -0.03928],
            "df": [10.0, 10.0, 129.0],
            "t": [8.9, -4.0, -33.6],
            "p": [1e-5, 0.002, 1e-60],
            "p_adj": [1e-5, 0.005, 1e-60],
            "n_subjects": [12, 12, 12],
            "n_obs": [24, 24, 144],
            "formula_used": ["value ~ session*group + (1 | subject)"] * 2
            + ["value ~ direction*session + (1 | subject)"],
        }
    )
    text = results_text(c)
    assert text.index("**Spatiotemporal.**") < text.index("**Balance.**")
    assert "the post − baseline difference was smaller in the control group" in text
    assert "95% CI −0.0442 to −0.0393" in text
    assert "trial-level df" in text and "t(10.0) = 8.90, p" in text


def test_declared_hardware_and_protocol_are_written_and_nothing_invented(config):
    bare = methods_text(resolve_settings(config), software=SOFTWARE)
    for word in ("electrode", "amplifier", "rejection ratio", "walked", "SENIAM"):
        assert word not in bare
    cohort = {
        "emg": {
            "electrodes": {"type": "bipolar Ag/AgCl", "inter_electrode_distance_mm": 20,
                           "placement": "SENIAM"},
            "amplifier": {"model": "Trigno Avanti", "cmrr_db": 80, "input_impedance_mohm": 100},
        },
        "protocol": {"speed": {"mode": "self-selected", "surface": "treadmill"}},
    }  # fmt: skip
    text = methods_text(resolve_settings(config, cohort), software=SOFTWARE)
    assert text.startswith("Participants walked on a treadmill at a self-selected speed. Surface")
    assert len(text.strip().split("\n\n")) == 3  # EMG (with the protocol), statistics, software
    assert "bipolar Ag/AgCl electrodes (inter-electrode distance 20 mm)" in text
    assert "SENIAM recommendations" in text
    assert "amplified with a Trigno Avanti (a common-mode rejection ratio of 80 dB" in text
    assert "input impedance of 100 MΩ" in text and "a gain of" not in text
    flipped = copy.deepcopy(cohort)
    flipped["emg"]["electrodes"] = {"inter_electrode_distance_mm": 10}
    flipped["emg"]["amplifier"] = {"gain": 500}
    flipped["protocol"]["speed"] = {"mode": "fixed", "value_m_s": 0.6, "surface": "overground"}
    text = methods_text(resolve_settings(config, flipped), software=SOFTWARE)
    assert text.startswith("Participants walked overground at a fixed speed of 0.6 m/s.")
    assert "surface electrodes (inter-electrode distance 10 mm)." in text
    assert "The amplifier had a gain of 500." in text
    assert "SENIAM" not in text and "rejection ratio" not in text


def _design_data(subjects_b: int = 3) -> pl.DataFrame:
    rows = []
    for i in range(3 + subjects_b):
        for session in ("baseline", "post"):
            rows.append(("balance", "BBS", f"S{i}", "a" if i < 3 else "b", session, 50.0))
    return pl.DataFrame(
        rows, schema=["family", "outcome", "subject", "group", "session", "value"], orient="row"
    )


def test_methods_state_levels_n_missingness_and_icc(config):
    from analysis.report.methods import design_sentences

    contrasts = pl.DataFrame(
        {
            "family": "balance",
            "outcome": ["BBS", "TUG"],
            "analysis": "primary",
            "formula_requested": "value ~ session * group + (1 | subject)",
            "formula_used": "value ~ session * group + (1 | subject)",
            "n_subjects": 6,
            "n_obs": [12, 12],
            "n_dropped": [0, 0],
        }
    )
    icc = pl.DataFrame(
        {"family": "balance", "quantity": "icc", "group": "(1 | subject)", "value": [0.4, 0.7]}
    )
    text = " ".join(design_sentences(contrasts, _design_data(), icc))
    assert "group a (n = 3) and b (n = 3); session baseline (n = 6) and post (n = 6)" in text
    assert "12 observations per model, none dropped for missing values" in text
    assert "intraclass correlation" in text and "was 0.40 to 0.70" in text
    # one subject fewer in group b, two observations dropped, other ICCs: the text follows
    fewer = contrasts.with_columns(n_obs=pl.Series([10, 11]), n_dropped=pl.Series([2, 1]))
    text = " ".join(design_sentences(fewer, _design_data(2), icc.with_columns(value=0.2)))
    assert "group a (n = 3) and b (n = 2)" in text
    assert "10 to 11 observations per model, 3 dropped for missing values" in text
    assert "was 0.20." in text
    # and the methods carry it after the model sentences
    full = methods_text(
        resolve_settings(config), contrasts=contrasts, data=_design_data(), software=SOFTWARE
    )
    assert full.index("For balance outcomes the model was") < full.index("group a (n = 3)")


@pytest.mark.parametrize("p", [0.02, 0.4])
def test_pain_training_effect_is_named_as_an_odds_ratio(p):
    est, se = 1.2, 0.5
    row = {
        "family": "pain", "outcome": "knee_pain", "unit": "NRS", "model_family": "ordinal",
        "analysis": "primary", "contrast_type": "interaction", "contrast_factor": "session",
        "contrast_level": "post", "contrast_reference": "baseline", "factor": "group",
        "level": "control", "reference": "retro", "estimate": est, "se": se,
        "ci_low": est - 1.96 * se, "ci_high": est + 1.96 * se, "z": est / se, "p": p,
        "p_adj": p, "ratio": math.exp(est), "ratio_ci_low": math.exp(est - 1.96 * se),
        "ratio_ci_high": math.exp(est + 1.96 * se), "ratio_type": "odds ratio",
        "df": None, "t": None,
    }  # fmt: skip
    text = results_text(pl.DataFrame([row]))
    assert "group × session (training effect)" in text
    assert (
        f"ratio of odds ratios {math.exp(est):.2f}, 95% CI {math.exp(est - 1.96 * se):.2f}" in text
    )
    assert "log-odds scale of the cumulative link mixed model; z = 2.40" in text
    if p < 0.05:
        assert "the post − baseline odds ratio of a higher rating was larger in the control" in text
    else:
        assert "did not differ significantly between control and retro" in text


def test_methods_say_which_outcomes_were_fitted_to_condition_means():
    from analysis.report.methods import design_sentences

    contrasts = pl.DataFrame(
        {
            "family": "spatiotemporal",
            "outcome": ["stride_time", "cadence"],
            "formula_requested": "value ~ direction * session + (1 + direction | subject)",
            "n_subjects": 12,
            "n_obs": [48, 144],
            "n_dropped": 0,
            "observation": ["subject × condition mean", "trial"],
        }
    )
    text = " ".join(design_sentences(contrasts))
    assert "For 1 of 2 outcomes (stride time) the random slope" in text
    assert "subject × condition means" in text and "the others were fitted to the trials" in text
    text = " ".join(design_sentences(contrasts.with_columns(observation=pl.lit("trial"))))
    assert "condition means" not in text
    assert "Trials entered the models as repeated observations." in text


def test_sided_outcomes_read_as_words_in_text_tables_and_figures():
    from analysis.report.figures.forest import forest_rows
    from analysis.report.tables.results import format_results, results_table

    c = pl.DataFrame(
        {
            "family": "emg",
            "outcome": ["R_VL_mean_cycle", "L_TA_peak_cycle", "L_VL_mean_cycle"],
            "unit": "%",
            "contrast": "backward - forward",
            "contrast_type": "main",
            "contrast_factor": "direction",
            "contrast_level": "backward",
            "contrast_reference": "forward",
            "estimate": [1.0, -2.0, 3.0],
            "se": 0.5,
            "ci_low": [0.0, -3.0, 2.0],
            "ci_high": [2.0, -1.0, 4.0],
            "df": 11.0,
            "t": [2.0, -4.0, 6.0],
            "p": [0.07, 0.002, 0.0001],
            "p_adj": [0.07, 0.004, 0.0003],
        }
    )
    text = results_text(c)
    assert "L VL" not in text and "R VL" not in text
    # hip to ankle, the left leg before the right one
    assert (
        text.index("VL (left) mean amplitude (gait cycle) was higher")
        < text.index("VL (right) mean amplitude")
        < text.index("TA (left) peak amplitude")
    )
    table = format_results(results_table(c))
    assert "VL (right) mean amplitude (gait cycle)" in table["Outcome"].to_list()
    labels = forest_rows(c).filter(pl.col("kind") == "contrast")["label"].to_list()
    assert any(lab.startswith("TA (left) peak amplitude") for lab in labels)
    assert outcome_label("L_TA_peak_cycle", full=True).startswith("Tibialis anterior (TA), left")


@pytest.mark.parametrize(
    ("p_adj", "span"),
    [
        ([1.0] * 5, "adjusted p = 1.000 for each"),
        ([0.5, 0.6, 0.7, 0.8, 1.0], "adjusted p .500 to 1.000"),
    ],
)
def test_summarised_interactions_give_their_p_range_once(p_adj, span):
    c = pl.DataFrame(
        {
            "family": "emg",
            "outcome": [f"{m}_mean_cycle" for m in ("VL", "VM", "RF", "BF", "TA")],
            "unit": "%",
            "contrast_type": "interaction",
            "contrast_factor": "direction",
            "contrast_level": "backward",
            "contrast_reference": "forward",
            "factor": "session",
            "level": "post",
            "reference": "baseline",
            "estimate": 0.1,
            "se": 0.1,
            "ci_low": -0.1,
            "ci_high": 0.3,
            "df": 11.0,
            "t": 1.0,
            "p": p_adj,
            "p_adj": p_adj,
        }
    )
    text = results_text(c, contrast_types=("main",))
    assert "For all 5 outcomes the backward − forward difference did not change" in text
    assert f"({span};" in text


@pytest.mark.parametrize("var", [1.0, 9.0])
def test_methods_give_the_latent_icc_of_an_ordinal_model(var):
    from analysis.report.methods import design_sentences

    contrasts = pl.DataFrame(
        {"family": "pain", "outcome": "knee_pain", "n_subjects": 12, "n_obs": 48, "n_dropped": 0}
    )
    variance = pl.DataFrame(
        {
            "family": "pain",
            "outcome": "knee_pain",
            "model_family": ["ordinal", "gaussian"],
            "analysis": ["primary", "sensitivity"],
            "group": "subject",
            "quantity": ["variance", "icc"],
            "value": [var, 0.5],
        }
    )
    text = " ".join(design_sentences(contrasts, None, variance))
    icc = var / (var + math.pi**2 / 3)
    assert f"subject SD of the pain models was {math.sqrt(var):.2f} on the latent logit" in text
    assert f"latent-scale ICC {icc:.2f}" in text and "0.50" not in text
