"""Gait cycles from events, their checks, spatiotemporal parameters, footswitch detection."""

import numpy as np
import polars as pl
import pytest

from analysis.core.settings import merge_params
from analysis.core.signal import EMG
from analysis.emg.gait import gait_cycles, spatiotemporal
from analysis.ingest.events.footswitch import events_from_threshold

CYCLES = merge_params()["cycles"]


def walking_events(n=6, stride=1.1, stance=0.65, start=0.5, contact="toe", both=True):
    rows = []
    for k in range(n + 1):
        t = start + k * stride
        rows.append(("right", "foot_contact", t, contact))
        if k < n:
            rows.append(("right", "foot_off", t + stance * stride, None))
            if both:
                rows.append(("left", "foot_off", t + (stance - 0.5) * stride, None))
                rows.append(("left", "foot_contact", t + 0.5 * stride, contact))
    return pl.DataFrame(rows, schema=["side", "event", "time_s", "contact"], orient="row").sort(
        "time_s"
    )


def test_cycles_from_contact_to_contact_with_toe_first_contacts():
    cyc, issues = gait_cycles(walking_events(), CYCLES, recording=(0.0, 10.0))
    assert cyc.height == 6 and issues.height == 0
    assert cyc["contact"].unique().to_list() == ["toe"]
    assert cyc["end_s"][0] == pytest.approx(cyc["start_s"][1])
    assert (cyc["foot_off_s"] - cyc["start_s"]).to_numpy() == pytest.approx(0.65 * 1.1)
    assert cyc["opp_off_s"].is_not_null().all() and cyc["opp_contact_s"].is_not_null().all()


def test_missing_foot_off_is_an_event_order_problem():
    ev = walking_events()
    drop = ev.filter(pl.col("event") == "foot_off", pl.col("side") == "right")["time_s"][2]
    ev = ev.filter(pl.col("time_s") != drop)
    cyc, issues = gait_cycles(ev, CYCLES)
    row = issues.filter(pl.col("flag") == "event_order")
    assert row["cycle"].to_list() == [3] and row["severity"].to_list() == ["hard"]
    assert cyc["foot_off_s"][2] is None


def test_implausible_stride_and_stance_and_outlier_duration_are_flagged():
    ev = walking_events(n=8)
    times = ev["time_s"].to_numpy().copy()
    # stretch everything after the 5th right contact by 0.6 s: cycle 5 lasts 1.7 s
    fifth = ev.filter(pl.col("event") == "foot_contact", pl.col("side") == "right")["time_s"][4]
    times[times > fifth + 0.01] += 0.6
    ev = ev.with_columns(time_s=pl.Series(times))
    _, issues = gait_cycles(ev, CYCLES)
    flags = {(r["cycle"], r["flag"]) for r in issues.iter_rows(named=True)}
    assert (5, "cycle_duration") in flags
    _, issues = gait_cycles(walking_events(stride=0.5), CYCLES)
    assert set(issues["flag"]) == {"stride_time"}
    _, issues = gait_cycles(walking_events(stance=0.9, both=False), CYCLES)
    assert set(issues["flag"]) == {"stance_time"}


def test_cycles_outside_the_recording_and_too_few_contacts():
    _, issues = gait_cycles(walking_events(), CYCLES, recording=(0.0, 3.0))
    outside = issues.filter(pl.col("flag") == "outside_recording")["cycle"].to_list()
    assert outside == [3, 4, 5, 6]
    one = walking_events().filter(pl.col("time_s") < 1.0)
    cyc, issues = gait_cycles(one, CYCLES)
    assert cyc.height == 0 and issues["flag"].to_list() == ["no_cycles"]


def test_spatiotemporal_parameters_and_double_support():
    cyc, _ = gait_cycles(walking_events(stride=1.2, stance=0.68), CYCLES)
    st = spatiotemporal(cyc, speed_m_s=0.8).filter(pl.col("cycle") == 1)
    v = dict(zip(st["parameter"], st["value"], strict=True))
    assert v["stride_time"] == pytest.approx(1.2)
    assert v["cadence"] == pytest.approx(100.0)
    assert v["stance_pct"] == pytest.approx(68.0)
    assert v["swing_pct"] == pytest.approx(32.0)
    # left off at 18 %, left contact at 50 %, right off at 68 %: 18 + 18 % double support
    assert v["double_support_pct"] == pytest.approx(36.0)
    assert v["single_support_pct"] == pytest.approx(32.0)
    assert v["stride_length"] == pytest.approx(0.96)
    one_foot, _ = gait_cycles(walking_events(both=False), CYCLES)
    assert "double_support_pct" not in spatiotemporal(one_foot)["parameter"].to_list()


def test_events_from_force_channel():
    rate = 1000.0
    t = np.arange(int(6.3 * rate)) / rate
    phase = ((t - 0.3) % 1.0) / 1.0
    force = np.where(phase < 0.6, 700.0, 5.0) + np.random.default_rng(0).normal(0, 3, t.size)
    force[(t > 0.95) & (t < 0.97)] = 0.0  # dropout inside a contact: bridged
    ev = events_from_threshold(EMG(force, rate, ("FZ",)), "FZ", side="right")
    contacts = ev.filter(pl.col("event") == "foot_contact")["time_s"].to_numpy()
    offs = ev.filter(pl.col("event") == "foot_off")["time_s"].to_numpy()
    # the recording starts unloaded (phase 0.7 at t = 0): first contact at 0.3 s
    assert contacts == pytest.approx(np.arange(0.3, 6.3, 1.0), abs=0.002)
    assert offs == pytest.approx(np.arange(0.9, 6.3, 1.0), abs=0.002)
    assert ev["contact"].is_null().all()


def test_footswitches_tell_toe_first_contact_of_backward_walking():
    rate = 1000.0
    t = np.arange(int(5 * rate)) / rate
    phase = (t % 1.0) / 1.0
    toe = ((phase > 0.1) & (phase < 0.6)).astype(float)  # toe lands first (backward walking)
    heel = ((phase > 0.15) & (phase < 0.7)).astype(float)  # heel leaves last
    sig = EMG(np.vstack([heel, toe]), rate, ("FSW_HEEL", "FSW_TOE"))
    ev = events_from_threshold(sig, {"heel": "FSW_HEEL", "toe": "FSW_TOE"}, side="left")
    contacts = ev.filter(pl.col("event") == "foot_contact")
    assert contacts["contact"].unique().to_list() == ["toe"]
    assert contacts["time_s"].to_numpy() == pytest.approx(np.arange(0.1, 5, 1.0), abs=0.002)
    offs = ev.filter(pl.col("event") == "foot_off")["time_s"].to_numpy()
    assert offs == pytest.approx(np.arange(0.7, 5, 1.0), abs=0.002)
    assert set(ev["side"]) == {"left"}
