"""process_subject end to end on synthetic trials with known answers."""

import numpy as np
import polars as pl
import pytest

from analysis.core.settings import merge_params
from analysis.core.signal import EMG
from analysis.emg import EMGResult, Recording, methods_text, mvc_reference, process_subject

RATE = 1000.0
STRIDE = 1.0
STANCE = 0.62
BURSTS = {"VL": (10.0, 50.0), "BF": (90.0, 40.0), "TA": (5.0, 60.0), "GM": (45.0, 80.0)}


def trial(direction="forward", gain=None, n_strides=8, seed=0, muscles=("VL", "BF", "TA", "GM")):
    """Bursting EMG (Gaussian bursts at known % of the cycle) and both feet's events."""
    gain = gain or {}
    rng = np.random.default_rng(seed)
    start = 0.5
    dur = start + (n_strides + 0.6) * STRIDE
    t = np.arange(int(dur * RATE)) / RATE
    pct = ((t - start) % STRIDE) / STRIDE * 100
    rows = []
    for m in muscles:
        centre, amp = BURSTS[m]
        d = np.abs(pct - centre)
        d = np.minimum(d, 100 - d)
        act = 2.0 + amp * gain.get(m, 1.0) * np.exp(-0.5 * (d / 6.0) ** 2)
        rows.append(act * rng.standard_normal(t.size))
    contacts = start + STRIDE * np.arange(n_strides + 1)
    ev = []
    for c in contacts:
        ev.append(("right", "foot_contact", c, "heel" if direction == "forward" else "toe"))
        if c < contacts[-1]:
            ev += [
                ("right", "foot_off", c + STANCE * STRIDE, None),
                ("left", "foot_off", c + (STANCE - 0.5) * STRIDE, None),
                ("left", "foot_contact", c + 0.5 * STRIDE, None),
            ]
    events = pl.DataFrame(ev, schema=["side", "event", "time_s", "contact"], orient="row")
    return EMG(np.vstack(rows), RATE, muscles), events.sort("time_s")


def run(recordings, params=None, **kw) -> EMGResult:
    return process_subject(recordings, params or {}, cohort="demo", subject="S01", **kw)


def test_output_columns_follow_the_contract():
    emg, ev = trial()
    out = run([Recording("baseline", "forward", 1, emg, ev, speed_m_s=1.1)])
    keys = ["cohort", "subject", "session", "direction", "trial", "side"]
    assert set(out.curves["side"]) == {"right"}
    assert out.curves.columns == [*keys, "cycle", "muscle", "pct", "value", "norm_unit", "excluded"]
    assert out.features.columns == [
        *keys,
        "cycle",
        "muscle",
        "phase",
        "feature",
        "value",
        "unit",
        "excluded",
    ]
    assert out.qc.columns == [*keys, "muscle", "cycle", "flag", "reason", "excluded"]
    assert out.spatiotemporal.columns == [*keys, "cycle", "parameter", "value", "unit", "excluded"]
    assert out.normalisation.columns == [
        "cohort",
        "subject",
        "side",
        "muscle",
        "method",
        "reference_value",
        "units",
        "norm_unit",
        "n_cycles",
    ]
    assert out.curves["pct"].unique().sort().to_list() == list(range(101))
    assert out.curves.height == 8 * 4 * 101
    assert set(out.features["phase"]) == {
        "cycle",
        "stance",
        "swing",
        "double_support_1",
        "single_support",
        "double_support_2",
    }
    assert {
        "mean",
        "peak",
        "iemg",
        "peak_time",
        "onset",
        "offset",
        "active_pct",
        "cci_falconer_winter",
        "cci_rudolph",
    } == set(out.features["feature"])
    assert {"VL/BF", "TA/GM"} <= set(out.features["muscle"])
    assert out.qc.height == 0


def test_burst_timing_and_amplitude_are_recovered():
    emg, ev = trial(n_strides=12)
    out = run([Recording("baseline", "forward", 1, emg, ev)])
    mean = out.curves.group_by("muscle", "pct").agg(pl.col("value").mean())
    for m, (centre, _) in BURSTS.items():
        c = mean.filter(pl.col("muscle") == m).sort("pct")["value"].to_numpy()
        peak = int(np.argmax(c))
        assert min(abs(peak - centre), 100 - abs(peak - centre)) <= 3, m
        # reference = peak of the mean forward envelope: the mean curve peaks at 100 %
        assert c.max() == pytest.approx(100.0)
    ta = out.features.filter(pl.col("muscle") == "TA", pl.col("phase") == "cycle")
    pt = ta.filter(pl.col("feature") == "peak_time")["value"].to_numpy()
    assert np.all(np.minimum(np.abs(pt - 5), 100 - np.abs(pt - 5)) <= 6)
    on = ta.filter(pl.col("feature") == "onset")["value"].to_numpy()
    off = ta.filter(pl.col("feature") == "offset")["value"].to_numpy()
    assert np.all((on > 70) | (on < 2)) and np.all((off > 8) & (off < 25))


def test_reference_is_shared_across_directions_never_own_maximum():
    fwd, ev_f = trial("forward", seed=1)
    bwd, ev_b = trial("backward", gain={"VL": 2.0, "BF": 0.5}, seed=2)
    recs = [
        Recording("baseline", "forward", 1, fwd, ev_f),
        Recording("baseline", "backward", 1, bwd, ev_b),
        Recording("post", "backward", 1, bwd, ev_b),
    ]
    out = run(recs)
    norm = out.normalisation
    assert set(norm["method"]) == {"reference: peak of mean forward envelope"}
    assert norm.filter(pl.col("muscle") == "VL")["n_cycles"].item() == 8
    peak = out.curves.group_by("direction", "muscle", "pct").agg(pl.col("value").mean())
    peak = peak.group_by("direction", "muscle").agg(pl.col("value").max())
    get = {(r["direction"], r["muscle"]): r["value"] for r in peak.iter_rows(named=True)}
    assert get[("forward", "VL")] == pytest.approx(100.0)
    assert get[("backward", "VL")] == pytest.approx(200.0, rel=0.15)
    assert get[("backward", "BF")] == pytest.approx(50.0, rel=0.15)
    assert set(out.curves["norm_unit"]) == {"% reference"}


def test_backward_only_subject_falls_back_and_says_so():
    bwd, ev = trial("backward")
    out = run([Recording("baseline", "backward", 1, bwd, ev)])
    assert set(out.normalisation["method"]) == {
        "reference: peak of mean envelope, all directions (no forward cycles)"
    }


def test_mvc_normalisation():
    emg, ev = trial()
    rng = np.random.default_rng(9)
    t = np.arange(5000) / RATE
    mvc_trial = EMG(
        rng.standard_normal(5000) * np.where((t > 1) & (t < 4), 300.0, 3.0), RATE, ("VL",)
    )
    out = run([Recording("baseline", "forward", 1, emg, ev)], mvc={"VL": mvc_trial})
    norm = {r["muscle"]: r for r in out.normalisation.iter_rows(named=True)}
    assert norm["VL"]["method"] == "mvc" and norm["VL"]["norm_unit"] == "%MVC"
    # mean rectified value of Gaussian noise with SD 300: 300 * sqrt(2 / pi)
    assert norm["VL"]["reference_value"] == pytest.approx(300 * np.sqrt(2 / np.pi), rel=0.05)
    assert norm["TA"]["method"].startswith("reference")
    vl = out.curves.filter(pl.col("muscle") == "VL").group_by("pct").agg(pl.col("value").mean())
    # the VL burst envelope (~ 52 uV RMS -> 41 uV rectified) is a fraction of the MVC (239 uV)
    assert 10 < vl["value"].max() < 25
    assert mvc_reference(
        [mvc_trial, mvc_trial.replace(mvc_trial.data / 2)], "VL", merge_params()
    ) == pytest.approx(norm["VL"]["reference_value"])
    with pytest.raises(ValueError, match="no MVC recording"):
        run(
            [Recording("baseline", "forward", 1, emg, ev)],
            {"normalisation": {"method": "mvc"}},
            mvc={"VL": mvc_trial},
        )


def test_flagged_data_are_excluded_and_kept_with_reasons():
    emg, ev = trial()
    data = emg.data.copy()
    data[1] = 0.1 * np.random.default_rng(3).standard_normal(emg.n_samples)  # BF disconnected
    data[2, 3000:3100] = np.nan  # a gap in TA during cycle 3
    emg = emg.replace(data)
    ev = ev.filter(
        ~(
            (pl.col("side") == "right")
            & (pl.col("event") == "foot_off")
            & (pl.col("time_s").is_between(5.0, 6.0))
        )
    )
    out = run([Recording("baseline", "forward", 1, emg, ev)])
    qc = {(r["muscle"], r["cycle"], r["flag"]): r["excluded"] for r in out.qc.iter_rows(named=True)}
    assert qc[("BF", None, "flat")] is True
    assert qc[("TA", 3, "gap")] is True
    assert qc[("TA", None, "gap")] is False
    assert qc[(None, 5, "event_order")] is True
    excl = out.curves.group_by("muscle", "cycle").agg(pl.col("excluded").all())
    ex = {(r["muscle"], r["cycle"]) for r in excl.filter(pl.col("excluded")).iter_rows(named=True)}
    expected = {("BF", c) for c in range(1, 9)} | {("TA", 3)} | {(m, 5) for m in BURSTS}
    assert ex == expected
    # the gap does not spread: TA's other cycles are complete
    ta = out.curves.filter(pl.col("muscle") == "TA", pl.col("cycle") != 3)
    assert ta["value"].is_finite().all()
    cc = out.features.filter(pl.col("muscle") == "VL/BF")
    assert cc["excluded"].all()
    st = out.spatiotemporal.filter(pl.col("cycle") == 5)
    assert st["excluded"].all() and "stance_pct" not in st["parameter"].to_list()
    kept = run([Recording("baseline", "forward", 1, emg, ev)], {"qc": {"exclude_flagged": False}})
    assert kept.qc.filter(pl.col("flag") == "flat")["excluded"].to_list() == [False]
    assert kept.qc.filter(pl.col("flag") == "event_order")["excluded"].to_list() == [True]
    bf = kept.curves.filter(pl.col("muscle") == "BF", pl.col("excluded"))
    assert set(bf["cycle"]) == {5}  # only the cycle whose events are unusable


def test_events_detected_from_a_footswitch_channel():
    emg, ev = trial()
    t = emg.time
    contacts = ev.filter(pl.col("side") == "right", pl.col("event") == "foot_contact")["time_s"]
    offs = ev.filter(pl.col("side") == "right", pl.col("event") == "foot_off")["time_s"]
    fsw = np.zeros(t.size)
    for a, b in zip(contacts, offs, strict=False):
        fsw[(t >= a) & (t < b)] = 5.0
    fsw[t >= contacts[-1]] = 5.0  # loaded at the end: a last contact without foot off
    with_fsw = EMG(np.vstack([emg.data, fsw]), RATE, (*emg.channels, "FSW"))
    out = run([Recording("baseline", "forward", 1, with_fsw, None, footswitch="FSW")])
    st = out.spatiotemporal.filter(pl.col("parameter") == "stance_pct")["value"]
    assert st.len() == 8 and st.to_numpy() == pytest.approx(62.0, abs=0.2)
    assert out.qc.filter(pl.col("flag") == "not_a_muscle")["muscle"].to_list() == ["FSW"]
    none = run([Recording("baseline", "forward", 1, emg, None)])
    assert none.qc["flag"].to_list() == ["no_events"] and none.curves.height == 0


def test_units_and_spatiotemporal_outcomes():
    emg, ev = trial()
    out = run([Recording("post", "backward", 2, emg, ev, speed_m_s=0.7)])
    units = dict(out.features.select("feature", "unit").unique().iter_rows())
    assert units["iemg"] == "% reference*s" and units["peak_time"] == "% cycle"
    st = out.spatiotemporal.group_by("parameter").agg(pl.col("value").mean())
    v = dict(st.iter_rows())
    assert v["stride_time"] == pytest.approx(1.0) and v["cadence"] == pytest.approx(120.0)
    assert v["double_support_pct"] == pytest.approx(24.0) and v["stride_length"] == 0.7
    assert set(out.curves["trial"]) == {2} and set(out.curves["session"]) == {"post"}


def test_methods_text_follows_parameters():
    text = methods_text(merge_params())
    for part in (
        "20-450 Hz",
        "4th-order Butterworth",
        "effective order 8",
        "6 Hz",
        "101 points",
        "toe first",
        "CEDE",
        "forward-walking envelope",
        "Falconer",
        "Rudolph",
    ):
        assert part in text, part
    rms = methods_text(
        {
            "envelope": {"method": "rms", "rms_window_s": 0.1},
            "notch": {"enabled": True, "mains_hz": 60},
            "normalisation": {"method": "mvc"},
            "bandpass": {"order": 2},
        }
    )
    assert "100 ms" in rms and "60 Hz, 120 Hz, 180 Hz" in rms and "2nd-order" in rms
    assert "forward-walking" not in rms and "maximal voluntary" in rms


def test_low_sampling_rate_lowers_the_high_cutoff_and_says_so():
    emg, ev = trial()
    slow = EMG(emg.data[:, ::2], 500.0, emg.channels)
    out = run([Recording("baseline", "forward", 1, slow, ev)])
    row = out.qc.filter(pl.col("flag") == "bandpass_limited")
    assert row.height == 1 and "450 to 225 Hz" in row["reason"][0]
    assert not row["excluded"][0]
    assert "sampled at 500 Hz" in methods_text({"sampling_rate_hz": 500})


def test_all_nan_channel_is_one_hard_row_and_other_muscles_are_untouched():
    emg, ev = trial()
    data = emg.data.copy()
    data[3] = np.nan
    out = run([Recording("baseline", "forward", 1, emg.replace(data), ev)])
    assert out.qc.select("muscle", "flag", "excluded").rows() == [("GM", "all_nan", True)]
    assert out.curves.filter(pl.col("muscle") == "GM")["excluded"].all()
    assert not out.curves.filter(pl.col("muscle") != "GM")["excluded"].any()
    assert out.normalisation.filter(pl.col("muscle") == "GM")["method"].item().startswith("none")


def test_declared_muscle_missing_from_a_recording_is_reported():
    emg, ev = trial(muscles=("VL", "TA"))
    out = run([Recording("baseline", "forward", 1, emg, ev)], {"muscles": ["VL", "TA", "SO"]})
    assert out.qc.select("muscle", "flag", "excluded").rows() == [("SO", "missing_channel", False)]
