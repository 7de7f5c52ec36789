"""Whole-cohort validation: the tables, and (deep) every EMG and events file they reference."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis.cohort import Cohort, load_cohort
from analysis.errors import Problem, ValidationError


def validate_cohort_folder(cohort_dir: str | Path, deep: bool = True) -> list[Problem]:
    """Every problem in a cohort folder, each naming cohort, file, row and column.

    Parameters
    ----------
    cohort_dir : path
        ``data/raw/<cohort>``.
    deep : bool
        Also read every EMG and events file (time column, sampling rate, channels, event
        order and range). Without it only the tables and file references are checked.

    Returns
    -------
    list of Problem
        Empty when the cohort is valid.
    """
    try:
        cohort = load_cohort(cohort_dir)
    except ValidationError as exc:
        return exc.problems
    if not deep or not cohort.has_emg:
        return []
    return check_recordings(cohort)


def check_recordings(cohort: Cohort) -> list[Problem]:
    """Read every trial's EMG and events file and report what is wrong with them."""
    from analysis.io import read_emg, read_events

    emg_cfg = cohort.settings.get("emg", {})
    muscles = emg_cfg.get("muscles", [])
    problems: list[Problem] = []
    checked: dict[str, object] = {}
    for rec in cohort.trials.iter_rows(named=True):
        emg = None
        if rec["emg_file"] not in checked:
            try:
                emg = read_emg(cohort.path / rec["emg_file"],
                               rate=emg_cfg.get("sampling_rate_hz"),
                               channel_map=emg_cfg.get("channel_map") or None,
                               units=emg_cfg.get("units", "uV"),
                               cohort=cohort.name, file=rec["emg_file"])
                missing = [m for m in muscles if m not in emg.channels]
                if missing:
                    problems.append(Problem(
                        cohort.name, rec["emg_file"], 0, missing[0],
                        f"muscle column(s) {missing} declared in cohort.yaml are missing",
                        "add the columns or map the file's names in emg.channel_map"))
            except ValidationError as exc:
                problems += exc.problems
            checked[rec["emg_file"]] = emg
        emg = checked[rec["emg_file"]]
        try:
            events = read_events(cohort.path / rec["events_file"], cohort=cohort.name,
                                 file=rec["events_file"])
        except ValidationError as exc:
            problems += exc.problems
            continue
        if emg is not None:
            problems += _events_in_signal(events, emg, cohort.name, rec["events_file"])
    return problems


def _events_in_signal(events: pl.DataFrame, emg, cohort: str, file: str) -> list[Problem]:
    t_end = emg.t0 + emg.duration
    out = []
    for r, (t,) in enumerate(events.select("time_s").iter_rows(), start=1):
        if t < emg.t0 or t > t_end:
            out.append(Problem(cohort, file, r, "time_s",
                               f"event at {t:g} s is outside the EMG recording "
                               f"({emg.t0:g} to {t_end:g} s)",
                               "check the event times and the EMG sampling rate"))
    return out
