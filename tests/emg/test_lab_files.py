"""Real lab files: C3D/EDF/CSV quirks, units plausibility and gait events from what a lab has.

Every quirk is tested on a small file the test writes; the biomechZoo C3D files (real Vicon
recordings) are read when ``../shared/data/biomechzoo_sample`` is present.
"""

from pathlib import Path

import ezc3d
import numpy as np
import polars as pl
import pyedflib
import pytest
from jsonschema import Draft202012Validator
from pyedflib import highlevel
from zoo_sample import require_zoo

from analysis.core.errors import ValidationError
from analysis.core.schemas import load_schema
from analysis.core.signal import EMG
from analysis.ingest.events.agreement import agreement_summary, match_events
from analysis.ingest.events.forceplate import events_from_forceplates, loaded_periods
from analysis.ingest.events.markers import events_from_markers
from analysis.ingest.events.source import events_config, sources_of, trial_events
from analysis.ingest.readers import map_channels, read_emg, read_events
from analysis.ingest.readers.c3d import ForcePlate
from analysis.ingest.readers.plausibility import amplitude_problems


def _c3d(path, *, labels=("EMG",), units=("mV",), first_frame=0, n=300, events=None):
    c = ezc3d.c3d()
    c["parameters"]["POINT"]["RATE"]["value"] = [100]
    c["parameters"]["POINT"]["LABELS"]["value"] = ("M1",)
    c["parameters"]["ANALOG"]["RATE"]["value"] = [1000]
    c["parameters"]["ANALOG"]["LABELS"]["value"] = tuple(labels)
    c["parameters"]["ANALOG"]["UNITS"]["value"] = tuple(units)
    c["data"]["points"] = np.ones((4, 1, n // 10))
    rng = np.random.default_rng(1)
    c["data"]["analogs"] = rng.normal(0, 0.1, (1, len(labels), n))
    c["header"]["points"]["first_frame"] = first_frame
    for group, name, value in events or []:
        c.add_parameter(group, name, value)
    c.write(str(path))
    return path


def test_c3d_event_times_stored_one_dimensional(tmp_path):
    times = np.array([0.0, 0.5, 0.0, 1.1, 0.0, 1.5])  # minutes, seconds pairs, dims [6]
    p = _c3d(
        tmp_path / "vicon.c3d",
        events=[
            ("EVENT", "USED", [3]),
            ("EVENT", "LABELS", ["Foot Strike", "Foot Off", "Foot Strike"]),
            ("EVENT", "CONTEXTS", ["Right", "Right", "Right"]),
            ("EVENT", "TIMES", times),
        ],
    )
    ev = read_events(p)
    assert ev["time_s"].to_list() == pytest.approx([0.5, 1.1, 1.5])
    assert ev["event"].to_list() == ["foot_contact", "foot_off", "foot_contact"]


def test_qualisys_labels_without_contexts_and_contact_type(tmp_path):
    p = _c3d(
        tmp_path / "qtm.c3d",
        events=[
            ("EVENT", "USED", [4]),
            ("EVENT", "LABELS", ["LHS", "RTO", "Right Toe Strike", "L_TO"]),
            ("EVENT", "TIMES", np.array([[0, 0, 0, 0], [0.4, 0.6, 0.9, 1.2]], dtype=float)),
        ],
    )
    ev = read_events(p)
    assert ev.rows() == [
        ("left", "foot_contact", pytest.approx(0.4), "heel"),
        ("right", "foot_off", pytest.approx(0.6), None),
        ("right", "foot_contact", pytest.approx(0.9), "toe"),
        ("left", "foot_off", pytest.approx(1.2), None),
    ]


def test_c3d_without_usable_events_is_a_clear_error(tmp_path):
    times = np.array([[0.0], [0.1]])
    events = [("EVENT", "LABELS", ["Start"]), ("EVENT", "TIMES", times)]
    p = _c3d(tmp_path / "none.c3d", events=events)
    with pytest.raises(ValidationError, match="no foot contact/foot off events") as exc:
        read_events(p, cohort="lab", file="none.c3d")
    assert exc.value.problems[0].file == "none.c3d"


def test_c3d_first_frame_puts_signals_on_the_capture_clock(tmp_path):
    p = _c3d(
        tmp_path / "cropped.c3d",
        first_frame=100,
        n=1000,
        events=[("EVENT", "LABELS", ["Foot Strike"]), ("EVENT", "CONTEXTS", ["Left"]),
                ("EVENT", "TIMES", np.array([[0.0], [1.5]]))],
    )  # fmt: skip
    emg = read_emg(p, channel_map={"EMG": "TA"})
    assert emg.t0 == pytest.approx(1.0)  # first stored frame 100 at 100 Hz
    ev = read_events(p)
    assert ev["time_s"][0] == pytest.approx(1.5)  # capture clock: 0.5 s into the stored data
    assert emg.t0 <= ev["time_s"][0] <= emg.t0 + emg.duration


def test_c3d_volts_converted_and_implausible_amplitude_named(tmp_path):
    # SCALE 1 and 'V' labels, values at 0.1 "V" SD: 100 mV of EMG is implausible
    p = _c3d(tmp_path / "v.c3d", labels=("L Tib Ant", "Fz1"), units=("V", "N"))
    emg = read_emg(p, channel_map={"L Tib Ant": "L_TA"})
    assert emg.channels == ("L_TA", "Fz1") and emg.meta["channel_units"] == {"Fz1": "N"}
    assert np.std(emg["L_TA"]) == pytest.approx(1e5, rel=0.1)  # uV
    probs = amplitude_problems(emg, units="uV", cohort="lab", file="v.c3d")
    assert [(q.file, q.column) for q in probs] == [("v.c3d", "L_TA")]
    assert "emg.units" in probs[0].message and "emg.gain: 1000" in probs[0].fix
    amplified = read_emg(p, channel_map={"L Tib Ant": "L_TA", "Fz1": None}, gain=1000)
    assert amplitude_problems(amplified) == []


def test_units_uv_declared_for_mv_data_is_a_validation_problem(tmp_path):
    rng = np.random.default_rng(0)
    p = tmp_path / "t.csv"
    pl.DataFrame({"time_s": np.arange(2000) / 1000, "VL": rng.normal(0, 0.05, 2000)}).write_csv(p)
    emg = read_emg(p, units="uV", cohort="lab", file="emg/t.csv")
    (prob,) = amplitude_problems(emg, units="uV", cohort="lab", file="emg/t.csv")
    assert (prob.cohort, prob.file, prob.column) == ("lab", "emg/t.csv", "VL")
    assert "emg.units: uV" in prob.message and "set emg.units: mV" in prob.fix
    assert amplitude_problems(read_emg(p, units="mV")) == []


def test_trigno_edf_keeps_emg_and_accelerometers(tmp_path):
    rng = np.random.default_rng(3)
    seconds = 2
    emg = [rng.normal(0, 50, 2000 * seconds) for _ in range(2)]
    acc = [np.sin(np.arange(148 * seconds) / 148 * 2 * np.pi) for _ in range(6)]
    names = ["EMG 1", "EMG 2"] + [f"ACC {a} {k}" for k in (1, 2) for a in "XYZ"]
    headers = [highlevel.make_signal_header(n, dimension="uV", sample_frequency=2000,
                                            physical_min=-1000, physical_max=1000)
               for n in names[:2]]  # fmt: skip
    headers += [highlevel.make_signal_header(n, dimension="g", sample_frequency=148,
                                             physical_min=-2, physical_max=2)
                for n in names[2:]]  # fmt: skip
    p = tmp_path / "trigno.edf"
    highlevel.write_edf(str(p), emg + acc, headers, file_type=pyedflib.FILETYPE_EDFPLUS)
    out = read_emg(p, channel_map={"EMG 1": "TA", "EMG 2": "GM"})
    assert out.rate == 2000.0 and out.channels[:2] == ("TA", "GM") and len(out.channels) == 8
    assert out["TA"] == pytest.approx(emg[0], abs=0.05)
    assert out.meta["resampled_channels"]["ACC X 1"] == 148.0
    assert np.nanmax(np.abs(out["ACC X 1"])) == pytest.approx(1.0, abs=0.01)


def test_delsys_csv_with_time_column_per_channel_is_refused(tmp_path):
    p = tmp_path / "delsys.csv"
    rows = ["X[s],EMG 1 (mV),X[s],ACC X (G)"]
    rows += [f"{i / 2000},{0.01 * (-1) ** i},{i / 148 if i < 15 else ''},{0.5 if i < 15 else ''}"
             for i in range(200)]  # fmt: skip
    p.write_text("\n".join(rows) + "\n")
    with pytest.raises(ValidationError, match="2 time columns") as exc:
        read_emg(p, cohort="lab", file="emg/delsys.csv")
    assert exc.value.problems[0].file == "emg/delsys.csv" and "EDF" in exc.value.problems[0].fix


def test_blank_padded_slower_channel_is_refused_unless_dropped(tmp_path):
    p = tmp_path / "noraxon.csv"
    rows = ["time_s,VL,ACC"] + [f"{i / 1000},{(-1) ** i},{1 if i < 30 else ''}" for i in range(400)]
    p.write_text("\n".join(rows) + "\n")
    with pytest.raises(ValidationError, match="blank below") as exc:
        read_emg(p, cohort="lab", file="noraxon.csv")
    prob = exc.value.problems[0]
    assert prob.column == "ACC" and "channel_map" in prob.fix
    assert read_emg(p, channel_map={"ACC": None}).channels == ("VL",)


def test_nexus_device_channel_names_sides_and_new_codes():
    names = ["Delt_ant.EMG1", "Voltage.EMG2", "L_VL", "r_ham", "Trigger", "Noraxon.TP"]
    out, probs = map_channels(names, {"Delt_ant": None, "EMG2": "R_GAS", "Trigger": None})
    assert probs == [] and out == [None, "R_GAS", "L_VL", "R_HAM", None, "TP"]


def test_schema_accepts_null_channels_sides_and_events_block():
    schema = load_schema("cohort")
    doc = {"contract_version": 1, "name": "lab", "sessions": ["s1"],
           "emg": {"units": "V", "side": "both", "muscles": ["L_TA", "R_TA"],
                   "channel_map": {"Trigger": None, "L Tib Ant": "L_TA"},
                   "events": {"source": ["forceplate", "markers"]}}}  # fmt: skip
    assert list(Draft202012Validator(schema).iter_errors(doc)) == []
    doc["emg"]["channel_map"]["x"] = "QUADS"
    assert list(Draft202012Validator(schema).iter_errors(doc))


def test_force_plate_hysteresis_and_foot_assignment():
    rate = 1000.0
    t = np.arange(3000) / rate
    fz = np.where((t > 0.5) & (t < 1.2), 700.0, 0.0) + 12 * np.sin(2 * np.pi * 40 * t)
    assert len(loaded_periods(fz, rate)) == 1  # noise around 10-20 N does not toggle
    # the centre of pressure runs from heel (x = 100) to toe (x = 300) during the contact
    cop = np.column_stack([100 + 200 * np.clip((t - 0.5) / 0.7, 0, 1), np.full(t.size, 300.0),
                           np.zeros(t.size)])  # fmt: skip
    plate = ForcePlate(1, rate, 2.0, np.column_stack([0 * t, 0 * t, fz]), cop, np.zeros((4, 3)))
    foot = lambda y, x0: np.column_stack(  # noqa: E731
        [np.full(300, x0), np.full(300, y), np.zeros(300)]
    )
    feet = {
        side: {"heel": (foot(y, 100), 100.0, 2.0), "toe": (foot(y, 300), 100.0, 2.0)}
        for side, y in (("right", 300), ("left", -300))
    }
    ev, notes = events_from_forceplates([plate], feet=feet)
    assert ev["side"].to_list() == ["right", "right"] and notes == []
    assert ev["time_s"].to_list() == pytest.approx([2.5, 3.2], abs=0.002)
    assert ev["contact"][0] == "heel" and set(ev["source"]) == {"forceplate"}
    stored = pl.DataFrame({"side": ["left", "left"], "event": ["foot_contact", "foot_off"],
                           "time_s": [2.49, 3.21]})  # fmt: skip
    ev2, _ = events_from_forceplates([plate], stored=stored)
    assert ev2["side"].to_list() == ["left", "left"]


def _walker(direction: str, treadmill: bool, rate: float = 100.0, seconds: float = 6.0):
    """Feet swinging about the pelvis: contacts at k + 0.0 s (right), k + 0.5 s (left)."""
    t = np.arange(int(seconds * rate)) / rate
    travel = (0.0 if treadmill else 1000.0) * t  # along -y
    pelvis = np.column_stack([np.zeros_like(t), -travel, np.full_like(t, 900.0)])
    heel, toe = {}, {}
    for side, lag in (("right", 0.0), ("left", 0.5)):
        ph = 2 * np.pi * (t - lag)
        rel = 350 * np.cos(ph)  # max (foot furthest along travel) at t = lag + k
        height = np.where(np.sin(ph) > 0, 0.0, 80 * np.abs(np.sin(ph)))
        heel[side] = np.column_stack([np.zeros_like(t), -(travel + rel), 30 + height])
        toe[side] = np.column_stack([np.zeros_like(t), -(travel + rel) - 20, 30 + height])
    if direction == "backward":  # faces +y while travelling -y: toes point backward
        for side in toe:
            toe[side][:, 1] += 40
    return heel, toe, pelvis, rate


@pytest.mark.parametrize("treadmill", [False, True])
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_marker_events_are_direction_aware(direction, treadmill):
    heel, toe, pelvis, rate = _walker(direction, treadmill)
    ev, how = events_from_markers(heel, toe, pelvis, rate, direction=direction,
                                  contact_speed_mm_s=None)  # fmt: skip
    assert how == ("foot motion" if treadmill else "pelvis velocity")
    fc = ev.filter((pl.col("event") == "foot_contact") & (pl.col("side") == "right"))
    assert fc["time_s"].to_list() == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0], abs=0.02)
    assert set(fc["contact"]) == {"heel" if direction == "forward" else "toe"}
    assert set(ev["source"]) == {"markers"}


def test_footswitch_source_and_merging_sources(tmp_path):
    rate = 1000.0
    t = np.arange(4000) / rate
    fsw_r = np.where((t % 1.0) < 0.6, 1.0, 0.0)
    fsw_l = np.where(((t + 0.5) % 1.0) < 0.6, 1.0, 0.0)
    emg = EMG(np.vstack([fsw_r, fsw_l]), rate, ("FSW_R", "FSW_L"))
    cfg = events_config({"source": "footswitch", "footswitch": {"right": "FSW_R", "left": "FSW_L"}})
    ev, probs, notes = trial_events(tmp_path / "x.csv", sources=sources_of(cfg), config=cfg,
                                    emg=emg, cohort="lab", file="x.csv")  # fmt: skip
    assert probs == [] and set(ev["source"]) == {"footswitch"}
    assert ev.filter(pl.col("side") == "right")["time_s"].to_list()[:2] == pytest.approx([0.6, 1.0])
    stored = tmp_path / "stored.csv"
    stored.write_text("side,event,time_s\nright,foot_contact,1.004\n")
    both, probs, _ = trial_events(stored, sources=["stored", "footswitch"], config=cfg, emg=emg)
    near = both.filter((pl.col("time_s") - 1.0).abs() < 0.1)
    assert near["source"].to_list() == ["stored"]  # the footswitch's contact at 1.0 s yields
    assert both.filter(pl.col("source") == "footswitch").height == ev.height - 1
    _, probs, _ = trial_events(stored, sources=["markers"], config=cfg, cohort="lab", file="s.csv")
    assert "need a C3D events_file" in probs[0].message
    _, probs, _ = trial_events(stored, sources=["plates"], config=cfg)
    assert "unknown gait-event source" in probs[0].message


@pytest.fixture(scope="module")
def zoo() -> Path:
    return require_zoo()


ZOO_MAP = {f"{s} {name}": f"{s}_{code}" for s in "LR" for name, code in
           (("Rect", "RF"), ("Hams", "HAM"), ("Gast", "GAS"), ("Tib Ant", "TA"),
            ("Tib Post", "TP"))}  # fmt: skip


def test_biomechzoo_c3d_files_read(zoo):
    files = sorted(zoo.glob("*/*.c3d"))
    assert len(files) == 24
    with_events = 0
    for f in files:
        emg = read_emg(f, channel_map={**ZOO_MAP, "L Spare": None, "R Spare": None},
                       cohort="zoo", file=f.name)  # fmt: skip
        assert emg.rate == 1000.0 and emg.t0 > 0
        assert {"L_TA", "R_TA", "L_HAM", "R_GAS", "L_TP", "R_RF"} <= set(emg.channels)
        assert emg.meta["channel_units"]["Fz1"] == "N"
        try:
            ev = read_events(f, cohort="zoo", file=f.name)
        except ValidationError as exc:
            assert "no gait events" in exc.problems[0].message
            continue
        with_events += 1
        assert set(ev["side"]) <= {"left", "right"}
    assert with_events == 18


def test_biomechzoo_detected_events_agree_with_stored(zoo):
    f = zoo / "HC002D" / "straight_HC002D06.c3d"
    stored = read_events(f)
    cfg = events_config({})
    for source, tol in (("forceplate", 12.0), ("markers", 30.0)):
        det, probs, _ = trial_events(f, sources=[source], config=cfg, cohort="zoo", file=f.name)
        assert probs == []
        s = agreement_summary(match_events(stored, det))
        assert s["n_matched"] == 4 and s["median_abs_ms"] <= tol, (source, s)
    both, _, notes = trial_events(f, sources=["forceplate", "markers"], config=cfg)
    assert {"forceplate", "markers"} == set(both["source"])
