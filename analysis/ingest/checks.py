"""Checks shared by the cohort's tables: repeated keys, allowed values, known subjects, trials."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis.core.errors import Problem, quote
from analysis.ingest.references import _file_references
from analysis.ingest.sheets import (
    ROW,
    closest,
    repeated_keys,
)


def _trial_checks(
    trials: pl.DataFrame,
    cohort_dir: Path,
    subjects: set[str] | None,
    sessions: list[str] | None,
    found: list[Problem],
) -> list[Problem]:
    name, file = cohort_dir.name, "trials.csv"
    problems = _duplicates(trials, ["subject", "session", "direction", "trial"], name, file, found)
    problems += _duplicates(
        trials,
        ["emg_file", "events_file"],
        name,
        file,
        found,
        what="the same recording as",
        fix="point each trial to its own EMG and events files",
    )
    if subjects is not None:
        problems += _known_subjects(trials, subjects, name, file)
    if sessions is not None:
        problems += _allowed(trials, "session", sessions, name, file, "sessions")
    problems += _file_references(trials, cohort_dir, name)
    return problems


def _duplicates(
    df: pl.DataFrame,
    keys: list[str],
    cohort: str,
    file: str,
    found: list[Problem],
    what: str = "a duplicate of",
    fix: str = "remove the repeated row or number the trial differently",
) -> list[Problem]:
    """Rows repeating the key of an earlier row, naming both rows.

    An empty cell is a value of the key like any other (two rows for the same subject, session
    and measure, both without direction, are duplicates); only rows with a problem already
    ``found`` in a key column are left out (their cells are unknown).
    """
    flagged = {p.row for p in found if p.file == file and (p.column in keys or p.column is None)}
    out = []
    for row, first, key in repeated_keys(df.filter(~pl.col(ROW).is_in(list(flagged))), keys):
        shown = ", ".join(f"{k} {_cell(v)}" for k, v in zip(keys, key, strict=True))
        out.append(
            Problem(cohort, file, row, keys[-1], f"row is {what} row {first} ({shown})", fix)
        )
    return out


def _cell(value: object) -> str:
    return "empty" if value is None else quote(value)


def _allowed(
    df: pl.DataFrame, col: str, allowed: list[str], cohort: str, file: str, key: str
) -> list[Problem]:
    bad = df.filter(pl.col(col).is_not_null() & ~pl.col(col).is_in(allowed))
    out = []
    for r, v in bad.select(ROW, col).iter_rows():
        close = closest(v, allowed)
        fix = f"write '{close}'" if close else f"use one of {', '.join(allowed)}"
        out.append(
            Problem(
                cohort,
                file,
                r,
                col,
                f"'{v}' is not listed under {key}: in cohort.yaml",
                f"{fix} or add it to {key}: in cohort.yaml",
            )
        )
    return out


def _known_subjects(df: pl.DataFrame, subjects: set[str], cohort: str, file: str) -> list[Problem]:
    bad = df.filter(pl.col("subject").is_not_null() & ~pl.col("subject").is_in(sorted(subjects)))
    out = []
    for r, s in bad.select(ROW, "subject").iter_rows():
        close = closest(s, sorted(subjects))
        hint = f" (did you mean '{close}'?)" if close else ""
        out.append(
            Problem(
                cohort,
                file,
                r,
                "subject",
                f"subject '{s}' is not in participants.csv{hint}",
                "add the participant to participants.csv or correct the code",
            )
        )
    return out
