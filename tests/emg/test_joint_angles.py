"""Joint angles: read from C3D model outputs, cut into each leg's cycles, features per phase."""

import numpy as np
import polars as pl
import pytest
from zoo_sample import BIOMECHZOO

from analysis.ingest.events.source import events_config, trial_events
from analysis.ingest.readers.c3d import c3d_angles
from analysis.kinematics import angle_curves, angle_features, sagittal_angles

CYCLES = {"points": 101, "min_stride_s": 0.5, "max_stride_s": 2.0,
          "min_stance_pct": 40, "max_stance_pct": 80}  # fmt: skip
KEYS = {"cohort": "c", "subject": "s", "session": "a", "direction": "forward", "trial": 1}


def _events(side, contacts, offs):
    rows = [(side, "foot_contact", t) for t in contacts] + [(side, "foot_off", t) for t in offs]
    return pl.DataFrame(rows, schema=["side", "event", "time_s"], orient="row").sort("time_s")


def test_each_leg_cut_by_its_own_contacts_and_features_per_phase():
    rate = 100.0
    t = np.arange(0, 4.0, 1 / rate)
    left = 30 - 25 * np.cos(2 * np.pi * t)  # contact at whole seconds: 5 deg
    right = 30 - 25 * np.cos(2 * np.pi * (t - 0.5))  # contact at half seconds
    ev = pl.concat([_events("left", [0.0, 1.0, 2.0, 3.0], [0.6, 1.6, 2.6]),
                    _events("right", [0.5, 1.5, 2.5, 3.5], [1.1, 2.1, 3.1])])  # fmt: skip
    angles = {("left", "knee"): left, ("right", "knee"): right}
    curves, phases = angle_curves(angles, rate, 0.0, ev, CYCLES, KEYS)
    assert set(curves["joint"]) == {"L_knee", "R_knee"}
    at_contact = curves.filter(pl.col("pct") == 0)["value"].to_numpy()
    assert at_contact == pytest.approx(5.0, abs=1e-6)  # both legs: each from its own contact
    f = angle_features(curves, phases)
    cycle_range = f.filter((pl.col("feature") == "range") & (pl.col("phase") == "cycle"))
    assert cycle_range["value"].to_numpy() == pytest.approx(50.0, abs=0.1)
    stance_peak = f.filter((pl.col("feature") == "peak") & (pl.col("phase") == "stance"))
    assert stance_peak["value"].to_numpy() == pytest.approx(55.0, abs=0.1)  # at 50 % < off


def test_a_cycle_with_a_gap_in_the_angle_is_left_out():
    rate = 100.0
    t = np.arange(0, 3.0, 1 / rate)
    knee = 30 - 25 * np.cos(2 * np.pi * t)
    knee[150] = np.nan  # inside the second cycle
    ev = _events("left", [0.0, 1.0, 2.0], [0.6, 1.6])
    curves, _ = angle_curves({("left", "knee"): knee}, rate, 0.0, ev, CYCLES, KEYS)
    assert sorted(set(curves["cycle"])) == [1]


def test_sagittal_component_and_side_from_the_label():
    xyz = np.array([[12.0, -3.0, 4.0]])
    got = sagittal_angles({"RAnkleAngles": xyz, "LHipAngles": xyz * 2})
    assert got[("right", "ankle")].tolist() == [12.0]
    assert got[("left", "hip")].tolist() == [24.0]


@pytest.mark.skipif(
    not BIOMECHZOO.is_dir(), reason=f"biomechZoo recordings not available at {BIOMECHZOO}"
)
def test_plug_in_gait_angles_of_a_vicon_file():
    f = BIOMECHZOO / "HC002D" / "straight_HC002D06.c3d"
    angles, problems = c3d_angles(f, cohort="zoo", file=f.name)
    assert problems == [] and angles is not None
    assert {"LKneeAngles", "RKneeAngles", "LAnkleAngles", "RHipAngles"} <= set(angles.values)
    cfg = {"source": ["forceplate", "markers"], "forceplate": {"on_n": 20, "off_n": 10}}
    events, problems, _ = trial_events(
        f, sources=cfg["source"], config=events_config(cfg), cohort="zoo", file=f.name
    )
    assert problems == []
    curves, phases = angle_curves(
        sagittal_angles(angles.values), angles.rate, angles.t0, events, CYCLES, KEYS
    )
    knee = curves.filter(pl.col("joint").str.ends_with("_knee"))
    assert knee.height >= 101
    # a walking knee: nearly straight at contact, about 60 degrees of flexion in swing
    f = angle_features(curves, phases).filter(pl.col("joint").str.ends_with("_knee"))
    swing_peak = f.filter((pl.col("feature") == "peak") & (pl.col("phase") == "swing"))
    contact = f.filter(pl.col("feature") == "contact")
    assert 45 < swing_peak["value"].mean() < 75
    assert -5 < contact["value"].mean() < 15
