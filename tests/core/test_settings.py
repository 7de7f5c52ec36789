"""One resolved settings object per cohort: defaults, overrides, refusals, and the settings the
methods text names changing the numbers and the text together."""

from __future__ import annotations

import copy
import dataclasses
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from analysis.core.settings import (
    Settings,
    SettingsError,
    resolve_settings,
    settings_dict,
)
from analysis.emg import Recording, process_subject
from analysis.emg import methods_text as emg_methods_text
from analysis.models.study import fit_study
from analysis.outcomes import outcome_table
from analysis.report.methods import methods_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stats"))
from synthetic import outcome_table as synthetic_outcomes  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_the_study_config_resolves_and_restates_the_defaults():
    """config/config.yaml holds the study's choices; every key is a known setting and every
    value equals the default stated once in analysis.core.settings."""
    assert resolve_settings(CONFIG) == Settings()


def test_settings_dict_round_trips():
    s = resolve_settings(CONFIG, {"emg": {"mains_hz": 60, "muscles": ["VL"]}})
    assert resolve_settings(settings_dict(s)) == s


def test_cohort_overrides_win_and_mains_frequency_has_one_place():
    cohort = {
        "emg": {
            "mains_hz": 60,
            "side": "left",
            "sampling_rate_hz": 2000,
            "processing": {"bandpass": {"high_hz": 400}, "qc": {"exclude_flagged": False}},
        }
    }
    s = resolve_settings(CONFIG, cohort)
    assert s.emg.notch.mains_hz == 60.0
    assert s.emg.cycles.side == "left"
    assert s.emg.bandpass == dataclasses.replace(s.emg.bandpass, high_hz=400.0)
    assert s.emg.qc.exclude_flagged is False
    assert s.emg.sampling_rate_hz == 2000.0
    assert "mains_hz" not in s.emg.to_params()  # only notch.mains_hz
    assert CONFIG["emg"]["bandpass"]["high_hz"] == 450.0  # the config is not modified


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"emg": {"bandpas": {}}}, "emg.bandpas: unknown setting"),
        ({"models": {"reml": "yes"}}, "models.reml: must be true or false"),
        ({"models": {"alpha": 1.5}}, "models.alpha: must lie between 0 and 1"),
        ({"models": {"ddf": "kr"}}, "models.ddf: must be one of"),
        ({"models": {"reml": False, "ddf": "kenward-roger"}}, "defined for REML fits"),
        ({"emg": {"cycles": {"points": 3}}}, "emg.cycles.points: at least 11"),
        ({"emg": {"bandpass": {"order": 2.5}}}, "emg.bandpass.order: must be a whole number"),
        ({"figures": {"formats": ["gif"]}}, "figures.formats: 'gif'"),
    ],
)
def test_bad_settings_are_refused_by_their_dotted_key(config, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        resolve_settings(config)


def test_every_problem_is_reported_at_once():
    with pytest.raises(SettingsError) as err:
        resolve_settings({"models": {"reml": 1, "alpha": "x"}, "spm": {"foo": 1}})
    text = str(err.value)
    assert "models.reml" in text and "models.alpha" in text and "spm.foo" in text


# --- the same object drives the numbers and the text ----------------------------------------


def _with(path: str, value) -> Settings:
    config = copy.deepcopy(CONFIG)
    node = config
    *head, last = path.split(".")
    for key in head:
        node = node.setdefault(key, {})
    node[last] = value
    return resolve_settings(config)


@pytest.fixture(scope="module")
def outcomes() -> pl.DataFrame:
    table = synthetic_outcomes(n_subjects=10).filter(pl.col("outcome") == "VL_mean_cycle")
    # unbalanced (trials missing at random), where Kenward-Roger and Satterthwaite differ
    keep = np.random.default_rng(5).random(table.height) > 0.25
    return table.filter(pl.Series(keep))


def _models_and_text(outcomes: pl.DataFrame, settings: Settings):
    res = fit_study(outcomes, settings.models, levels={"session": ["baseline", "post"]})
    text = methods_text(settings, contrasts=res["contrasts"])
    return res, text


@pytest.mark.parametrize(
    ("path", "value", "text_before", "text_after", "column"),
    [
        ("models.reml", False, "restricted maximum likelihood", "maximum likelihood", "se"),
        ("models.ddf", "kenward-roger", "Satterthwaite", "Kenward", "df"),
        ("models.alpha", 0.1, "95% confidence intervals", "90% confidence intervals", "ci_low"),
    ],
)
def test_model_settings_change_numbers_and_text_together(
    outcomes, path, value, text_before, text_after, column
):
    base, base_text = _models_and_text(outcomes, resolve_settings(CONFIG))
    new, new_text = _models_and_text(outcomes, _with(path, value))
    main = pl.col("contrast") == "backward - forward"
    a = base["contrasts"].filter(main)[column].to_numpy()
    b = new["contrasts"].filter(main)[column].to_numpy()
    assert not np.allclose(a, b, rtol=1e-9, atol=0), f"{path} did not change the {column}"
    assert text_before in base_text and text_before not in new_text.replace(text_after, "")
    assert text_after in new_text


def test_reml_false_fits_by_maximum_likelihood(outcomes):
    res, text = _models_and_text(outcomes, _with("models.reml", False))
    assert set(res["contrasts"]["estimation"]) == {"ML"}
    assert "restricted maximum likelihood" not in text


def _recordings(rate: float = 1000.0) -> list[Recording]:
    from analysis.core.signal import EMG
    from analysis.simulate import activation_profile

    rng = np.random.default_rng(1)
    out = []
    for direction, trial in (("forward", 1), ("backward", 1)):
        t = np.arange(int(8 * rate)) / rate
        pct = (t % 1.0) * 100
        x = np.vstack(
            [
                activation_profile([(10.0, 8.0, 80.0)], pct) * rng.standard_normal(t.size)
                + 5 * rng.standard_normal(t.size),
                activation_profile([(60.0, 10.0, 40.0)], pct) * rng.standard_normal(t.size)
                + 5 * rng.standard_normal(t.size),
            ]
        )
        contacts = np.arange(0.0, 8.0, 1.0)
        events = pl.DataFrame(
            {
                "side": "right",
                "event": ["foot_contact"] * 8 + ["foot_off"] * 8,
                "time_s": np.r_[contacts, contacts + 0.62],
            }
        ).sort("time_s")
        out.append(Recording("baseline", direction, trial, EMG(x, rate, ("VL", "TA")), events))
    return out


@pytest.mark.parametrize(
    ("path", "value", "text_before", "text_after"),
    [
        ("emg.bandpass.low_hz", 30.0, "(20-450 Hz)", "(30-450 Hz)"),
        ("emg.envelope.lowpass_hz", 10.0, "6 Hz", "10 Hz"),
    ],
)
def test_emg_filters_change_curves_and_text_together(path, value, text_before, text_after):
    recs = _recordings()
    base, new = resolve_settings(CONFIG), _with(path, value)
    a = process_subject(recs, base.emg, cohort="c", subject="S1").curves["value"].to_numpy()
    b = process_subject(recs, new.emg, cohort="c", subject="S1").curves["value"].to_numpy()
    assert a.shape == b.shape and not np.allclose(a, b)
    assert text_before in emg_methods_text(base.emg)
    assert text_after in emg_methods_text(new.emg)


def test_normalisation_changes_reference_and_text_together():
    from analysis.core.signal import EMG

    recs = _recordings()
    rng = np.random.default_rng(2)
    mvc = {m: EMG(300 * rng.standard_normal(5000), 1000.0, (m,)) for m in ("VL", "TA")}
    auto, ref = resolve_settings(CONFIG), _with("emg.normalisation.method", "reference")
    a = process_subject(recs, auto.emg, cohort="c", subject="S1", mvc=mvc).normalisation
    b = process_subject(recs, ref.emg, cohort="c", subject="S1", mvc=mvc).normalisation
    assert set(a["method"]) == {"mvc"} and set(b["method"]) != {"mvc"}
    assert "maximal voluntary" in emg_methods_text(auto.emg)
    assert "maximal voluntary" not in emg_methods_text(ref.emg)


def test_exclusion_of_flagged_data_changes_outcomes_and_text_together():
    recs = _recordings()
    # a flat TA channel in the backward trial: flagged by QC
    flat = recs[1].emg.data.copy()
    flat[1] = 0.0
    recs[1] = dataclasses.replace(recs[1], emg=recs[1].emg.replace(flat))
    tables = {}
    for flag in (True, False):
        s = _with("emg.qc.exclude_flagged", flag)
        r = process_subject(recs, s.emg, cohort="c", subject="S1")
        participants = pl.DataFrame({"cohort": ["c"], "subject": ["S1"], "group": ["g"]})
        measures = pl.DataFrame(
            schema={c: pl.String for c in ("cohort", "subject", "session", "direction")}
            | {"family": pl.String, "measure": pl.String, "value": pl.Float64, "unit": pl.String}
        )
        tables[flag] = outcome_table(
            participants,
            measures,
            r.features,
            r.spatiotemporal,
            r.qc,
            emg_features=list(s.outcomes.emg_features),
            emg_phases=list(s.outcomes.emg_phases),
            exclude_flagged=s.emg.qc.exclude_flagged,
        )
        tables[(flag, "text")] = emg_methods_text(s.emg)
    ta = pl.col("outcome").str.starts_with("TA_") & (pl.col("direction") == "backward")
    assert tables[True].filter(ta).height < tables[False].filter(ta).height
    assert tables[(True, "text")] != tables[(False, "text")]


@pytest.mark.parametrize(
    ("cohort", "message"),
    [
        ({"protocol": {"speed": {"mode": "brisk"}}}, "protocol.speed.mode: must be one of"),
        ({"protocol": {"speed": {"mode": "fixed"}}}, "protocol.speed.value_m_s: needed"),
        ({"emg": {"amplifier": {"cmrr_db": -3}}}, "emg.amplifier.cmrr_db: must be positive"),
        ({"emg": {"electrodes": {"size": 1}}}, "emg.electrodes.size: unknown setting"),
    ],
)
def test_bad_declared_hardware_and_protocol_are_refused(cohort, message):
    with pytest.raises(SettingsError, match=message):
        resolve_settings({}, cohort)


def test_declared_hardware_and_protocol_reach_the_settings_and_the_schema():
    from analysis.core.schemas import load_schema
    from analysis.ingest.sheets import validate_document

    declared = {
        "emg": {
            "units": "uV",
            "muscles": ["VL"],
            "electrodes": {"type": "bipolar Ag/AgCl", "inter_electrode_distance_mm": 20},
            "amplifier": {"cmrr_db": 95, "gain": 500},
        },
        "protocol": {"speed": {"mode": "fixed", "value_m_s": 0.8, "surface": "treadmill"}},
    }
    s = resolve_settings({}, declared)
    assert s.emg.electrodes.inter_electrode_distance_mm == 20.0
    assert s.emg.amplifier.cmrr_db == 95.0 and s.emg.gain == 1.0  # hardware gain is not emg.gain
    assert s.protocol.speed.value_m_s == 0.8
    doc = {"contract_version": 1, "name": "x", "sessions": ["a"], **declared}
    assert validate_document(doc, load_schema("cohort"), "x", "cohort.yaml", {}) == []
    doc["protocol"]["speed"]["surface"] = "ice"
    assert validate_document(doc, load_schema("cohort"), "x", "cohort.yaml", {})
