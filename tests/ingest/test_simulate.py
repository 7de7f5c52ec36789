import hashlib
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from analysis.simulate import (
    BACKWARD_BURSTS,
    FORWARD_BURSTS,
    DemoDesign,
    activation_profile,
    simulate_cohort,
    true_cycle_mean_ratio,
)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_committed_demo_regenerates_bit_for_bit(tmp_path, demo_dir):
    out = simulate_cohort(tmp_path / "demo")
    assert _digest(out) == _digest(demo_dir)


def test_demo_meets_the_study_design(demo_dir):
    size = sum(p.stat().st_size for p in demo_dir.rglob("*") if p.is_file())
    assert size <= 10 * 1024 * 1024
    participants = pl.read_csv(demo_dir / "participants.csv")
    trials = pl.read_csv(demo_dir / "trials.csv")
    assert participants.height >= 12
    assert participants["knee_pain"].to_list().count("yes") >= 3
    per_condition = trials.group_by("subject", "session", "direction").len()
    assert per_condition["len"].min() >= 3
    assert set(trials["direction"]) == {"forward", "backward"}
    assert trials["session"].n_unique() == 2
    emg = pl.read_parquet(demo_dir / trials["emg_file"][0])
    settings = yaml.safe_load((demo_dir / "cohort.yaml").read_text())
    assert len(emg.columns) >= 8
    assert {"VL", "VM", "RF", "BF", "ST", "GMAX", "TA"} <= set(emg.columns)
    assert 1000 <= settings["emg"]["sampling_rate_hz"] <= 2000


def test_backward_contact_is_toe_first(demo_dir):
    trials = pl.read_csv(demo_dir / "trials.csv")
    for direction, expected in (("forward", "heel"), ("backward", "toe")):
        file = trials.filter(pl.col("direction") == direction)["events_file"][0]
        events = pl.read_csv(demo_dir / file)
        contacts = events.filter(pl.col("event") == "foot_contact")["contact"]
        assert set(contacts) == {expected}


def test_events_alternate_and_stay_in_the_recording(demo_dir):
    trials = pl.read_csv(demo_dir / "trials.csv")
    for rec in trials.head(12).iter_rows(named=True):
        events = pl.read_csv(demo_dir / rec["events_file"])
        emg = pl.read_parquet(demo_dir / rec["emg_file"])
        right = events.filter(pl.col("side") == "right").sort("time_s")["event"].to_list()
        assert all(a != b for a, b in zip(right, right[1:], strict=False))
        assert events["time_s"].max() < emg.height / 1000.0


def test_activation_profile_wraps_around_the_cycle():
    a = activation_profile([(1.0, 3.0, 10.0)], np.array([99.0, 3.0]))
    assert a[0] == pytest.approx(a[1])


def test_true_ratios_follow_the_literature():
    # quadriceps and tibialis anterior work harder walking backward, hamstrings less
    for m in ("VL", "VM", "RF", "TA"):
        assert true_cycle_mean_ratio(m) > 1.2
    for m in ("BF", "ST"):
        assert true_cycle_mean_ratio(m) < 1.0
    assert set(FORWARD_BURSTS) == set(BACKWARD_BURSTS)


def test_design_size_is_configurable(tmp_path):
    out = simulate_cohort(
        tmp_path / "small", DemoDesign(n_subjects=3, n_trials=1, n_strides=3, name="small")
    )
    trials = pl.read_csv(out / "trials.csv")
    assert trials.height == 3 * 2 * 2 * 1
    assert yaml.safe_load((out / "cohort.yaml").read_text())["name"] == "small"


def _stated_counts(text: str) -> tuple[int, int]:
    """``(adults, with knee pain)`` as a sentence states them: "12 adults (8 with knee pain)"."""
    found = re.search(r"(\d+) adults \((\d+) with\s+knee\s+pain\)", " ".join(text.split()))
    assert found, "no 'N adults (K with knee pain)' statement"
    return int(found[1]), int(found[2])


def test_readme_and_cohort_yaml_state_the_demo_participants(demo_dir):
    participants = pl.read_csv(demo_dir / "participants.csv")
    truth = (participants.height, participants["knee_pain"].to_list().count("yes"))
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    demo = readme[readme.index("## The demo study") :]
    description = yaml.safe_load((demo_dir / "cohort.yaml").read_text())["description"]
    assert _stated_counts(demo) == truth
    assert _stated_counts(description) == truth


def test_description_counts_the_simulated_knee_pain(tmp_path):
    out = simulate_cohort(
        tmp_path / "small", DemoDesign(n_subjects=6, n_trials=1, n_strides=3, name="small")
    )
    participants = pl.read_csv(out / "participants.csv")
    stated = _stated_counts(yaml.safe_load((out / "cohort.yaml").read_text())["description"])
    assert stated == (6, participants["knee_pain"].to_list().count("yes")) == (6, 4)


def test_subject_draws_have_the_documented_spread():
    """Over many subjects the draws have the SDs that VARIABILITY states (within about 4 SE)."""
    from analysis.simulate import SPATIOTEMPORAL, VARIABILITY, subject_draws

    n = 400
    draws = [subject_draws(DemoDesign(), f"X{i:03d}") for i in range(n)]
    fwd = (
        np.array([d.stride_time["forward"] for d in draws])
        / SPATIOTEMPORAL["forward"]["stride_time"]
    )
    bwd = (
        np.array([d.stride_time["backward"] for d in draws])
        / SPATIOTEMPORAL["backward"]["stride_time"]
    )
    speed = {k: np.array([d.speed["baseline", k] for d in draws]) for k in ("forward", "backward")}
    stance = {k: np.array([d.stance_pct[k] for d in draws]) for k in ("forward", "backward")}
    log_effect = np.log([d.effect["VL"] for d in draws])
    shift = np.array([d.bursts["forward"]["GM"][0][0] - FORWARD_BURSTS["GM"][0][0] for d in draws])
    v = VARIABILITY
    sp, st, sd_pct = v["speed_m_s"], v["stride_time"], v["stance_pct"]
    expected = {
        "stride cv": (fwd.std(), st["subject_cv"]),
        "stride backward cv": ((bwd / fwd).std(), st["subject_backward_cv"]),
        "speed": (speed["forward"].std(), np.hypot(sp["subject_sd"], sp["session_sd"])),
        "speed effect": (
            (speed["backward"] - speed["forward"]).std(),
            np.sqrt(sp["subject_backward_sd"] ** 2 + 2 * sp["session_sd"] ** 2),
        ),
        "stance": (stance["forward"].std(), sd_pct["subject_sd"]),
        "stance effect": (
            (stance["backward"] - stance["forward"]).std(),
            sd_pct["subject_backward_sd"],
        ),
        "emg log ratio": (log_effect.std(), v["emg"]["subject_log_ratio_sd"]),
        "burst shift": (shift.std(), v["emg"]["burst_shift_sd_pct"]),
    }
    for name, (got, want) in expected.items():
        # the SE of an SD from n draws is about SD / sqrt(2 n), 3.5 % here
        assert abs(got / want - 1) < 0.15, (name, got, want)
    # the population means stay where they were: deviations have mean zero
    assert abs(speed["forward"].mean() - SPATIOTEMPORAL["forward"]["speed"]) < 0.02
    assert abs(stance["backward"].mean() - SPATIOTEMPORAL["backward"]["stance_pct"]) < 0.3


def test_demo_direction_effect_varies_between_subjects_like_a_real_study(demo_dir):
    """Paired effect sizes (d_z) of the direction effect in the committed demo's trials and
    events are those of real backward-walking studies: large for speed and stance (1.5-6), more
    modest for stride time (0.08 s against a subject SD of its effect of about 0.05 s), never
    the 15-60 of a demo without between-subject variability of the effect."""
    trials = pl.read_csv(demo_dir / "trials.csv")
    rows = []
    for r in trials.iter_rows(named=True):
        ev = pl.read_csv(demo_dir / r["events_file"]).filter(pl.col("side") == "right")
        fc = ev.filter(pl.col("event") == "foot_contact").sort("time_s")["time_s"].to_numpy()
        fo = ev.filter(pl.col("event") == "foot_off").sort("time_s")["time_s"].to_numpy()
        stride = np.diff(fc)
        stance = (fo[: stride.size] - fc[:-1]) / stride * 100
        rows.append((r["subject"], r["direction"], r["speed_m_s"], stride.mean(), stance.mean()))
    d = pl.DataFrame(
        rows, schema=["subject", "direction", "speed", "stride", "stance"], orient="row"
    )
    wide = d.group_by("subject", "direction").mean().pivot("direction", index="subject")
    for v, (low, high) in {"speed": (1.5, 6), "stance": (1.5, 6), "stride": (0.5, 4)}.items():
        diff = (wide[f"{v}_backward"] - wide[f"{v}_forward"]).to_numpy()
        dz = abs(diff.mean()) / diff.std(ddof=1)
        assert low <= dz <= high, (v, dz)
