"""Events stored in a C3D file that fall outside its recording: one problem, not a crash."""

from types import SimpleNamespace

import polars as pl

from analysis.ingest.validate import _events_in_signal


def test_c3d_events_outside_the_recording_are_a_problem_without_a_row():
    events = pl.DataFrame(
        {"side": ["left", "right", "left"], "event": ["foot_contact"] * 3,
         "time_s": [0.2, 1.0, 9.0], "contact": None, "source": "stored"}
    )  # fmt: skip
    emg = SimpleNamespace(t0=0.5, duration=2.0)
    problems = _events_in_signal(events, emg, SimpleNamespace(name="zoo"), "t.c3d", "t.c3d")
    assert len(problems) == 1
    p = problems[0]
    assert (p.cohort, p.file, p.row, p.column) == ("zoo", "t.c3d", None, "time_s")
    assert "left foot_contact at 0.2 s is outside the EMG recording" in p.message
    assert "1 more" in p.message
