"""Whole-cohort validation: the tables, and (deep) every EMG, events and MVC file they reference.

Nothing is written to the cohort folder, and no input is executed or unpickled: tables and YAML
are parsed as plain text, signals through the readers of :mod:`analysis.ingest.readers`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl

from analysis.core.errors import Problem, ValidationError, raise_if
from analysis.ingest.cohort import Cohort, survey_cohort
from analysis.ingest.contract import Dialect
from analysis.ingest.events.source import events_config, sources_of, trial_events
from analysis.ingest.readers.plausibility import amplitude_problems
from analysis.ingest.sheets import ROW


def validate_cohort_folder(cohort_dir: str | Path, deep: bool = True) -> list[Problem]:
    """Every problem in a cohort folder, each naming cohort, file, row and column.

    Parameters
    ----------
    cohort_dir : path
        ``data/raw/<cohort>``.
    deep : bool
        Also read every EMG and events file (time column, sampling rate, channels, events
        and their place in the recording) and every MVC recording named in ``mvc.csv``.
        Without it only the tables (``mvc.csv`` too), ``cohort.yaml`` and the file references
        are checked.

    Returns
    -------
    list of Problem
        Empty when the cohort is valid.

    Examples
    --------
    >>> validate_cohort_folder("data/raw/demo")  # doctest: +SKIP
    []
    """
    return sorted(set(_survey(cohort_dir, deep)[1]), key=_order)


def validated_cohort(cohort_dir: str | Path, deep: bool = True) -> Cohort:
    """The cohort's tidy tables, after checking it as :func:`validate_cohort_folder` does.

    Raises
    ------
    ValidationError
        With every problem found, so that nothing of an invalid cohort is ever written.
    """
    cohort, problems = _survey(cohort_dir, deep)
    raise_if(problems)
    assert cohort is not None
    return cohort


def _survey(cohort_dir: str | Path, deep: bool) -> tuple[Cohort | None, list[Problem]]:
    cohort, problems = survey_cohort(cohort_dir)
    if deep and cohort is not None and cohort.has_emg:
        problems = problems + check_recordings(cohort)
    if deep and cohort is not None:
        problems = problems + check_mvc_recordings(cohort, problems)
    return cohort, problems


def _order(p: Problem) -> tuple:
    return (p.file, -1 if p.row is None else p.row, p.column or "", p.message)


def check_recordings(cohort: Cohort) -> list[Problem]:
    """Read every trial's EMG and events file and report what is wrong with them.

    One recording is in memory at a time, so memory does not grow with the cohort.
    """
    emg_cfg = cohort.settings.get("emg", {})
    muscles = emg_cfg.get("muscles", [])
    problems: list[Problem] = []
    # the events files of each EMG file, in trial order
    pairs: dict[str, dict[tuple, None]] = {}
    trials = cohort.trials
    if "events_source" not in trials.columns:
        trials = trials.with_columns(events_source=pl.lit(None, dtype=pl.String))
    cols = ("emg_file", "events_file", "events_source", "direction")
    for emg_file, *rest in trials.select(cols).iter_rows():
        pairs.setdefault(emg_file, {})[tuple(rest)] = None
    for emg_file, events_files in pairs.items():
        emg, p = _read_signal(cohort, emg_file, emg_cfg)
        problems += p
        if emg is not None:
            problems += _missing_muscles(emg, muscles, cohort.name, emg_file)
            problems += amplitude_problems(
                emg,
                units=emg_cfg.get("units", "uV"),
                gain=float(emg_cfg.get("gain", 1.0)),
                cohort=cohort.name,
                file=emg_file,
            )
        for events_file, source, direction in events_files:
            events, p = _read_trial_events(cohort, events_file, emg_cfg, source, direction, emg)
            problems += p
            if events is not None and emg is not None:
                problems += _events_in_signal(events, emg, cohort, events_file, emg_file)
        del emg
    return problems


def check_mvc_recordings(cohort: Cohort, problems: list[Problem]) -> list[Problem]:
    """Read every recording named in the cohort's ``mvc.csv`` (each once) and report what is
    wrong with it: unreadable, or no channel for the muscle of a row naming it (a recording
    with a single channel serves any muscle).

    Parameters
    ----------
    cohort : Cohort
        From :func:`analysis.ingest.cohort.survey_cohort`.
    problems : list of Problem
        What :func:`~analysis.ingest.cohort.survey_cohort` found: rows of ``mvc.csv`` whose
        muscle or file reference has a problem are not read, nor is anything when the table
        itself or the cohort's ``emg:`` settings have problems (or there are no ``emg:``
        settings).
    """
    from analysis.ingest.readers.events import survey_mvc_table

    file = "mvc.csv"
    emg_cfg = cohort.settings.get("emg")
    if not (cohort.path / file).is_file() or not isinstance(emg_cfg, dict):
        return []
    if any(
        (p.file == file and not p.row)
        or (p.file == "cohort.yaml" and (p.column or "").split(".")[0] == "emg")
        for p in problems
    ):
        return []
    table, found = survey_mvc_table(
        cohort.path / file,
        cohort=cohort.name,
        file=file,
        dialect=Dialect.from_settings(cohort.settings),
    )
    if table is None:
        return []
    skip = {
        p.row for p in [*problems, *found] if p.file == file and p.column in ("muscle", "emg_file")
    }
    out: list[Problem] = []
    signals: dict[str, object] = {}
    for row, (muscle, ref) in enumerate(table.select("muscle", "emg_file").iter_rows(), start=1):
        if row in skip:
            continue
        if ref not in signals:
            signals[ref], p = _read_signal(cohort, ref, emg_cfg)
            out += p
        emg = signals[ref]
        if emg is not None and muscle not in emg.channels and len(emg.channels) != 1:
            out.append(
                Problem(
                    cohort.name,
                    file,
                    row,
                    "muscle",
                    f"'{ref}' has no channel {muscle} (its channels: {', '.join(emg.channels)})",
                    f"name the recording of {muscle} on this row, or map the file's name for "
                    f"{muscle} in emg.channel_map",
                )
            )
    return out


FALLBACK_FIX = {
    "emg": "see 'EMG files' in data/raw/README.md",
    "events": "see 'Gait-event files' in data/raw/README.md (columns side, event, time_s)",
}


def _with_fix(problems: list[Problem], kind: str) -> list[Problem]:
    """Problems from the readers, each with a fix (a pointer to the contract when none)."""
    return [p if p.fix else replace(p, fix=FALLBACK_FIX[kind]) for p in problems]


def _read_signal(cohort: Cohort, file: str, emg_cfg: dict) -> tuple[object, list[Problem]]:
    from analysis.ingest.readers import read_emg

    try:
        emg = read_emg(
            cohort.path / file,
            rate=emg_cfg.get("sampling_rate_hz"),
            channel_map=emg_cfg.get("channel_map") or None,
            units=emg_cfg.get("units", "uV"),
            gain=float(emg_cfg.get("gain", 1.0)),
            cohort=cohort.name,
            file=file,
            dialect=Dialect.from_settings(cohort.settings),
        )
    except ValidationError as exc:
        return None, _with_fix(exc.problems, "emg")
    except Exception as exc:  # noqa: BLE001 (a reader bug must not hide the other problems)
        return None, [_unreadable(cohort.name, file, exc)]
    return emg, []


def _read_trial_events(
    cohort: Cohort,
    file: str,
    emg_cfg: dict | None = None,
    source: str | None = None,
    direction: str = "forward",
    emg=None,
) -> tuple[pl.DataFrame | None, list[Problem]]:
    """The events of a trial from its configured sources. Stored events in a CSV file are read
    by :func:`analysis.ingest.readers.events.survey_events` (with their rows in the file)."""
    from analysis.ingest.readers.events import survey_events

    cfg = events_config((emg_cfg or {}).get("events"))
    try:
        sources = sources_of(cfg, source)
        dialect = Dialect.from_settings(cohort.settings)
        if sources == ["stored"] and not file.lower().endswith(".c3d"):
            events, problems = survey_events(
                cohort.path / file, cohort=cohort.name, file=file, dialect=dialect
            )
            return events, _with_fix(problems, "events")
        events, problems, _ = trial_events(
            cohort.path / file,
            sources=sources,
            config=cfg,
            direction=direction,
            emg=emg,
            cohort=cohort.name,
            file=file,
            dialect=dialect,
        )
        return events, _with_fix(problems, "events")
    except ValidationError as exc:
        return None, _with_fix(exc.problems, "events")
    except Exception as exc:  # noqa: BLE001
        return None, [_unreadable(cohort.name, file, exc)]


def _unreadable(cohort: str, file: str, exc: Exception) -> Problem:
    return Problem(
        cohort,
        file,
        None,
        None,
        f"cannot be read ({type(exc).__name__}: {str(exc)[:200]})",
        "check the file is a valid recording of its type; if it is, report this as a retrowalk bug",
    )


def _missing_muscles(emg, muscles: list[str], cohort: str, file: str) -> list[Problem]:
    return [
        Problem(
            cohort,
            file,
            0,
            m,
            f"muscle '{m}' declared in cohort.yaml has no column",
            "add the column, map the file's name for it in emg.channel_map, or remove "
            "it from emg.muscles",
        )
        for m in muscles
        if m not in emg.channels and f"L_{m}" not in emg.channels and f"R_{m}" not in emg.channels
    ]


def _events_in_signal(
    events: pl.DataFrame, emg, cohort: Cohort, file: str, emg_file: str
) -> list[Problem]:
    """The first event outside the EMG recording (by row in the events file), and how many."""
    t0, t_end = emg.t0, emg.t0 + emg.duration
    outside = events.filter((pl.col("time_s") < t0) | (pl.col("time_s") > t_end))
    if outside.height == 0:
        return []
    if ROW not in outside.columns:  # events stored in a C3D file: no row of a sheet
        outside = outside.with_columns(pl.lit(None, dtype=pl.Int64).alias(ROW))
    found = sorted(
        outside.select(ROW, "side", "event", "time_s").iter_rows(),
        key=lambda r: (r[0] or 0, r[3]),
    )
    row, side, event, t = found[0]
    more = f", and so are {len(found) - 1} more events in this file" if len(found) > 1 else ""
    return [
        Problem(
            cohort.name,
            file,
            row or None,
            "time_s",
            f"{side} {event} at {t:g} s is outside the EMG recording {emg_file} "
            f"({t0:g} to {t_end:g} s){more}",
            "check the event times, and the EMG sampling rate in cohort.yaml",
        )
    ]
