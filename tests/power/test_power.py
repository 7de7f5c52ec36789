"""Power planning: scenarios, the effect of interest, seeds, workers, outputs, CLI = workflow."""

from __future__ import annotations

import doctest
import importlib
import runpy
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
import yaml

from analysis.__main__ import main as cli
from analysis.core.settings import SettingsError, resolve_settings
from analysis.models.power import (
    EFFECTS,
    Analysis,
    DesignPoint,
    design_grid,
    generator,
    pilot_scenario,
    plan_study,
    scenario_from_mapping,
    simulate_power,
    with_effect,
)

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "stats"))
from synthetic import outcome_table  # noqa: E402

LEVELS = {"session": ["baseline", "post"], "group": ["retro", "control"]}
MODULES = [
    "analysis.models.power.scenario",
    "analysis.models.power.simulate",
    "analysis.models.power.engine",
    "analysis.models.power.tests",
    "analysis.models.power.run",
    "analysis.models.power.plan",
    "analysis.models.power.text",
    "analysis.report.figures.power",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


FULL = {
    "formula": "value ~ direction * session * group + (1 | subject)",
    "sessions": ["baseline", "mid", "post"],
    "effects": {
        "intercept": 10,
        "direction": 2,
        "session": 1,
        "group": -1,
        "direction:session": 0.5,
        "session:group": 3,
        "direction:group": -0.25,
    },
    "icc": 0.5,
}


def test_effects_of_a_scenario_are_those_given():
    sc = scenario_from_mapping(FULL)
    assert sc.effects() == pytest.approx({k: FULL["effects"][k] for k in EFFECTS})


@pytest.mark.parametrize("effect", EFFECTS)
def test_sesoi_replaces_one_effect_and_keeps_the_others(effect):
    sc = scenario_from_mapping(FULL)
    new = with_effect(sc, effect, 7.5)
    expected = {**sc.effects(), effect: 7.5}
    assert new.effects() == pytest.approx(expected)


def test_pilot_scenario_recovers_the_pilot_model():
    outcomes = outcome_table()
    sc = pilot_scenario(outcomes, "VL_mean_cycle", levels=LEVELS)
    # the synthetic pilot: backward + 2.0, subject intercept SD 1, residual SD 1
    assert sc.effect("direction") == pytest.approx(2.0, abs=0.6)
    assert sc.sigma == pytest.approx(1.0, abs=0.25)
    assert sc.groups == ("retro", "control") and sc.sessions == ("baseline", "post")
    assert sc.formula == "value ~ direction * session + (1 + direction | subject)"
    bbs = pilot_scenario(outcomes, "bbs", levels=LEVELS)
    assert bbs.primary == "session" and not bbs.has_direction
    assert bbs.effect("session:group") == pytest.approx(3.0, abs=2.0)


def test_generator_draws_the_scenario_variances():
    sc = scenario_from_mapping(
        {
            "formula": "value ~ direction + (1 + direction | subject)",
            "groups": ["all"],
            "random": [
                {"term": "(1 + direction | subject)", "sd": {"(Intercept)": 2.0,
                                                             "direction1": 1.0}, "corr": 0.5}
            ],
            "residual_sd": 0.5,
        }
    )  # fmt: skip
    gen = generator(sc, DesignPoint(4000, 1, 1))
    y = gen.draw(np.random.default_rng(0)).reshape(4000, 2)  # forward, backward per subject
    # var(forward) = 4 + 1 + 2 * 0.5 * 2 + 0.25; var(backward) = 4 + 1 - 2 + 0.25
    assert np.var(y[:, 0]) == pytest.approx(7.25, rel=0.08)
    assert np.var(y[:, 1]) == pytest.approx(3.25, rel=0.08)


def test_results_do_not_depend_on_workers_chunks_or_grid():
    sc = scenario_from_mapping(
        {"formula": "value ~ direction + (1 | subject)", "groups": ["all"], "icc": 0.4,
         "effects": {"direction": 0.8}}
    )  # fmt: skip
    kw = {"n_sims": 6, "seed": 11, "log": None}
    one = simulate_power(sc, design_grid([5, 7]), workers=1, chunk_size=6, **kw)
    two = simulate_power(sc, design_grid([5, 7]), workers=2, chunk_size=2, **kw)
    assert one.equals(two)
    alone = simulate_power(sc, design_grid([7]), workers=1, chunk_size=4, **kw)
    assert alone.equals(one.filter(pl.col("n_per_group") == 7))


def test_failed_fit_counts_as_not_rejected_and_is_reported(monkeypatch):
    import analysis.models.power.engine as engine

    real, calls = engine.fit_lmm, []

    def flaky(data, *args, **kwargs):
        calls.append(1)
        if len(calls) % 2 == 0:
            raise ValueError("no convergence")
        return real(data, *args, **kwargs)

    monkeypatch.setattr(engine, "fit_lmm", flaky)
    sc = scenario_from_mapping({"formula": "value ~ direction + (1 | subject)", "icc": 0.5,
                                "groups": ["all"], "effects": {"direction": 5.0}})  # fmt: skip
    plan = plan_study(sc, "direction", 5.0, [DesignPoint(8, 1, 1)], n_sims=6, log=None,
                      test="contrast[main]: backward - forward")  # fmt: skip
    row = plan.curve.row(0, named=True)
    assert (row["n_sims"], row["n_failed"], row["n_rejected"]) == (6, 3, 3)
    assert row["power"] == 0.5
    assert plan.sims["error"].drop_nulls().to_list() == ["no convergence"] * 3


@pytest.mark.parametrize("ddf", ["kenward-roger", "z"])
def test_sessions_beyond_the_pilot_and_other_df_methods(ddf):
    # a 2-session pilot planned with 3 sessions: means interpolated, the interaction contrast
    # of the last session against the first is the target; KR and z df run the same checks
    sc = pilot_scenario(outcome_table(), "VL_mean_cycle", levels=LEVELS)
    plan = plan_study(sc, "direction:session", 1.0, [DesignPoint(4, 1, 3)], n_sims=2, log=None,
                      analysis=Analysis(ddf=ddf))  # fmt: skip
    assert plan.test == (
        "contrast[interaction]: (backward - forward) | session = post - "
        "(backward - forward) | session = baseline"
    )
    assert (
        "contrast[interaction]: (backward - forward) | session = session2 - "
        "(backward - forward) | session = baseline" in plan.summary["test"].to_list()
    )
    assert plan.curve["n_failed"][0] == 0


def test_power_settings_are_checked():
    s = resolve_settings({"power": {"pilot_cohort": "demo", "outcome": "BBS",
                                    "subjects_per_group": [4, 8]}})  # fmt: skip
    assert s.power.subjects_per_group == (4, 8)
    with pytest.raises(SettingsError, match="power.outcome: needed"):
        resolve_settings({"power": {"pilot_cohort": "demo"}})
    with pytest.raises(SettingsError, match="power.trials: must be a list of whole numbers"):
        resolve_settings({"power": {"trials": [1.5]}})
    with pytest.raises(SettingsError, match="power.effect: must be one of"):
        resolve_settings({"power": {"effect": "speed"}})


@pytest.fixture(scope="module")
def pilot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("results") / "demo"
    folder.mkdir()
    outcome_table().write_parquet(folder / "outcomes.parquet")
    return folder / "outcomes.parquet"


def test_cli_and_workflow_write_the_same_bytes(pilot, tmp_path):
    block = {
        "name": "t",
        "pilot_cohort": "demo",
        "outcome": "VL_mean_cycle",
        "sesoi": 1.0,
        "subjects_per_group": [3, 5],
        "trials": [1],
        "n_sims": 4,
        "sims_per_job": 3,
    }
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["power"] = {**config["power"], **block}
    config["figures"]["formats"] = ["png", "svg"]
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))
    status = cli(
        ["power", "--pilot", str(pilot), "--outcome", "VL_mean_cycle", "--sesoi", "1",
         "--subjects", "3", "5", "--trials", "1", "--sims", "4", "--config", str(cfg),
         "--session-order", "baseline", "post", "--group-order", "retro", "control",
         "--out", str(tmp_path / "cli")]
    )  # fmt: skip
    assert status == 0
    settings = resolve_settings(config)
    script = runpy.run_path(str(REPO / "workflow" / "scripts" / "power.py"), run_name="rule")
    jobs = [(n, 1, 2, a, min(a + 3, 4)) for n in (3, 5) for a in (0, 3)]
    parts = []
    for k, job in enumerate(jobs):
        out = tmp_path / f"job{k}.parquet"
        script["main"](_sm("power_sims", settings, pilot, [str(out)], tmp_path, job=job))
        parts.append(str(out))
    table = tmp_path / "wf" / "power.csv"
    script["main"](_sm("power_report", settings, pilot, _Io(table=str(table)), tmp_path, parts))
    cli_files = sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert cli_files == sorted(p.name for p in (tmp_path / "wf").iterdir())
    assert "power_curve.svg" in cli_files and "power_curve.pdf" not in cli_files
    for name in cli_files:
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "wf" / name).read_bytes()
    text = (tmp_path / "cli" / "power.md").read_text()
    assert "smallest effect size of interest, 1 fraction of reference" in text


class _Io(dict):
    def __getattr__(self, key):
        return self[key]


def _sm(rule, settings, pilot, output, tmp, sims=None, job=None):
    inputs = _Io(outcomes=str(pilot), **({"sims": sims} if sims else {}))
    params = SimpleNamespace(settings=settings, levels=LEVELS, job=job)
    log = str(tmp / f"{rule}.log")
    return SimpleNamespace(rule=rule, input=inputs, output=output, params=params, log=[log])


def test_analysis_adjusts_like_the_workflow():
    a = Analysis(adjust="fdr_bh", family_size=4)
    assert a.adjusted(0.01) == pytest.approx(0.04)
    assert Analysis(adjust="none", family_size=4).adjusted(0.01) == 0.01
