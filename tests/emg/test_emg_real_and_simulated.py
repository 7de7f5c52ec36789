"""The whole EMG stage on a real recording (Santuz et al. 2020) and on the demo simulator."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from analysis.core.settings import resolve_settings
from analysis.emg import Recording, process_subject
from analysis.ingest.readers import read_emg, read_events

SANTUZ = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "santuz2020"
EMG_FILE = "raw_emg_ID0012_TW_01.csv"
# the recording's channel codes -> canonical codes (the others already are canonical)
SANTUZ_MAP = {"ME": "GMED", "MA": "GMAX", "FL": "TFL"}


@pytest.fixture(scope="module")
def santuz():
    if not (SANTUZ / EMG_FILE).is_file():
        pytest.skip(f"third-party recording not available at {SANTUZ}")
    emg = read_emg(SANTUZ / EMG_FILE, channel_map=SANTUZ_MAP, cohort="santuz2020", file=EMG_FILE)
    strides = pl.read_csv(SANTUZ / "cycles_ID0012_TW_01.csv")
    events = pl.concat(
        [
            strides.select(
                side=pl.lit("right"), event=pl.lit("foot_contact"), time_s="touchdown_s"
            ),
            strides.select(side=pl.lit("right"), event=pl.lit("foot_off"), time_s="liftoff_s"),
        ]
    ).sort("time_s")
    out = process_subject(
        [Recording("only", "forward", 1, emg, events)], {}, cohort="santuz2020", subject="ID0012"
    )
    mean = out.curves.group_by("muscle", "pct").agg(pl.col("value").mean()).sort("pct")
    curves = {m: mean.filter(pl.col("muscle") == m)["value"].to_numpy() for m in emg.channels}
    return emg, out, curves


def window(curve, lo, hi):
    """Mean of a 101-point curve between lo and hi % (wrapping when lo > hi)."""
    pct = np.arange(101)
    inside = (pct >= lo) & (pct <= hi) if lo <= hi else (pct >= lo) | (pct <= hi)
    return float(curve[inside].mean())


def test_santuz_recording_reads_with_its_rate_and_muscles(santuz):
    emg, out, _ = santuz
    assert emg.rate == 1000.0 and emg.t0 == pytest.approx(0.014) and emg.n_samples == 7618
    assert len(emg.channels) == 13 and {"GMED", "GMAX", "TFL", "TA", "SO"} <= set(emg.channels)
    assert out.qc.filter(pl.col("excluded")).height == 0
    assert out.curves["cycle"].n_unique() == 5


def test_santuz_spatiotemporal(santuz):
    _, out, _ = santuz
    v = dict(out.spatiotemporal.group_by("parameter").agg(pl.col("value").mean()).iter_rows())
    assert v["stride_time"] == pytest.approx(1.036, abs=0.005)
    assert 60 < v["stance_pct"] < 67  # treadmill walking: ~ 62-64 % stance


def test_santuz_tibialis_anterior_active_around_foot_contact(santuz):
    _, _, c = santuz
    assert window(c["TA"], 90, 10) > 3 * window(c["TA"], 20, 50)
    peak = int(np.argmax(c["TA"]))
    assert peak <= 10 or peak >= 90


def test_santuz_triceps_surae_peak_in_late_stance(santuz):
    _, out, c = santuz
    stance = out.spatiotemporal.filter(pl.col("parameter") == "stance_pct")["value"].mean()
    for m in ("SO", "GM", "GL"):
        peak = int(np.argmax(c[m]))
        assert 30 <= peak <= stance, (m, peak)
        assert window(c[m], 30, 55) > 3 * window(c[m], 70, 95), m


def test_santuz_quadriceps_early_stance_hamstrings_late_swing(santuz):
    _, _, c = santuz
    for m in ("VL", "VM"):
        assert int(np.argmax(c[m])) <= 20, m
        assert window(c[m], 0, 15) > 3 * window(c[m], 30, 60), m
    for m in ("BF", "ST"):
        peak = int(np.argmax(c[m]))
        assert peak >= 80, (m, peak)


def test_santuz_features_are_consistent_with_curves(santuz):
    _, out, c = santuz
    f = out.features.filter(pl.col("phase") == "cycle")
    so = f.filter(pl.col("muscle") == "SO")
    peak_time = so.filter(pl.col("feature") == "peak_time")["value"].median()
    assert abs(peak_time - int(np.argmax(c["SO"]))) <= 10
    onset = so.filter(pl.col("feature") == "onset")["value"].median()
    offset = so.filter(pl.col("feature") == "offset")["value"].median()
    assert offset > peak_time and (onset < peak_time or onset > 90)
    fw = f.filter(pl.col("muscle") == "VL/BF", pl.col("feature") == "cci_falconer_winter")
    assert fw["value"].is_between(0, 100).all()


# ---------------------------------------------------------------------------------------------
# the demo simulator's built-in truths


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    simulate = pytest.importorskip("analysis.simulate")
    out_dir = tmp_path_factory.mktemp("demo")
    faults = {
        ("S01", "baseline", "backward", 2): {"ST": "disconnected"},
        ("S02", "post", "forward", 1): {"RF": "mains"},
    }
    mp = pytest.MonkeyPatch()
    mp.setattr(simulate, "FAULTS", faults)
    try:
        simulate.simulate_cohort(out_dir, simulate.DemoDesign(n_subjects=2, n_trials=3))
    finally:
        mp.undo()
    cohort = yaml.safe_load((out_dir / "cohort.yaml").read_text())
    trials = pl.read_csv(out_dir / "trials.csv")
    params = resolve_settings(None, cohort).emg
    results = []
    for subject in trials["subject"].unique().sort():
        recs = []
        for r in trials.filter(pl.col("subject") == subject).iter_rows(named=True):
            emg = read_emg(
                out_dir / r["emg_file"],
                rate=cohort["emg"]["sampling_rate_hz"],
                units=cohort["emg"]["units"],
                cohort="demo",
                file=r["emg_file"],
            )
            ev = read_events(out_dir / r["events_file"], cohort="demo", file=r["events_file"])
            recs.append(
                Recording(r["session"], r["direction"], r["trial"], emg, ev, r["speed_m_s"])
            )
        results.append(process_subject(recs, params, cohort="demo", subject=subject))
    return (
        simulate,
        cohort,
        {
            k: pl.concat([getattr(r, k) for r in results])
            for k in ("curves", "features", "qc", "spatiotemporal")
        },
    )


def test_simulated_burst_timings_are_recovered(simulated):
    simulate, _, out = simulated
    curves = out["curves"].filter(~pl.col("excluded"))
    mean = curves.group_by("direction", "muscle", "pct").agg(pl.col("value").mean())
    pct = np.arange(101.0)
    for direction, bursts in (
        ("forward", simulate.FORWARD_BURSTS),
        ("backward", simulate.BACKWARD_BURSTS),
    ):
        for m in simulate.MUSCLES:
            c = mean.filter(pl.col("direction") == direction, pl.col("muscle") == m)
            got = int(c.sort("pct")["value"].to_numpy().argmax())
            true = int(np.argmax(simulate.activation_profile(bursts[m], pct)))
            d = abs(got - true)
            assert min(d, 100 - d) <= 4, (direction, m, got, true)


def test_simulated_amplitude_ratios_are_recovered(simulated):
    """Each subject's backward/forward ratio of the cycle mean, against that subject's own truth.

    A subject's true ratio is its own (``SubjectDraws.cycle_mean_ratio``: the population ratio of
    cohort.yaml times the subject's multiplier and its own burst amplitudes, log SD about 0.3
    between subjects, so two subjects' mean could miss the population ratio by 0.6 in log at 3 SE
    and would test nothing). Within a subject only
    the cycle-to-cycle gain (log SD 0.15 over 30 cycles per direction: SE of a log ratio about
    0.04) and the processing (tonic and baseline noise, envelope filter) stand between the truth
    and the estimate: 0.15 allows 3 SE and a processing bias of about 0.03.
    """
    simulate, cohort, out = simulated
    truth = cohort["simulation"]["true_effects"]["emg_cycle_mean_ratio_backward_over_forward"]
    design = simulate.DemoDesign(n_subjects=2, n_trials=3)
    f = out["features"].filter(
        ~pl.col("excluded"), pl.col("phase") == "cycle", pl.col("feature") == "mean"
    )
    per = f.group_by("subject", "direction", "muscle").agg(pl.col("value").mean())
    wide = per.pivot("direction", index=["subject", "muscle"], values="value")
    est = wide.select("subject", "muscle", (pl.col("backward") / pl.col("forward")).log())
    got, expected = [], []
    for subject, muscle, log_ratio in est.iter_rows():
        got.append(log_ratio)
        expected.append(np.log(simulate.subject_draws(design, subject).cycle_mean_ratio(muscle)))
    got, expected = np.array(got), np.array(expected)
    assert len(got) == 2 * len(truth)
    assert np.abs(got - expected).max() < 0.15, np.round(got - expected, 3)
    assert np.corrcoef(got, expected)[0, 1] > 0.95
    # the subjects differ: their own ratios are not the population's
    assert np.abs(expected - np.log([truth[m] for m in est["muscle"]])).max() > 0.1


def test_simulated_faults_are_caught_and_excluded(simulated):
    _, _, out = simulated
    qc = out["qc"].filter(pl.col("excluded"))
    got = {
        (r["subject"], r["session"], r["direction"], r["trial"], r["muscle"], r["flag"])
        for r in qc.iter_rows(named=True)
    }
    assert got == {
        ("S01", "baseline", "backward", 2, "ST", "flat"),
        ("S02", "post", "forward", 1, "RF", "mains"),
    }


def test_simulated_spatiotemporal_effects(simulated):
    _, _, out = simulated
    st = out["spatiotemporal"].group_by("direction", "parameter").agg(pl.col("value").mean())
    v = {(r["direction"], r["parameter"]): r["value"] for r in st.iter_rows(named=True)}
    assert v[("backward", "stance_pct")] > v[("forward", "stance_pct")] + 3
    assert v[("backward", "double_support_pct")] > v[("forward", "double_support_pct")] + 5
    assert v[("backward", "stride_length")] < v[("forward", "stride_length")]
