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
