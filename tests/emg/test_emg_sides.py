"""EMG of both legs: each leg's channels cut into that leg's own gait cycles."""

import numpy as np
import polars as pl
import pytest

from analysis.core.settings import SettingsError, resolve_settings
from analysis.core.signal import EMG
from analysis.emg import Recording, process_subject
from analysis.outcomes.table import apply_qc, outcome_table

RATE = 1000.0
STRIDE = 1.0
STANCE = 0.62
LEFT_LAG = 0.5  # the left foot lands half a stride after the right one
# burst centre (% of the leg's own cycle) and amplitude of each channel
BURSTS = {"L_TA": (5.0, 60.0), "R_TA": (5.0, 60.0), "L_VL": (12.0, 50.0), "R_VL": (12.0, 50.0),
          "L_BF": (90.0, 40.0), "R_BF": (90.0, 40.0)}  # fmt: skip


def both_legs(channels=tuple(BURSTS), n_strides=8, seed=0, source=None):
    """Bursts at known % of each leg's own cycle, and both feet's events."""
    rng = np.random.default_rng(seed)
    start = 0.5
    dur = start + (n_strides + 1.2) * STRIDE
    t = np.arange(int(dur * RATE)) / RATE
    rows = []
    for ch in channels:
        lag = LEFT_LAG if ch.startswith("L_") else 0.0
        pct = ((t - start - lag) % STRIDE) / STRIDE * 100
        centre, amp = BURSTS.get(ch, BURSTS["R_TA"])
        d = np.abs(pct - centre)
        d = np.minimum(d, 100 - d)
        rows.append((2.0 + amp * np.exp(-0.5 * (d / 6.0) ** 2)) * rng.standard_normal(t.size))
    ev = []
    for side, lag in (("right", 0.0), ("left", LEFT_LAG)):
        contacts = start + lag + STRIDE * np.arange(n_strides + 1)
        ev += [(side, "foot_contact", c) for c in contacts]
        ev += [(side, "foot_off", c + STANCE * STRIDE) for c in contacts[:-1]]
    events = pl.DataFrame(ev, schema=["side", "event", "time_s"], orient="row").sort("time_s")
    if source is not None:
        events = events.with_columns(source=pl.lit(source))
    return EMG(np.vstack(rows), RATE, channels), events


def run(recordings, side="both", **params):
    return process_subject(
        recordings, {"cycles": {"side": side}, **params}, cohort="c", subject="S01"
    )


def peak_pct(curves: pl.DataFrame, muscle: str) -> int:
    c = curves.filter(pl.col("muscle") == muscle).group_by("pct").agg(pl.col("value").mean())
    return int(c.sort("value")["pct"][-1])


def test_side_both_is_a_setting_choice():
    assert resolve_settings({}, {"emg": {"side": "both"}}).emg.cycles.side == "both"
    with pytest.raises(SettingsError, match="emg.cycles.side"):
        resolve_settings({"emg": {"cycles": {"side": "middle"}}})


def test_each_leg_is_cut_into_its_own_cycles():
    emg, ev = both_legs()
    out = run([Recording("T0", "forward", 1, emg, ev)])
    assert set(out.curves["muscle"]) == set(BURSTS)
    for table in (out.curves, out.features, out.spatiotemporal):
        assert table.columns[5] == "side"
    sides = out.curves.select("muscle", "side").unique().rows()
    assert all(side == ("left" if m.startswith("L_") else "right") for m, side in sides)
    # a left muscle cut with the right leg's contacts would peak half a cycle away
    for m, (centre, _) in BURSTS.items():
        assert abs(peak_pct(out.curves, m) - centre) <= 4, m
    st = out.spatiotemporal.filter(pl.col("parameter") == "stance_pct")
    assert set(st["side"]) == {"left", "right"}
    assert st["value"].to_numpy() == pytest.approx(62.0, abs=0.5)
    # left cycles start at the left contacts, numbered per leg
    assert out.spatiotemporal.filter(pl.col("side") == "left")["cycle"].max() == 8
    pairs = set(out.features.filter(pl.col("feature") == "cci_rudolph")["muscle"])
    assert pairs == {"L_VL/L_BF", "R_VL/R_BF"}
    norm = out.normalisation
    assert norm.columns[:4] == ["cohort", "subject", "side", "muscle"]
    assert set(zip(norm["muscle"], norm["side"], strict=True)) == {
        (m, "left" if m.startswith("L_") else "right") for m in BURSTS
    }
    assert out.qc.filter(pl.col("excluded")).height == 0


def test_per_channel_sides_without_side_both():
    emg, ev = both_legs(("L_TA", "TA"))
    emg = EMG(emg.data, RATE, ("L_TA", "TA"))
    out = run([Recording("T0", "forward", 1, emg, ev)], side="right")
    assert dict(out.normalisation.select("muscle", "side").rows()) == {
        "L_TA": "left",
        "TA": "right",
    }
    assert abs(peak_pct(out.curves, "L_TA") - 5) <= 4


def test_muscle_without_a_leg_is_reported_not_processed():
    emg, ev = both_legs(("L_TA", "R_TA", "FSW"))
    emg = EMG(emg.data, RATE, ("L_TA", "TA", "FSW"))
    out = run([Recording("T0", "forward", 1, emg, ev)])
    assert set(out.curves["muscle"]) == {"L_TA"}
    row = out.qc.filter(pl.col("flag") == "no_side").row(0, named=True)
    assert row["muscle"] == "TA" and "L_ or R_" in row["reason"] and not row["excluded"]
    fsw = out.qc.filter(pl.col("flag") == "not_a_muscle")
    assert fsw["muscle"].to_list() == ["FSW"] and fsw["side"].to_list() == [None]


def test_event_problem_of_one_leg_excludes_only_that_leg():
    emg, ev = both_legs()
    # drop the third left foot off: left cycle 3 has no foot off (event_order, hard)
    offs = ev.filter((pl.col("side") == "left") & (pl.col("event") == "foot_off"))
    ev = ev.filter(pl.col("time_s") != offs["time_s"][2])
    out = run([Recording("T0", "forward", 1, emg, ev)])
    flag = out.qc.filter(pl.col("flag") == "event_order")
    assert flag.select("side", "cycle").rows() == [("left", 3)]
    excl = out.curves.filter(pl.col("excluded")).select("side", "cycle").unique()
    assert excl.rows() == [("left", 3)]
    # outcomes: the QC table excludes left cycle 3 only, also without the excluded column
    kept = apply_qc(out.features.drop("excluded"), out.qc)
    assert kept.filter(pl.col("side") == "right", pl.col("cycle") == 3).height > 0
    assert kept.filter(pl.col("side") == "left", pl.col("cycle") == 3).height == 0


def test_outcomes_per_muscle_and_leg_and_event_source_recorded():
    recs = []
    for k, d in enumerate(("forward", "backward")):
        emg, ev = both_legs(seed=k, source="forceplate")
        recs.append(Recording("T0", d, 1, emg, ev))
    out = run(recs)
    src = out.qc.filter(pl.col("flag") == "events_source")
    assert src.height == 2 and src["reason"].str.starts_with("forceplate (").all()
    participants = pl.DataFrame({"cohort": ["c"], "subject": ["S01"], "group": ["g"]})
    measures = pl.DataFrame(schema={"cohort": pl.String, "subject": pl.String})
    table = outcome_table(participants, measures, out.features, out.spatiotemporal, out.qc)
    emg = set(table.filter(pl.col("family") == "emg")["outcome"])
    assert {"L_VL_mean_cycle", "R_VL_mean_cycle", "L_TA_peak_cycle"} <= emg
    st = table.filter(pl.col("outcome") == "stance_pct")
    assert st.height == 2  # one per trial: both legs' cycles pooled


def test_figures_one_panel_per_muscle_and_leg_and_no_data_placeholder():
    from analysis.models.waveform import trial_means
    from analysis.report.figures import plot_ensemble
    from analysis.report.figures.empty import is_no_data_figure

    curves = []
    for s in range(3):
        for d in ("forward", "backward"):
            emg, ev = both_legs(("L_TA", "R_TA"), n_strides=4, seed=s)
            out = process_subject(
                [Recording("T0", d, 1, emg, ev)], {"cycles": {"side": "both"}}, cohort="c",
                subject=f"S{s}",
            )  # fmt: skip
            curves.append(out.curves)
    fig = plot_ensemble(trial_means(pl.concat(curves)))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Tibialis anterior (TA), left", "Tibialis anterior (TA), right"]
    empty = pl.concat(curves).with_columns(excluded=pl.lit(True))
    assert is_no_data_figure(plot_ensemble(trial_means(empty)))


def test_spm_tests_each_muscle_of_each_leg():
    from analysis.models.waveform import spm_paired, trial_means

    curves = []
    for s in range(4):
        recs = []
        for k, d in enumerate(("forward", "backward")):
            emg, ev = both_legs(("L_TA", "R_TA"), n_strides=4, seed=10 * s + k)
            recs.append(Recording("T0", d, 1, emg, ev))
        out = process_subject(recs, {"cycles": {"side": "both"}}, cohort="c", subject=f"S{s}")
        curves.append(out.curves)
    clusters = spm_paired(trial_means(pl.concat(curves)))
    assert set(clusters["muscle"]) == {"L_TA", "R_TA"}
