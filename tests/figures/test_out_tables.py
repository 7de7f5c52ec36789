"""Tables: values against their inputs, escaping, and byte-identical writing."""

from __future__ import annotations

import polars as pl
import pytest

from analysis.models.waveform import spm_paired
from analysis.report.tables import (
    cluster_table,
    format_clusters,
    format_results,
    format_variance,
    results_table,
    table1,
    to_html,
    to_latex,
    to_markdown,
    variance_table,
    write_table,
)
from analysis.report.tables.formats import present


def _cell(t: pl.DataFrame, row: str, col: str) -> str:
    return t.filter(pl.col("Characteristic") == row)[col].item()


def test_table1_values(participants):
    t = table1(participants)
    assert t.columns == ["Characteristic", "control", "retro", "All"]
    retro = participants.filter(pl.col("group") == "retro")
    assert _cell(t, "n", "retro") == str(retro.height)
    age = retro["age_years"]
    assert _cell(t, "Age (years), mean (SD)", "retro") == f"{age.mean():.1f} ({age.std():.1f})"
    bmi = participants["mass_kg"] / (participants["height_cm"] / 100) ** 2
    assert _cell(t, "BMI (kg/m²), mean (SD)", "All") == f"{bmi.mean():.1f} ({bmi.std():.1f})"
    n_f = (participants["sex"] == "F").sum()
    assert _cell(t, "Female sex, n (%)", "All") == f"{n_f} ({100 * n_f / 8:.0f}%)"
    k = retro["knee_pain"].sum()
    assert _cell(t, "Knee pain, n (%)", "retro") == f"{k} ({100 * k / retro.height:.0f}%)"


def test_table1_counts_missing_and_reads_yes_no(participants):
    p = participants.with_columns(
        age_years=pl.when(pl.col("subject") == "S01").then(None).otherwise(pl.col("age_years")),
        knee_pain=pl.when(pl.col("knee_pain")).then(pl.lit("yes")).otherwise(pl.lit("no")),
    )
    t = table1(p)
    assert _cell(t, "Age (years), mean (SD)", "All").endswith("; 1 missing")
    assert _cell(t, "Knee pain, n (%)", "All") == _cell(
        table1(participants), "Knee pain, n (%)", "All"
    )


def test_table1_several_cohorts_name_columns_by_cohort_and_group(participants):
    two = pl.concat([participants, participants.with_columns(cohort=pl.lit("b"))])
    t = table1(two, group_order=["retro", "control"])
    assert t.columns == [
        "Characteristic",
        "b: retro",
        "b: control",
        "synth: retro",
        "synth: control",
        "All",
    ]
    assert _cell(t, "n", "All") == "16"


def test_results_table_joins_emmeans(contrasts, emmeans):
    t = results_table(contrasts, emmeans)
    assert t.height == contrasts.height
    vl = t.filter(pl.col("outcome") == "VL_mean_cycle").row(0, named=True)
    assert (vl["reference_level"], vl["comparison_level"]) == ("forward", "backward")
    assert vl["reference_emmean"] == pytest.approx(0.20)
    assert vl["comparison_emmean"] == pytest.approx(0.28)
    assert vl["estimate"] == pytest.approx(0.08)
    bf = t.filter(pl.col("outcome") == "BF_mean_cycle").row(0, named=True)
    assert bf["reference_emmean"] is None  # no EMMs given for BF
    # EMG first, muscles hip to ankle, as in the contrast table's family order
    assert t["outcome"].to_list()[:3] == ["VL_mean_cycle", "BF_mean_cycle", "TA_mean_cycle"]


def test_results_emmeans_matched_within_session():
    c = pl.DataFrame(
        {
            "family": "emg",
            "outcome": "VL_mean_cycle",
            "contrast": ["backward - forward | session = post", "backward - forward"],
            "contrast_type": ["simple", "main"],
            "at_factor": ["session", None],
            "at_level": ["post", None],
            "estimate": [0.1, 0.05],
            "ci_low": [0.0, 0.0],
            "ci_high": [0.2, 0.1],
        }
    )
    e = pl.DataFrame(
        {
            "outcome": "VL_mean_cycle",
            "direction": ["forward", "backward", "forward", "backward", "forward", "backward"],
            "session": ["baseline", "baseline", "post", "post", None, None],
            "emmean": [1.0, 1.0, 2.0, 2.1, 1.5, 1.55],
        }
    )
    t = results_table(c, e)
    post = t.filter(pl.col("contrast").str.contains("post")).row(0, named=True)
    assert (post["reference_emmean"], post["comparison_emmean"]) == (2.0, 2.1)
    overall = t.filter(~pl.col("contrast").str.contains("post")).row(0, named=True)
    assert (overall["reference_emmean"], overall["comparison_emmean"]) == (1.5, 1.55)


def test_format_results_cells(contrasts, emmeans):
    emg = results_table(contrasts.filter(pl.col("family") == "emg"), emmeans)
    shown = format_results(emg)
    assert "Forward, EMM [95% CI]" in shown.columns and "Contrast" not in shown.columns
    vl = shown.row(0, named=True)
    assert vl["Forward, EMM [95% CI]"] == "0.20 [0.18, 0.22]"
    assert vl["p"] == "< .001" and vl["p adj. (holm)"] == "< .001"
    assert vl["Effect size [95% CI]"] == "1.90 [0.90, 2.90]"
    mixed = format_results(results_table(contrasts, emmeans))
    assert "Contrast" in mixed.columns and "Reference, EMM [95% CI]" in mixed.columns


def test_variance_table(variance):
    t = variance_table(variance)
    assert t.columns == [
        "outcome",
        "var_subject",
        "var_residual",
        "icc",
        "r2_marginal",
        "r2_conditional",
    ]
    bbs = t.filter(pl.col("outcome") == "BBS").row(0, named=True)
    assert (bbs["var_subject"], bbs["var_residual"]) == (6.0, 3.0)
    assert bbs["icc"] == pytest.approx(6 / 9)
    assert format_variance(t).row(1, named=True)["ICC"] == "0.667"


def test_cluster_tables(curves):
    clusters = spm_paired(curves)
    ordered = cluster_table(clusters)
    assert ordered["muscle"].to_list() == ["VL", "BF", "TA", "GM"]
    shown = format_clusters(clusters)
    assert shown["Cluster"].to_list() == ["1", "none", "1", "none"]
    vl = clusters.filter(pl.col("muscle") == "VL").row(0, named=True)
    assert shown["Cycle (%)"][0] == f"{vl['start_pct']:.1f}–{vl['end_pct']:.1f}"


def test_present_formats_p_and_nulls():
    df = pl.DataFrame({"estimate": [-0.123, None], "p_adj": [0.04999, 0.0001], "ok": [True, False]})
    assert present(df).rows() == [("-0.12", ".050", "yes"), ("", "< .001", "no")]


def test_markdown_latex_html_escape():
    df = pl.DataFrame({"Outcome": ["VL_mean | 50% & more <b>"], "d": [-0.5]})
    md = to_markdown(df)
    assert "VL_mean \\| 50% & more <b>" in md and "| ---: |" in md
    tex = to_latex(df, caption="α ≥ 0.05", label="tab:x")
    assert r"VL\_mean | 50\% \& more $<$b$>$ & $-$0.50 \\" in tex
    assert r"\caption{$\alpha$ $\geq$ 0.05}" in tex and r"\label{tab:x}" in tex
    assert tex.count(r"\toprule") == 1 and r"\begin{tabular}{lr}" in tex
    page = to_html(df, caption="Results")
    assert "<caption>Results</caption>" in page
    assert "VL_mean | 50% &amp; more &lt;b&gt;" in page
    assert '<td class="num">-0.50</td>' in page


def test_write_table_all_formats_deterministic(tmp_path, contrasts, emmeans):
    table = results_table(contrasts, emmeans)
    shown = format_results(table)
    a = write_table(table, tmp_path / "a" / "results", display=shown, caption="Main results")
    b = write_table(table, tmp_path / "b" / "results", display=shown, caption="Main results")
    assert [p.suffix for p in a] == [".csv", ".md", ".tex", ".html"]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
    back = pl.read_csv(a[0])
    assert back["estimate"].to_list() == pytest.approx(table["estimate"].to_list())
    assert "0.20 [0.18, 0.22]" in a[1].read_text()
    with pytest.raises(ValueError, match="format"):
        write_table(table, tmp_path / "x", ["xlsx"])


def test_a_narrow_ci_gets_the_decimals_it_needs():
    from analysis.report.tables.results import format_results, results_table

    c = pl.DataFrame({"family": "spatiotemporal", "outcome": ["stride_time", "cadence"],
                      "unit": ["s", "steps/min"], "estimate": [-0.0805, 8.86],
                      "ci_low": [-0.0846, 8.11], "ci_high": [-0.0763, 9.61], "df": [33.0, 11.0],
                      "t": [-39.3, 26.0], "p": [1e-20, 1e-10],
                      "p_adj": [1e-20, 1e-10]})  # fmt: skip
    cells = format_results(results_table(c))["Difference [95% CI]"].to_list()
    assert set(cells) == {"-0.081 [-0.085, -0.076]", "8.86 [8.11, 9.61]"}
    for cell in cells:
        est, lo, hi = cell.replace("[", "").replace("]", "").replace(",", "").split()
        assert len({est, lo, hi}) == 3
