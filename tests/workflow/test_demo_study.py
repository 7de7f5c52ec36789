"""The demo study run as a user runs it: built-in effects recovered, report (notebooks:
``test_notebooks.py``; the run itself: the ``demo_study`` fixture of ``conftest.py``)."""

import math
import os
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from analysis.models import contrast_backward_forward, fit_lmm, level_interaction

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "figures"))


@pytest.fixture(scope="module")
def truth():
    doc = yaml.safe_load((REPO / "data" / "raw" / "demo" / "cohort.yaml").read_text())
    return doc["simulation"]["true_effects"]


def _outcome(root, name):
    o = pl.read_parquet(root / "results" / "demo" / "outcomes.parquet")
    return o.filter(pl.col("outcome") == name)


def test_emg_ratios_recovered_within_simultaneous_cis(demo_study, truth):
    """log(backward/forward) of every muscle's cycle mean: right sign, truth inside its CI.

    The CIs are Bonferroni-adjusted over the muscles, so the check holds for all of them with
    95 % confidence rather than for each.
    """
    ratios = truth["emg_cycle_mean_ratio_backward_over_forward"]
    level = 1 - 0.05 / len(ratios)
    for muscle, ratio in ratios.items():
        data = _outcome(demo_study, f"{muscle}_mean_cycle").with_columns(pl.col("value").log())
        fit = fit_lmm(data, "value ~ direction * session + (1 + direction | subject)")
        c = contrast_backward_forward(fit, level=level).row(0, named=True)
        assert np.sign(c["estimate"]) == np.sign(math.log(ratio)), muscle
        assert c["ci_low"] <= math.log(ratio) <= c["ci_high"], (muscle, c, math.log(ratio))


def test_spatiotemporal_and_clinical_effects_recovered(demo_study, truth):
    st = truth["spatiotemporal"]
    checks = {
        "stance_pct": st["backward"]["stance_pct"] - st["forward"]["stance_pct"],
        "stride_time": st["backward"]["stride_time"] - st["forward"]["stride_time"],
    }
    for outcome, true in checks.items():
        fit = fit_lmm(_outcome(demo_study, outcome), "value ~ direction + (1 | subject)")
        c = contrast_backward_forward(fit, level=1 - 0.05 / 3).row(0, named=True)
        assert c["ci_low"] <= true <= c["ci_high"], (outcome, c, true)
    gain = truth["BBS_post_minus_baseline"]
    fit = fit_lmm(_outcome(demo_study, "BBS"), "value ~ session * group + (1 | subject)")
    inter = level_interaction(
        fit, "session", "post", "baseline", across="group", level=1 - 0.05 / 3
    ).row(0, named=True)
    sign = 1 if inter["level"] == "retro" else -1
    true = sign * (gain["retro"] - gain["control"])
    assert inter["ci_low"] <= true <= inter["ci_high"], (inter, true)


def test_backward_walking_hurts_less(demo_study):
    pain = _outcome(demo_study, "knee_pain_walking")
    fit = fit_lmm(pain, "value ~ direction * session + (1 | subject)")
    c = contrast_backward_forward(fit).row(0, named=True)
    assert c["ci_high"] < 0


def test_contrast_table_reports_every_outcome(demo_study):
    c = pl.read_csv(demo_study / "results" / "demo" / "tables" / "contrasts.csv")
    outcomes = pl.read_parquet(demo_study / "results" / "demo" / "outcomes.parquet")
    assert set(c["outcome"]) == set(outcomes["outcome"])
    main = c.filter(pl.col("contrast") == "backward - forward")
    assert main.filter(pl.col("p_adj") < pl.col("p")).height == 0
    assert (main["ci_low"] <= main["estimate"]).all()
    assert (main["estimate"] <= main["ci_high"]).all()


def test_report_renders_in_chromium(demo_study, tmp_path_factory):
    from report_browser import Chromium, require_chromium

    require_chromium()
    report = demo_study / "results" / "report.html"
    shots = Path(os.environ.get("RETROWALK_SCREENSHOTS", tmp_path_factory.mktemp("shots")))
    with Chromium() as browser:
        page = browser.open(report.as_uri())
        page.wait_for("document.readyState === 'complete'")
        page.wait_for("document.body.innerText.includes('Models')")
        for category in ("EMG", "Models", "QC", "Pain", "Balance"):
            assert category in page.evaluate("document.body.innerText"), category
        # the first page shows the key findings: main results table, ensemble curves, forest plot
        page.wait_for("document.querySelector('#landing-demo table') !== null")
        assert page.visible("#landing-demo table")
        for fig in ("ensemble", "forest"):
            page.wait_for(
                f"(() => {{ const i = document.querySelector('#landing-demo-{fig} img');"
                " return i !== null && i.complete && i.naturalWidth > 1000; })()"
            )
        page.screenshot(shots / "report_home.png")
        # the main results table: Models category, then the row's "eye" button
        page.evaluate(_click_link("Models"))
        page.wait_for(_row_exists("main results"))
        page.evaluate(_click_eye("main results"))
        page.wait_for("document.querySelector('iframe') !== null")
        box = page.evaluate(
            "(() => { const r = document.querySelector('iframe')"
            ".getBoundingClientRect(); return [r.width, r.height]; })()"
        )
        assert box[0] > 300 and box[1] > 300, box
        assert page.evaluate("document.querySelector('iframe').src.startsWith('data:text/html')")
        page.screenshot(shots / "report_results.png")
        # a figure: back to the categories, EMG, ensemble curves; the image must have decoded
        page.evaluate(_click_link("Results"))
        page.wait_for(
            "Array.from(document.querySelectorAll('a')).some(e => e.innerText.trim() === 'EMG')"
        )
        page.evaluate(_click_link("EMG"))
        page.wait_for(_row_exists("ensemble curves"))
        page.evaluate(_click_eye("ensemble curves"))
        page.wait_for("Array.from(document.images).some(i => i.complete && i.naturalWidth > 1000)")
        page.screenshot(shots / "report_ensemble.png")


def _click_link(text):
    return (
        f"Array.from(document.querySelectorAll('a')).find(e => e.innerText.trim() === "
        f"'{text}').click()"
    )


def _row_exists(text):
    return f"Array.from(document.querySelectorAll('tr')).some(r => r.innerText.includes('{text}'))"


def _click_eye(text):
    return (
        f"Array.from(document.querySelectorAll('tr')).find(r => r.innerText.includes("
        f"'{text}')).querySelector('a[iconname=eye]').click()"
    )
